// POST /api/notifications' body (api/notification_routes.hpp): what is sent, what is refused.
#include "api/notification_routes.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace scanhub;

namespace {

TEST(NotificationRoutes, ParsesTheSeedsFields) {
  const auto n = api::parse_user_notification(
      R"({"userId":"alice","type":"Maintenance","message":"Back at noon","data":{"at":"12:00"}})");
  EXPECT_EQ(n.user_id, "alice");
  EXPECT_EQ(n.type, "Maintenance");
  EXPECT_EQ(n.message, "Back at noon");
  EXPECT_EQ(boost::json::serialize(n.data), R"({"at":"12:00"})");
  EXPECT_TRUE(api::parse_user_notification(R"({"userId":"a","type":"t","message":""})").data.empty());
}

TEST(NotificationRoutes, RefusesWhatIsNotANotification) {
  const std::string long_id(129, 'u');
  for (const std::string& body : {
           std::string(R"({"type":"t","message":"m"})"),                   // no userId
           std::string(R"({"userId":"a","message":"m"})"),                 // no type
           std::string(R"({"userId":"a","type":"t"})"),                    // no message
           std::string(R"({"userId":"","type":"t","message":"m"})"),       // empty user
           std::string(R"({"userId":7,"type":"t","message":"m"})"),        // not a string
           std::string(R"({"userId":"a","type":"t","message":"m","data":[1]})"),  // data not an object
           std::string(R"({"userId":"a","type":"t","message":"m","extra":1})"),   // unknown field
           R"({"userId":")" + long_id + R"(","type":"t","message":"m"})",        // too long
           std::string("[]"), std::string("not json")}) {
    EXPECT_THROW(api::parse_user_notification(body), std::invalid_argument) << body;
  }
}

}  // namespace
