// The /ws client-message parser (Metarr's ClientMessage) and the command handler that answers
// it, with a fake ScanCommands and an injected clock for the resync limit.
#include "events/commands.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace scanhub::events {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

struct Refused {
  std::string text;
  std::string code;
  std::string original_type;
  std::string message_part;
};

TEST(ClientMessage, RefusesWhatItCannotReadWithAReason) {
  const std::string big = R"({"type":"ping","pad":")" + std::string(64 * 1024, 'x') + "\"}";
  const Refused cases[] = {
      {big, "MESSAGE_TOO_LARGE", "", "65536"},
      {"{\"type\":\"ping\",\"x\":\"\xC3\x28\"}", "INVALID_UTF8", "", "UTF-8"},
      {"\xFF", "INVALID_UTF8", "", "UTF-8"},
      {"", "PARSE_ERROR", "", "not JSON"},
      {"{\"type\":", "PARSE_ERROR", "", "not JSON"},
      {"[\"ping\"]", "PARSE_ERROR", "", "not a JSON object"},
      {std::string(100, '[') + std::string(100, ']'), "PARSE_ERROR", "", "not JSON"},
      {R"({"requestId": "a"})", "INVALID_FIELD", "", "type is required"},
      {R"({"type": 5})", "INVALID_FIELD", "", "type must be a string"},
      {R"({"type": "updateMovie", "movieId": 1})", "UNKNOWN_TYPE", "updateMovie", "does not handle updateMovie"},
      {R"({"type": "subscribe"})", "UNKNOWN_TYPE", "subscribe", "ping, resync"},
      {R"({"type": "resync", "scope": "movies"})", "INVALID_FIELD", "resync", "scope movies"},
      {R"({"type": "resync", "scope": 3})", "INVALID_FIELD", "resync", "scope must be"},
      {R"({"type": "startLibraryScan"})", "INVALID_FIELD", "startLibraryScan", "libraryId is required"},
      {R"({"type": "startLibraryScan", "libraryId": "4"})", "INVALID_FIELD", "startLibraryScan", "positive integer"},
      {R"({"type": "startLibraryScan", "libraryId": 0})", "INVALID_FIELD", "startLibraryScan", "positive integer"},
      {R"({"type": "startLibraryScan", "libraryId": 1.5})", "INVALID_FIELD", "startLibraryScan", "positive integer"},
      {R"({"type": "startLibraryScan", "libraryId": 18446744073709551615})", "INVALID_FIELD", "startLibraryScan", "positive integer"},
      {R"({"type": "cancelLibraryScan", "scanId": -3})", "INVALID_FIELD", "cancelLibraryScan", "scanId must be"},
      {R"({"type": "ping", "requestId": {"a": 1}})", "INVALID_FIELD", "ping", "requestId"},
      {R"({"type": "ping", "requestId": ")" + std::string(129, 'r') + "\"}", "INVALID_FIELD", "ping", "requestId"},
  };
  for (const auto& c : cases) {
    const auto parsed = parse_client_message(c.text);
    ASSERT_FALSE(parsed.has_value()) << c.text.substr(0, 80);
    EXPECT_EQ(parsed.error().code, c.code) << c.text.substr(0, 80);
    EXPECT_EQ(parsed.error().original_type, c.original_type) << c.text.substr(0, 80);
    EXPECT_NE(parsed.error().message.find(c.message_part), std::string::npos)
        << parsed.error().message << " for " << c.text.substr(0, 80);
  }
}

TEST(ClientMessage, ReadsMetarrsMessages) {
  auto ping = parse_client_message(R"({"type": "ping"})");
  ASSERT_TRUE(ping);
  EXPECT_TRUE(std::holds_alternative<Ping>(ping->command));
  EXPECT_TRUE(ping->request_id.is_null());

  auto resync = parse_client_message(R"({"type": "resync", "requestId": "r1"})");
  ASSERT_TRUE(resync);
  EXPECT_EQ(std::get<Resync>(resync->command).scope, ResyncScope::all);
  EXPECT_EQ(resync->request_id, "r1");
  EXPECT_EQ(std::get<Resync>(parse_client_message(R"({"type":"resync","scope":"scans"})")->command).scope,
            ResyncScope::scans);
  EXPECT_EQ(std::get<Resync>(parse_client_message(R"({"type":"resync","scope":"libraries"})")->command).scope,
            ResyncScope::libraries);

  auto start = parse_client_message(R"({"type": "startLibraryScan", "libraryId": 4, "requestId": 9, "extra": [1]})");
  ASSERT_TRUE(start);
  EXPECT_EQ(std::get<StartLibraryScan>(start->command).library_id, 4);
  EXPECT_EQ(start->request_id, 9);
  auto cancel = parse_client_message(R"({"type": "cancelLibraryScan", "scanId": 12.0})");
  ASSERT_TRUE(cancel);
  EXPECT_EQ(std::get<CancelLibraryScan>(cancel->command).scan_id, 12);
}

TEST(ClientMessage, AnErrorKeepsTheRequestIdAndCutsALongTypeOnACharacterBoundary) {
  const auto refused = parse_client_message(R"({"type":"nope","requestId":"abc"})");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().request_id, "abc");
  // 127 ASCII bytes, then a 2-byte character across the 128-byte cut.
  const std::string type = std::string(127, 'a') + "\xC3\xA9" + "zzz";
  const auto cut = parse_client_message("{\"type\":\"" + type + "\"}");
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().original_type, std::string(127, 'a'));
}

class FakeCommands : public ScanCommands {
 public:
  std::vector<core::Library> libraries() override {
    ++library_reads;
    core::Library l;
    l.id = 4;
    l.name = "Movies";
    l.path = "/srv/movies";
    return {l};
  }
  std::vector<core::ScanSnapshot> scans() override { return {}; }
  std::expected<Started, CommandError> start_library_scan(core::LibraryId id) override {
    if (id == 4) return Started{31, false};
    if (id == 5) return Started{30, true};
    if (id == 6) throw std::runtime_error("database is locked");
    if (id == 7) return std::unexpected(CommandError{"CONFLICT", "scan 2 holds library 7"});
    return std::unexpected(CommandError{"NOT_FOUND", "no library " + std::to_string(id)});
  }
  std::expected<void, CommandError> cancel_scan(core::ScanId id) override {
    if (id == 31) return {};
    return std::unexpected(CommandError{"NOT_FOUND", "scan " + std::to_string(id) + " is not running"});
  }
  int library_reads = 0;
};

struct HandlerTest : ::testing::Test {
  std::chrono::steady_clock::time_point steady{};
  TokenBucket bucket{kResyncBurst, kResyncPerSecond, [this] { return steady; }};
  FakeCommands commands;
  core::TimePoint now = *core::parse_iso8601("2025-10-15T12:00:00.000Z");

  json::object answer(std::string_view text) {
    return json::parse(serialize(handle_client_text(text, commands, bucket, now))).as_object();
  }
};

TEST_F(HandlerTest, PingGetsPongWithItsRequestId) {
  const auto a = answer(R"({"type":"ping","requestId":"p1"})");
  EXPECT_EQ(a.at("type"), "pong");
  EXPECT_EQ(a.at("requestId"), "p1");
  EXPECT_EQ(a.at("serverTime"), "2025-10-15T12:00:00.000Z");
}

TEST_F(HandlerTest, StartAndCancelAreAckedOrRefused) {
  auto a = answer(R"({"type":"startLibraryScan","libraryId":4,"requestId":"s"})");
  EXPECT_EQ(a.at("type"), "ack");
  EXPECT_EQ(a.at("originalType"), "startLibraryScan");
  EXPECT_EQ(a.at("success"), true);
  EXPECT_EQ(a.at("scanId"), 31);
  EXPECT_EQ(a.at("message"), "scan 31 of library 4 started");
  EXPECT_EQ(a.at("requestId"), "s");
  a = answer(R"({"type":"startLibraryScan","libraryId":5})");
  EXPECT_EQ(a.at("alreadyRunning"), true);
  EXPECT_EQ(a.at("message"), "scan 30 of library 5 is already running");

  a = answer(R"({"type":"startLibraryScan","libraryId":99})");
  EXPECT_EQ(a.at("type"), "error");
  EXPECT_EQ(a.at("originalType"), "startLibraryScan");
  EXPECT_EQ(a.at("code"), "NOT_FOUND");
  EXPECT_EQ(a.at("error"), "no library 99");
  EXPECT_EQ(answer(R"({"type":"startLibraryScan","libraryId":7})").at("code"), "CONFLICT");
  a = answer(R"({"type":"startLibraryScan","libraryId":6,"requestId":1})");
  EXPECT_EQ(a.at("code"), "INTERNAL_ERROR");
  EXPECT_EQ(a.at("requestId"), 1);

  EXPECT_EQ(answer(R"({"type":"cancelLibraryScan","scanId":31})").at("type"), "ack");
  EXPECT_EQ(answer(R"({"type":"cancelLibraryScan","scanId":32})").at("error"), "scan 32 is not running");
}

TEST_F(HandlerTest, AMalformedMessageGetsAnError) {
  const auto a = answer("{nope");
  EXPECT_EQ(a.at("type"), "error");
  EXPECT_EQ(a.at("code"), "PARSE_ERROR");
  EXPECT_FALSE(a.contains("originalType"));
}

TEST_F(HandlerTest, ResyncFloodsAreLimitedPerConnection) {
  for (int i = 0; i < 5; ++i) {
    const auto a = answer(R"({"type":"resync","scope":"libraries"})");
    ASSERT_EQ(a.at("type"), "resyncData") << i;
    EXPECT_EQ(a.at("data").at("libraries").as_array().size(), 1u);
  }
  auto a = answer(R"({"type":"resync","requestId":"r6"})");
  EXPECT_EQ(a.at("type"), "error");
  EXPECT_EQ(a.at("code"), "RATE_LIMITED");
  EXPECT_EQ(a.at("originalType"), "resync");
  EXPECT_EQ(a.at("requestId"), "r6");
  EXPECT_EQ(a.at("error"), "too many resync requests: try again in 1000 ms");
  EXPECT_EQ(commands.library_reads, 5) << "a refused resync reads nothing";
  steady += 999ms;
  EXPECT_EQ(answer(R"({"type":"resync"})").at("type"), "error");
  steady += 1ms;
  EXPECT_EQ(answer(R"({"type":"resync"})").at("type"), "resyncData");
  EXPECT_EQ(answer(R"({"type":"ping"})").at("type"), "pong") << "pings are not limited";
}

TEST(TokenBucket, RefillsAtItsRateUpToItsBurst) {
  std::chrono::steady_clock::time_point t{};
  TokenBucket bucket(2, 4, [&] { return t; });
  EXPECT_TRUE(bucket.try_take());
  EXPECT_TRUE(bucket.try_take());
  EXPECT_FALSE(bucket.try_take());
  EXPECT_EQ(bucket.retry_after(), 250ms);
  t += 10s;  // never more than the burst
  EXPECT_TRUE(bucket.try_take());
  EXPECT_TRUE(bucket.try_take());
  EXPECT_FALSE(bucket.try_take());
  t -= 5s;  // a clock going back adds nothing
  EXPECT_FALSE(bucket.try_take());
}

}  // namespace
}  // namespace scanhub::events
