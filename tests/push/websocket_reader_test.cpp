// Tests of the client-frame reader (src/push/websocket_reader.hpp) and the opening handshake
// (src/push/websocket_handshake.hpp): frames split at every byte, fragmentation with control
// frames between, and each violation RFC 6455 names, with the close code to answer it with.
#include "push/websocket_handshake.hpp"
#include "push/websocket_reader.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace scanhub::push {
namespace {

namespace http = boost::beast::http;

// A client frame: FIN/RSV/opcode byte as given, masked with a fixed key.
std::string frame(std::uint8_t first, std::string_view payload, bool masked = true,
                  int length_form = 0) {
  std::string out;
  out += static_cast<char>(first);
  const std::uint8_t mask_bit = masked ? 0x80 : 0;
  const std::size_t size = payload.size();
  if (length_form == 0 && size < 126) {
    out += static_cast<char>(mask_bit | size);
  } else if (length_form == 126 || (length_form == 0 && size <= 0xffff)) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(size >> 8);
    out += static_cast<char>(size & 0xff);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i) out += static_cast<char>((std::uint64_t{size} >> (8 * i)) & 0xff);
  }
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) out.append(key, 4);
  for (std::size_t i = 0; i < size; ++i) {
    out += masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i];
  }
  return out;
}

std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string out;
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xff);
  out += reason;
  return out;
}

struct Recorder final : WebSocketReader::Handler {
  bool on_message_data(std::string_view bytes, bool text, bool end) override {
    current += bytes;
    if (end) {
      messages.push_back((text ? "T:" : "B:") + current);
      current.clear();
    }
    return !pause;
  }
  void on_ping(std::string_view payload) override {
    events.push_back("ping:" + std::string(payload));
  }
  void on_pong(std::string_view payload) override {
    events.push_back("pong:" + std::string(payload));
  }
  void on_close(std::uint16_t code, std::string_view reason) override {
    events.push_back("close:" + std::to_string(code) + ":" + std::string(reason));
  }

  bool pause = false;
  std::string current;
  std::vector<std::string> messages;
  std::vector<std::string> events;
};

WebSocketReader::Status feed(WebSocketReader& reader, std::string bytes, Recorder& recorder) {
  return reader.feed(std::span<char>(bytes.data(), bytes.size()), recorder);
}

TEST(WebSocketReader, ReadsEveryFrameWhateverTheChunks) {
  const std::string big(70'000, 'x');
  const std::string wire = frame(0x81, "hello") + frame(0x01, "frag") + frame(0x89, "p1") +
                           frame(0x80, "mented") + frame(0x82, big) + frame(0x8A, "") +
                           frame(0x81, "") + frame(0x88, close_payload(1000, "bye"));
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7},
                            std::size_t{4096}, wire.size()}) {
    SCOPED_TRACE(chunk);
    WebSocketReader reader;
    Recorder recorder;
    WebSocketReader::Status status = WebSocketReader::Status::kMore;
    for (std::size_t at = 0; at < wire.size(); at += chunk) {
      status = feed(reader, wire.substr(at, chunk), recorder);
      if (status == WebSocketReader::Status::kClosed) break;
      ASSERT_EQ(status, WebSocketReader::Status::kMore);
    }
    EXPECT_EQ(status, WebSocketReader::Status::kClosed);
    EXPECT_EQ(recorder.messages,
              (std::vector<std::string>{"T:hello", "T:fragmented", "B:" + big, "T:"}));
    EXPECT_EQ(recorder.events, (std::vector<std::string>{"ping:p1", "pong:", "close:1000:bye"}));
  }
}

TEST(WebSocketReader, ACloseWithoutPayloadIs1005AndEndsReading) {
  WebSocketReader reader;
  Recorder recorder;
  EXPECT_EQ(feed(reader, frame(0x88, "") + frame(0x81, "after"), recorder),
            WebSocketReader::Status::kClosed);
  EXPECT_EQ(recorder.events, std::vector<std::string>{"close:1005:"});
  EXPECT_TRUE(recorder.messages.empty());
}

TEST(WebSocketReader, APausingHandlerStillGetsTheBytesGiven) {
  WebSocketReader reader;
  Recorder recorder;
  recorder.pause = true;
  EXPECT_EQ(feed(reader, frame(0x81, "a") + frame(0x81, "b"), recorder),
            WebSocketReader::Status::kPaused);
  EXPECT_EQ(recorder.messages, (std::vector<std::string>{"T:a", "T:b"}));
}

struct Violation {
  const char* name;
  std::string wire;
  std::uint16_t code;
  std::uint64_t max_message_size = 0;
};

class WebSocketReaderViolation : public testing::TestWithParam<Violation> {};

TEST_P(WebSocketReaderViolation, FailsWithTheCodeToCloseWith) {
  const auto& violation = GetParam();
  WebSocketReader reader(violation.max_message_size);
  Recorder recorder;
  EXPECT_EQ(feed(reader, violation.wire, recorder), WebSocketReader::Status::kFailed);
  EXPECT_EQ(reader.failure().code, violation.code) << reader.failure().reason;
  EXPECT_FALSE(reader.failure().reason.empty());
  // Nothing more is read after a failure.
  EXPECT_EQ(feed(reader, frame(0x81, "more"), recorder), WebSocketReader::Status::kFailed);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc6455, WebSocketReaderViolation,
    testing::Values(
        Violation{"unmasked", frame(0x81, "x", false), 1002},
        Violation{"rsv1", frame(0xC1, "x"), 1002},
        Violation{"rsv3", frame(0x91, "x"), 1002},
        Violation{"opcode3", frame(0x83, "x"), 1002},
        Violation{"opcodeB", frame(0x8B, "x"), 1002},
        Violation{"fragmented_ping", frame(0x09, "x"), 1002},
        Violation{"long_ping", frame(0x89, std::string(126, 'p')), 1002},
        Violation{"length16_short", frame(0x81, "short", true, 126), 1002},
        Violation{"length64_short", frame(0x81, "short", true, 127), 1002},
        Violation{"length64_top_bit",
                  std::string("\x81\xff\x80\x00\x00\x00\x00\x01\x00\x00", 10) + "abcd", 1002},
        Violation{"continuation_alone", frame(0x80, "x"), 1002},
        Violation{"new_message_inside", frame(0x01, "a") + frame(0x81, "b"), 1002},
        Violation{"close_one_byte", frame(0x88, "x"), 1002},
        Violation{"close_1005", frame(0x88, close_payload(1005)), 1002},
        Violation{"close_999", frame(0x88, close_payload(999)), 1002},
        Violation{"close_2000", frame(0x88, close_payload(2000)), 1002},
        Violation{"close_reason_not_utf8", frame(0x88, close_payload(1000, "\xff")), 1007},
        Violation{"text_not_utf8", frame(0x81, "ok \xc3\x28"), 1007},
        Violation{"text_cut_sequence", frame(0x81, "\xe2\x82"), 1007},
        Violation{"text_split_bad", frame(0x01, "\xe2\x82") + frame(0x80, "x"), 1007},
        Violation{"too_big", frame(0x81, std::string(11, 'a')), 1009, 10},
        Violation{"too_big_fragments", frame(0x01, "123456") + frame(0x80, "789012"), 1009, 10}),
    [](const testing::TestParamInfo<Violation>& param) { return std::string(param.param.name); });

TEST(WebSocketReader, UTF8SplitAcrossFramesAndReadsIsValid) {
  const std::string euro = "\xe2\x82\xac";
  const std::string wire = frame(0x01, euro.substr(0, 1)) + frame(0x80, euro.substr(1));
  WebSocketReader reader;
  Recorder recorder;
  for (char byte : wire) {
    ASSERT_NE(feed(reader, std::string(1, byte), recorder), WebSocketReader::Status::kFailed);
  }
  EXPECT_EQ(recorder.messages, std::vector<std::string>{"T:" + euro});
}

http::request<http::string_body> upgrade_request() {
  http::request<http::string_body> request{http::verb::get, "/ws", 11};
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::connection, "keep-alive, Upgrade");
  request.set(http::field::upgrade, "websocket");
  request.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  request.set(http::field::sec_websocket_version, "13");
  return request;
}

TEST(WebSocketHandshake, AcceptsWithTheKeyOfRfc6455) {
  auto response = websocket_upgrade_response(upgrade_request());
  ASSERT_TRUE(response) << response.error().message;
  // RFC 6455 section 1.3's example key and its accept value.
  EXPECT_NE(response->find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            std::string::npos);
  EXPECT_TRUE(response->starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
  EXPECT_TRUE(response->ends_with("\r\n\r\n"));
}

TEST(WebSocketHandshake, RefusesWhatRfc6455Refuses) {
  auto refused = [](auto change) {
    auto request = upgrade_request();
    change(request);
    auto response = websocket_upgrade_response(request);
    return response ? 0u : response.error().status;
  };
  EXPECT_EQ(refused([](auto& r) { r.version(10); }), 400u);
  EXPECT_EQ(refused([](auto& r) { r.method(http::verb::post); }), 400u);
  EXPECT_EQ(refused([](auto& r) { r.erase(http::field::host); }), 400u);
  EXPECT_EQ(refused([](auto& r) { r.set(http::field::connection, "keep-alive"); }), 400u);
  EXPECT_EQ(refused([](auto& r) { r.set(http::field::upgrade, "h2c"); }), 400u);
  EXPECT_EQ(refused([](auto& r) { r.erase(http::field::sec_websocket_key); }), 400u);
  EXPECT_EQ(refused([](auto& r) { r.set(http::field::sec_websocket_key, std::string(40, 'k')); }),
            400u);
  EXPECT_EQ(refused([](auto& r) { r.erase(http::field::sec_websocket_version); }), 400u);
  EXPECT_EQ(refused([](auto& r) { r.set(http::field::sec_websocket_version, "8"); }), 426u);
}

}  // namespace
}  // namespace scanhub::push
