#pragma once
// POST /api/notifications (admin; issue 16 "Per-user jobs"): sends seed 004's UserNotification
// to one user's connections (group user-{userId} on /hubs/job-progress).
//   body {"userId": string (1-128 bytes), "type": string (1-128 bytes), "message": string (at
//   most 4096 bytes), "data"?: object (default {})} -> 202 {userId, type, message, data}
// 400 for a body that is not that (unknown field, wrong type, too long); 401/403 by the route's
// Access (kAdmin). Sending is fire-and-forget, as a SignalR send is: 202 whether or not the
// user has a connection.
// Handlers run on network threads and do no I/O; `send` must be quick and thread-safe
// (hubs::JobProgressHub::notify_user is).

#include "http/router.hpp"

#include <boost/json/object.hpp>

#include <functional>
#include <string>

namespace scanhub::api {

struct UserNotificationRequest {
  std::string user_id;
  std::string type;
  std::string message;
  boost::json::object data;
};

/// The request of `body`; throws std::invalid_argument (400) naming what is wrong.
UserNotificationRequest parse_user_notification(std::string_view body);

using SendUserNotification = std::function<void(const UserNotificationRequest&)>;

void add_notification_routes(http::Router& router, SendUserNotification send);

}  // namespace scanhub::api
