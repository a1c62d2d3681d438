#include "api/notification_routes.hpp"

#include "api/job_json.hpp"
#include "http/json_response.hpp"

#include <boost/json.hpp>

namespace scanhub::api {

namespace {

constexpr std::size_t kMaxIdLength = 128;
constexpr std::size_t kMaxNotificationLength = 4096;

std::string text_field(const boost::json::value& value, std::string_view name, std::size_t max_length,
                       bool allow_empty) {
  if (!value.is_string()) throw std::invalid_argument(std::string(name) + " must be a string");
  const auto& text = value.as_string();
  if (!allow_empty && text.empty()) throw std::invalid_argument(std::string(name) + " must not be empty");
  if (text.size() > max_length) {
    throw std::invalid_argument(std::string(name) + " is longer than " + std::to_string(max_length) + " bytes");
  }
  return std::string(text);
}

}  // namespace

UserNotificationRequest parse_user_notification(std::string_view body) {
  const boost::json::object o = parse_body_object(body, false);
  UserNotificationRequest request;
  bool has_user = false, has_type = false, has_message = false;
  for (const auto& [key, value] : o) {
    if (key == "userId") {
      request.user_id = text_field(value, "userId", kMaxIdLength, false);
      has_user = true;
    } else if (key == "type") {
      request.type = text_field(value, "type", kMaxIdLength, false);
      has_type = true;
    } else if (key == "message") {
      request.message = text_field(value, "message", kMaxNotificationLength, true);
      has_message = true;
    } else if (key == "data") {
      if (!value.is_object()) throw std::invalid_argument("data must be an object");
      request.data = value.as_object();
    } else {
      throw std::invalid_argument("unknown field " + boost::json::serialize(boost::json::value(key)));
    }
  }
  if (!has_user) throw std::invalid_argument("userId is required");
  if (!has_type) throw std::invalid_argument("type is required");
  if (!has_message) throw std::invalid_argument("message is required");
  return request;
}

void add_notification_routes(http::Router& router, SendUserNotification send) {
  router.add(
      http::Verb::post, "/api/notifications",
      [send = std::move(send)](const http::Request& request, const http::PathParams&) {
        UserNotificationRequest notification = parse_user_notification(request.body());
        send(notification);
        return http::json_response(http::Status::accepted,
                                   {{"userId", notification.user_id},
                                    {"type", notification.type},
                                    {"message", notification.message},
                                    {"data", std::move(notification.data)}});
      },
      http::Access::kAdmin);
}

}  // namespace scanhub::api
