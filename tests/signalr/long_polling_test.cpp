// Tests of the Long Polling and HTTP Post half-transports (src/signalr/http_transports.hpp)
// without sockets: the HTTP layer's entry points are driven directly on an io_context, the
// way src/http calls them, and their replies are collected. TransportProtocols.md "Long
// Polling" and "HTTP Post" give the expected status codes.
#include "signalr/http_transports.hpp"
#include "signalr/hub_host.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value_to.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace scanhub::signalr {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kHandshake = "{\"protocol\":\"json\",\"version\":1}\x1e";

// Echo(x) -> x; Hold() completes only when the test calls release().
class EchoHub : public Hub {
 public:
  void invoke(const CallerContext&, std::string_view target, const json::array& arguments,
              Completion complete) override {
    if (target == "Hold") {
      held_ = std::move(complete);
      return;
    }
    complete(arguments.empty() ? json::value(nullptr) : arguments.front());
  }
  void release() { std::exchange(held_, nullptr)(json::value("released")); }

 private:
  Completion held_;
};

/// One HTTP request's eventual answer.
struct Pending {
  std::shared_ptr<std::optional<HttpReply>> slot = std::make_shared<std::optional<HttpReply>>();
  ReplyHandler handler() {
    return [slot = slot](HttpReply reply) { *slot = std::move(reply); };
  }
  bool done() const { return slot->has_value(); }
  const HttpReply& reply() const { return **slot; }
};

class LongPollingTest : public testing::Test {
 protected:
  LongPollingTest() {
    options_.long_poll_timeout = 150ms;
    options_.keep_alive_interval = 60s;
    options_.outbox_max_messages = 8;
    options_.max_pending_invocations = 1;
    context_ = &host_.map_hub("/h", hub_, options_);
    route_ = *host_.match("/h");
  }
  ~LongPollingTest() override {
    // As Server::stop does: a Close for every connection, then (nobody polls here to take it)
    // the abort that ends them, so no connection outlives the test.
    host_.stop();
    io_.run_for(20ms);
    io_.restart();
    host_.abort_all();
    io_.run_for(50ms);
  }

  std::string negotiate() {
    auto body = json::parse(host_.negotiate(route_, boost::asio::ip::make_address("127.0.0.1"), "1").body).as_object();
    connection_id_ = json::value_to<std::string>(body.at("connectionId"));
    return json::value_to<std::string>(body.at("connectionToken"));
  }
  TransportRequest request(std::string_view id) { return {std::string(id), {}}; }

  /// Runs the io_context until `pending` is answered or `limit` passes.
  bool wait(const Pending& pending, std::chrono::milliseconds limit = 2000ms) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pending.done() && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(5ms);
      io_.restart();
    }
    return pending.done();
  }
  Pending poll(const std::string& token) {
    Pending p;
    long_poll(route_, request(token), io_.get_executor(), p.handler());
    return p;
  }
  Pending post(const std::string& token, std::string_view body) {
    Pending p;
    send_to_connection(route_, request(token), std::string(body), p.handler());
    return p;
  }
  Pending del(const std::string& token) {
    Pending p;
    delete_connection(route_, request(token), p.handler());
    return p;
  }
  /// Negotiates, polls once (the server's "connected" answer) and sends the handshake.
  std::string connect() {
    const auto token = negotiate();
    auto first = poll(token);
    EXPECT_TRUE(wait(first));
    EXPECT_EQ(first.reply().status, 200u);
    EXPECT_EQ(first.reply().body, "");
    auto hs = post(token, kHandshake);
    EXPECT_TRUE(wait(hs));
    EXPECT_EQ(hs.reply().status, 200u);
    auto response = poll(token);
    EXPECT_TRUE(wait(response));
    EXPECT_EQ(response.reply().body, "{}\x1e");
    return token;
  }

  boost::asio::io_context io_;
  std::shared_ptr<EchoHub> hub_ = std::make_shared<EchoHub>();
  HubOptions options_;
  HubHost host_;
  HubContext* context_ = nullptr;
  HubRoute route_;
  std::string connection_id_;
};

TEST_F(LongPollingTest, MissingOrUnknownIds) {
  auto no_id = Pending{};
  long_poll(route_, {std::nullopt, {}}, io_.get_executor(), no_id.handler());
  ASSERT_TRUE(wait(no_id));
  EXPECT_EQ(no_id.reply().status, 400u);
  auto unknown = poll("nope");
  ASSERT_TRUE(wait(unknown));
  EXPECT_EQ(unknown.reply().status, 404u);
  auto post_unknown = post("nope", kHandshake);
  ASSERT_TRUE(wait(post_unknown));
  EXPECT_EQ(post_unknown.reply().status, 404u);
  auto delete_unknown = del("nope");
  ASSERT_TRUE(wait(delete_unknown));
  EXPECT_EQ(delete_unknown.reply().status, 404u);
}

TEST_F(LongPollingTest, SeveralRecordsInOnePostAndOnePoll) {
  const auto token = connect();
  auto sent = post(token,
                   "{\"type\":1,\"invocationId\":\"1\",\"target\":\"E\",\"arguments\":[1]}\x1e"
                   "{\"type\":1,\"invocationId\":\"2\",\"target\":\"E\",\"arguments\":[2]}\x1e");
  ASSERT_TRUE(wait(sent));
  EXPECT_EQ(sent.reply().status, 200u);
  // A poll takes the batch in flight; what was queued behind it comes with the next poll.
  std::string all;
  for (int i = 0; i < 2; ++i) {
    auto got = poll(token);
    ASSERT_TRUE(wait(got));
    EXPECT_EQ(got.reply().status, 200u);
    all += got.reply().body;
  }
  EXPECT_EQ(all,
            "{\"type\":3,\"invocationId\":\"1\",\"result\":1}\x1e"
            "{\"type\":3,\"invocationId\":\"2\",\"result\":2}\x1e");
}

TEST_F(LongPollingTest, AWaitingPollGetsTheNextMessageOrAnEmpty200AtTheTimeout) {
  const auto token = connect();
  const auto started = std::chrono::steady_clock::now();
  auto idle = poll(token);
  ASSERT_TRUE(wait(idle));
  EXPECT_EQ(idle.reply().status, 200u);
  EXPECT_EQ(idle.reply().body, "");
  EXPECT_GE(std::chrono::steady_clock::now() - started, 140ms);

  auto waiting = poll(token);
  io_.run_for(20ms);
  io_.restart();
  EXPECT_FALSE(waiting.done());
  context_->send_connection(connection_id_, "Hello", json::array{"x"});
  ASSERT_TRUE(wait(waiting));
  EXPECT_EQ(waiting.reply().body, "{\"type\":1,\"target\":\"Hello\",\"arguments\":[\"x\"]}\x1e");
}

TEST_F(LongPollingTest, ASecondPollEndsTheFirstWith204) {
  const auto token = connect();
  auto first = poll(token);
  io_.run_for(10ms);
  io_.restart();
  auto second = poll(token);
  ASSERT_TRUE(wait(first));
  EXPECT_EQ(first.reply().status, 204u);
  EXPECT_FALSE(second.done());
  context_->send_connection(connection_id_, "X", json::array{});
  ASSERT_TRUE(wait(second));
  EXPECT_EQ(second.reply().status, 200u);
}

TEST_F(LongPollingTest, DeleteEndsTheConnection) {
  const auto token = connect();
  auto waiting = poll(token);
  io_.run_for(10ms);
  io_.restart();
  auto deleted = del(token);
  ASSERT_TRUE(wait(deleted));
  EXPECT_EQ(deleted.reply().status, 202u);
  ASSERT_TRUE(wait(waiting));
  EXPECT_EQ(waiting.reply().status, 204u);
  io_.run_for(20ms);
  io_.restart();
  auto late = poll(token);
  ASSERT_TRUE(wait(late));
  EXPECT_EQ(late.reply().status, 204u);
  auto late_post = post(token, "{\"type\":6}\x1e");
  ASSERT_TRUE(wait(late_post));
  EXPECT_EQ(late_post.reply().status, 404u);
  EXPECT_EQ(host_.live_connections(), 0u);
}

TEST_F(LongPollingTest, QueuedProgressIsConflatedWhileNobodyPolls) {
  const auto token = connect();
  for (int i = 0; i < 100; ++i) {
    context_->send_connection(connection_id_, "Progress", json::array{i}, {"scan-1"});
  }
  context_->send_connection(connection_id_, "Done", json::array{});
  io_.run_for(20ms);
  io_.restart();
  // The first message went out as the send in flight (held for the next poll); the rest were
  // conflated in the outbox, newest wins, and the unkeyed one keeps its place.
  auto first = poll(token);
  ASSERT_TRUE(wait(first));
  auto second = poll(token);
  ASSERT_TRUE(wait(second));
  const std::string all = first.reply().body + second.reply().body;
  EXPECT_NE(all.find("\"arguments\":[99]"), std::string::npos) << all;
  EXPECT_LT(all.find("\"arguments\":[99]"), all.find("\"Done\"")) << all;
  EXPECT_EQ(all.find("\"arguments\":[50]"), std::string::npos) << all;
  EXPECT_EQ(host_.live_connections(), 1u);
}

TEST_F(LongPollingTest, AClientThatNeverPollsIsClosedWhenItsOutboxOverflows) {
  const auto token = connect();
  for (int i = 0; i < 50; ++i) context_->send_connection(connection_id_, "Event", json::array{i});
  io_.run_for(20ms);
  io_.restart();
  // What was in flight, then the Close message (allowReconnect), then 204: the end.
  std::string all;
  unsigned last_status = 0;
  for (int i = 0; i < 5 && last_status != 204; ++i) {
    auto got = poll(token);
    ASSERT_TRUE(wait(got));
    last_status = got.reply().status;
    all += got.reply().body;
  }
  EXPECT_EQ(last_status, 204u);
  EXPECT_NE(all.find("\"type\":7"), std::string::npos) << all;
  EXPECT_EQ(all.find("\"arguments\":[40]"), std::string::npos) << all;
  EXPECT_EQ(host_.counters().slow_connections_closed, 1u);
}

TEST_F(LongPollingTest, APostIsHeldUnderBackPressureAndASecondOneIs409) {
  const auto token = connect();
  // At the pending-invocation limit the server stops reading: for HTTP Post, the POST is
  // answered only once the invocation completes.
  auto held = post(token, "{\"type\":1,\"invocationId\":\"h\",\"target\":\"Hold\",\"arguments\":[]}\x1e");
  io_.run_for(20ms);
  io_.restart();
  EXPECT_FALSE(held.done());
  auto second = post(token, "{\"type\":6}\x1e");
  ASSERT_TRUE(wait(second));
  EXPECT_EQ(second.reply().status, 409u);
  hub_->release();
  ASSERT_TRUE(wait(held));
  EXPECT_EQ(held.reply().status, 200u);
  auto result = poll(token);
  ASSERT_TRUE(wait(result));
  EXPECT_EQ(result.reply().body, "{\"type\":3,\"invocationId\":\"h\",\"result\":\"released\"}\x1e");
}

TEST_F(LongPollingTest, MalformedRecordsCloseTheConnectionWithAReason) {
  const auto token = connect();
  auto bad = post(token, "{\"type\":1,\"target\":\x1e");
  ASSERT_TRUE(wait(bad));
  EXPECT_EQ(bad.reply().status, 200u);  // received; the error travels as a Close message
  auto closed = poll(token);
  ASSERT_TRUE(wait(closed));
  EXPECT_NE(closed.reply().body.find("\"type\":7"), std::string::npos);
  EXPECT_NE(closed.reply().body.find("Invalid JSON"), std::string::npos) << closed.reply().body;
  auto after = poll(token);
  ASSERT_TRUE(wait(after));
  EXPECT_EQ(after.reply().status, 204u);
}

}  // namespace
}  // namespace scanhub::signalr
