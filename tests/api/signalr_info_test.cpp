// GET /api/signalr/connection-info's body (api/signalr_info.hpp): its events are exactly those
// the hub at hubUrl declares, in seed 004's words.
#include "api/signalr_info.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace scanhub;

namespace {

TEST(SignalRInfo, EventsAreExactlyThoseTheJobProgressHubSends) {
  api::SignalRInfo info;
  info.hubs = {{"ProgressHub", "/hubs/progress", {}},
               {"JobProgressHub", "/hubs/job-progress", {"JobProgressUpdate", "UserNotification", "Error"}}};
  const auto o = api::connection_info(info);
  EXPECT_EQ(boost::json::serialize(o.at("events")),
            R"(["JobProgressUpdate - Fired when job progress updates",)"
            R"("UserNotification - Fired for user-specific notifications",)"
            R"("Error - Fired when an error occurs"])");
  EXPECT_EQ(boost::json::serialize(o.at("hubs").at(1).at("events")),
            R"(["JobProgressUpdate","UserNotification","Error"])");
  EXPECT_TRUE(o.at("hubs").at(0).at("events").as_array().empty());
}

}  // namespace
