// Tests of negotiate and connection claiming (src/signalr/hub_endpoint.hpp, hub_host.hpp)
// against TransportProtocols.md, without sockets.
#include "signalr/hub_endpoint.hpp"
#include "signalr/hub_host.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <boost/json/value_to.hpp>

#include <cctype>
#include <set>
#include <thread>

namespace scanhub::signalr {
namespace {

namespace json = boost::json;

const boost::asio::ip::address kClient = boost::asio::ip::make_address("127.0.0.1");

class NullHub : public Hub {
 public:
  void invoke(const CallerContext&, std::string_view, const json::array&,
              Completion complete) override {
    complete(json::value(nullptr));
  }
};

class HubEndpointTest : public testing::Test {
 protected:
  HubEndpointTest() {
    hosts_.map_hub("/hubs/test", std::make_shared<NullHub>(), options_);
    route_ = *hosts_.match("/hubs/test");
  }
  json::object negotiate(std::optional<std::string_view> version, unsigned expect_status = 200) {
    auto reply = hosts_.negotiate(route_, kClient, version);
    EXPECT_EQ(reply.status, expect_status) << reply.body;
    return json::parse(reply.body).as_object();
  }

  HubOptions options_;
  HubHost hosts_;
  HubRoute route_;
};

TEST_F(HubEndpointTest, MatchesHubAndNegotiatePaths) {
  auto connect = hosts_.match("/hubs/test");
  ASSERT_TRUE(connect);
  EXPECT_EQ(connect->kind, HubRoute::Kind::kConnect);
  auto negotiate_route = hosts_.match("/hubs/test/negotiate");
  ASSERT_TRUE(negotiate_route);
  EXPECT_EQ(negotiate_route->kind, HubRoute::Kind::kNegotiate);
  EXPECT_FALSE(hosts_.match("/hubs/other"));
  EXPECT_FALSE(hosts_.match("/hubs/test/other"));
  EXPECT_FALSE(hosts_.match("/hubs"));
  EXPECT_NE(hosts_.context("/hubs/test"), nullptr);
  EXPECT_EQ(hosts_.context("/hubs/nope"), nullptr);
}

TEST_F(HubEndpointTest, MapHubRejectsBadPaths) {
  EXPECT_THROW(hosts_.map_hub("hubs/x", std::make_shared<NullHub>()), std::invalid_argument);
  EXPECT_THROW(hosts_.map_hub("/hubs/x/", std::make_shared<NullHub>()), std::invalid_argument);
  EXPECT_THROW(hosts_.map_hub("/hubs/test", std::make_shared<NullHub>()), std::invalid_argument);
  EXPECT_THROW(hosts_.map_hub("/hubs/y", nullptr), std::invalid_argument);
}

TEST_F(HubEndpointTest, NegotiateVersion1HasSecretToken) {
  auto body = negotiate("1");
  EXPECT_EQ(body.at("negotiateVersion"), 1);
  const auto id = json::value_to<std::string>(body.at("connectionId"));
  const auto token = json::value_to<std::string>(body.at("connectionToken"));
  EXPECT_GE(id.size(), 20u);
  EXPECT_GE(token.size(), 20u);
  EXPECT_NE(id, token);
  for (char c : token) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
  EXPECT_EQ(body.at("availableTransports"),
            json::parse(R"([{"transport":"WebSockets","transferFormats":["Text","Binary"]},)"
                        R"({"transport":"ServerSentEvents","transferFormats":["Text"]},)"
                        R"({"transport":"LongPolling","transferFormats":["Text","Binary"]}])"));
}

TEST_F(HubEndpointTest, NegotiateVersion0HasNoToken) {
  auto body = negotiate(std::nullopt);
  EXPECT_EQ(body.at("negotiateVersion"), 0);
  EXPECT_FALSE(body.contains("connectionToken"));
  // The id is what the client then sends as ?id=
  auto route = *hosts_.match("/hubs/test");
  auto claim = route.endpoint->claim(json::value_to<std::string>(body.at("connectionId")));
  EXPECT_TRUE(claim.has_value());
}

TEST_F(HubEndpointTest, NegotiateCapsVersionAndRejectsGarbage) {
  EXPECT_EQ(negotiate("7").at("negotiateVersion"), 1);
  EXPECT_TRUE(negotiate("x", 400).contains("error"));
  EXPECT_TRUE(negotiate("-1", 400).contains("error"));
}

TEST_F(HubEndpointTest, IdsAreUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto body = negotiate("1");
    EXPECT_TRUE(seen.insert(json::value_to<std::string>(body.at("connectionId"))).second);
    EXPECT_TRUE(seen.insert(json::value_to<std::string>(body.at("connectionToken"))).second);
  }
}

TEST_F(HubEndpointTest, ClaimByTokenOnceThenConflictThenNotFoundAfterRelease) {
  auto body = negotiate("1");
  const auto id = json::value_to<std::string>(body.at("connectionId"));
  const auto token = json::value_to<std::string>(body.at("connectionToken"));
  HubEndpoint& endpoint = *route_.endpoint;

  // The public connection id is not a credential.
  EXPECT_EQ(endpoint.claim(id).error(), HubEndpoint::ClaimError::kNotFound);
  auto claim = endpoint.claim(token);
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->connection_id, id);
  EXPECT_EQ(endpoint.claim(token).error(), HubEndpoint::ClaimError::kConflict);
  endpoint.release_claim(token);
  EXPECT_EQ(endpoint.claim(token).error(), HubEndpoint::ClaimError::kNotFound);
  EXPECT_EQ(endpoint.claim("no-such-token").error(), HubEndpoint::ClaimError::kNotFound);
}

TEST_F(HubEndpointTest, SkipNegotiationCreatesAConnection) {
  auto claim = route_.endpoint->claim(std::nullopt);
  ASSERT_TRUE(claim);
  EXPECT_FALSE(claim->connection_id.empty());
  EXPECT_NE(claim->connection_id, claim->token);
}

TEST(HubEndpointExpiry, NegotiatedIdExpires) {
  HubOptions options;
  options.negotiate_timeout = std::chrono::milliseconds(1);
  HubHost host;
  host.map_hub("/h", std::make_shared<NullHub>(), options);
  auto route = *host.match("/h");
  auto body = json::parse(host.negotiate(route, kClient, "1").body).as_object();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(route.endpoint->claim(json::value_to<std::string>(body.at("connectionToken"))).error(),
            HubEndpoint::ClaimError::kNotFound);
}

// One address at its pending cap gets 429 with Retry-After; another address is still served,
// and a claim gives the first its slot back (TransportProtocols.md's negotiate, per client).
TEST(HubEndpointLimits, OneClientAtItsPendingCapIsRefusedOthersAreNot) {
  HubOptions options;
  options.max_pending_negotiations_per_client = 3;
  HubHost host;
  host.map_hub("/h", std::make_shared<NullHub>(), options);
  auto route = *host.match("/h/negotiate");
  std::string token;
  for (int i = 0; i < 3; ++i) {
    const auto reply = host.negotiate(route, kClient, "1");
    ASSERT_EQ(reply.status, 200u) << reply.body;
    token = json::value_to<std::string>(json::parse(reply.body).at("connectionToken"));
  }
  const auto refused = host.negotiate(route, kClient, "1");
  EXPECT_EQ(refused.status, 429u);
  EXPECT_GE(refused.retry_after.count(), 1);
  EXPECT_TRUE(json::parse(refused.body).as_object().contains("error")) << refused.body;
  // The same host by its IPv4-mapped IPv6 address is the same client.
  EXPECT_EQ(host.negotiate(route, boost::asio::ip::make_address("::ffff:127.0.0.1"), "1").status,
            429u);
  EXPECT_EQ(host.negotiate(route, boost::asio::ip::make_address("127.0.0.2"), "1").status, 200u);
  ASSERT_TRUE(route.endpoint->claim(token));
  EXPECT_EQ(host.negotiate(route, kClient, "1").status, 200u);
}

TEST(HubEndpointLimits, NegotiatesPastTheRateGet429WithRetryAfter) {
  HubOptions options;
  options.negotiate_rate_per_client = 0.5;
  options.negotiate_burst_per_client = 2;
  HubHost host;
  host.map_hub("/h", std::make_shared<NullHub>(), options);
  auto route = *host.match("/h/negotiate");
  EXPECT_EQ(host.negotiate(route, kClient, "1").status, 200u);
  EXPECT_EQ(host.negotiate(route, kClient, "1").status, 200u);
  const auto refused = host.negotiate(route, kClient, "1");
  EXPECT_EQ(refused.status, 429u);
  EXPECT_EQ(refused.retry_after, std::chrono::seconds(2));
}

TEST_F(HubEndpointTest, StopRefusesNegotiateAndClaims) {
  hosts_.stop();
  EXPECT_EQ(hosts_.negotiate(route_, kClient, "1").status, 503u);
  EXPECT_EQ(route_.endpoint->claim(std::nullopt).error(), HubEndpoint::ClaimError::kStopping);
}

TEST_F(HubEndpointTest, SendsToNobodyAreHarmless) {
  HubContext& context = *hosts_.context("/hubs/test");
  context.send_all("X", json::array{1});
  context.send_group("g", "X", json::array{1});
  context.send_connection("nobody", "X", json::array{1});
  context.add_to_group("nobody", "g");
  context.remove_from_group("nobody", "g");
  EXPECT_EQ(hosts_.counters().messages_sent, 0u);
}

}  // namespace
}  // namespace scanhub::signalr
