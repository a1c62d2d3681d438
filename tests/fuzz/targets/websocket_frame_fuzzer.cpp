// libFuzzer target: the bytes a WebSocket client sends after the opening handshake, read as the
// server reads them (src/push/websocket_reader.hpp), in chunks whose sizes come from the input
// too (a frame split anywhere across reads).
//
// Besides "no crash, no leak, no undefined behaviour, bounded memory" it checks properties:
// - the chunking changes nothing: the same whole messages, control frames, status and failure
//   as when every byte arrives at once;
// - a failure carries a close code the server may send for it (1002, 1007 or 1009) and a
//   reason; nothing is reported after a Close or a failure;
// - every Text message is valid UTF-8 (RFC 6455 8.1); every message fits the size limit;
//   control payloads are at most 125 bytes (5.5).
// Input: byte 0 chooses the message size limit, byte 1 seeds the chunk sizes, the rest is the
// client's stream (the mask key is part of it, as on the wire).

#include "fuzz_checks.hpp"

#include "push/websocket_reader.hpp"

#include <boost/beast/websocket/detail/utf8_checker.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace {
using scanhub::fuzz::check;
using scanhub::push::WebSocketReader;

struct Recorder final : WebSocketReader::Handler {
  bool on_message_data(std::string_view bytes, bool text, bool end) override {
    check(!ended, "an event after a Close or a failure");
    current.append(bytes);
    if (end) {
      messages.push_back((text ? "T" : "B") + current);
      if (text) {
        boost::beast::websocket::detail::utf8_checker utf8;
        check(utf8.write(reinterpret_cast<const std::uint8_t*>(current.data()), current.size()) &&
                  utf8.finish(),
              "a Text message that is not UTF-8");
      }
      check(limit == 0 || current.size() <= limit, "a message over the limit");
      current.clear();
    }
    return true;
  }
  void on_ping(std::string_view payload) override { control('P', payload); }
  void on_pong(std::string_view payload) override { control('O', payload); }
  void on_close(std::uint16_t code, std::string_view reason) override {
    control('C', std::to_string(code) + ":" + std::string(reason));
    ended = true;
  }
  void control(char kind, std::string_view payload) {
    check(!ended, "an event after a Close or a failure");
    check(kind == 'C' || payload.size() <= 125, "a control payload over 125 bytes");
    messages.push_back(kind + std::string(payload));
  }

  std::uint64_t limit = 0;
  bool ended = false;
  std::string current;
  std::vector<std::string> messages;
};

struct Outcome {
  std::vector<std::string> messages;
  WebSocketReader::Status status = WebSocketReader::Status::kMore;
  std::uint16_t code = 0;
};

Outcome read(std::string bytes, std::uint64_t limit, std::uint8_t seed) {
  WebSocketReader reader(limit);
  Recorder recorder;
  recorder.limit = limit;
  Outcome outcome;
  std::size_t at = 0;
  std::uint32_t state = seed;
  while (at < bytes.size()) {
    std::size_t chunk = bytes.size() - at;
    if (seed != 0) {
      state = state * 1103515245u + 12345u;
      chunk = std::min<std::size_t>(chunk, 1 + (state >> 16) % 17);
    }
    outcome.status = reader.feed(std::span<char>(bytes.data() + at, chunk), recorder);
    at += chunk;
    if (outcome.status == WebSocketReader::Status::kFailed ||
        outcome.status == WebSocketReader::Status::kClosed) {
      break;
    }
  }
  if (outcome.status == WebSocketReader::Status::kFailed) {
    const auto code = reader.failure().code;
    check(code == 1002 || code == 1007 || code == 1009, "a failure code the server may not send");
    check(!reader.failure().reason.empty(), "a failure without a reason");
    outcome.code = code;
    recorder.ended = true;
  }
  // The bytes of a message not finished (the input ended, or a failure came first) depend on
  // the chunks by nature (they are handed on as they arrive): only whole messages compare.
  outcome.messages = std::move(recorder.messages);
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static constexpr std::uint64_t kLimits[] = {0, 1, 16, 125, 126, 1000, 65536};
  const std::uint64_t limit = kLimits[data[0] % std::size(kLimits)];
  const std::string bytes(reinterpret_cast<const char*>(data + 2), size - 2);
  const Outcome whole = read(bytes, limit, 0);
  const Outcome chunked = read(bytes, limit, data[1] | 1);
  // A partial message's bytes depend on where the input ends, not on the chunks.
  check(whole.status == chunked.status, "the status depends on the chunking");
  check(whole.code == chunked.code, "the failure depends on the chunking");
  check(whole.messages == chunked.messages, "the messages depend on the chunking");
  return 0;
}
