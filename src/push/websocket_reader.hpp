#pragma once
// Reads the frames a WebSocket client sends to a server, incrementally, from bytes in whatever
// chunks they arrive: unmasks payloads in place and hands them on as they come (a message is
// never buffered whole), answers nothing itself (the caller writes Pongs and the closing
// handshake, websocket.hpp), and refuses what RFC 6455 forbids with the close code to send.
//
// Source: RFC 6455 sections 5.1-5.7 (framing, masking, fragmentation, control frames), 7.4
// (status codes) and 8.1 (text must be UTF-8). No extension is ever negotiated, so every RSV bit
// must be 0. Checks as Beast's server stream makes them:
//   1002 protocol error: an unmasked frame, a RSV bit, an unknown opcode, a control frame that
//        is fragmented or longer than 125 bytes, a length not in its shortest form or with the
//        top bit set, a continuation outside a message or a new message inside one, a close
//        payload of one byte or with a code that may not be sent;
//   1007 invalid data: a text message or a close reason that is not UTF-8;
//   1009 too big: a message longer than `max_message_size`.
//
// Untrusted input: never throws, never asserts, keeps at most 125 bytes (a control frame's
// payload split across reads) besides a few of header. Used on one connection's strand (not
// thread-safe); tests/fuzz feeds it arbitrary bytes.

#include <boost/beast/websocket/detail/utf8_checker.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace scanhub::push {

/// A close status of RFC 6455 section 7.4.1 with its reason (static storage).
struct WebSocketClose {
  std::uint16_t code = 1000;
  std::string_view reason;
};

class WebSocketReader {
 public:
  /// What the reader found, called from inside feed().
  class Handler {
   public:
    /// Payload bytes of a data message (`text`: opcode Text), in order; `end`: the message's
    /// last bytes (possibly none). Returns false when the caller wants no more messages for now
    /// (feed() still finishes the bytes it was given).
    virtual bool on_message_data(std::string_view bytes, bool text, bool end) = 0;
    virtual void on_ping(std::string_view payload) = 0;
    virtual void on_pong(std::string_view payload) = 0;
    /// The client's Close: code 1005 when its payload had none.
    virtual void on_close(std::uint16_t code, std::string_view reason) = 0;

   protected:
    ~Handler() = default;
  };

  enum class Status {
    kMore,    ///< every byte read; feed more
    kPaused,  ///< a handler returned false; the bytes were read all the same
    kClosed,  ///< a Close frame was read; bytes after it are ignored
    kFailed,  ///< a protocol violation: close with failure()
  };

  /// `max_message_size`: bytes per message (all its frames), 0 for no limit.
  explicit WebSocketReader(std::uint64_t max_message_size = 0)
      : max_message_size_(max_message_size) {}
  // Beast's utf8_checker points into itself: not copyable.
  WebSocketReader(const WebSocketReader&) = delete;
  WebSocketReader& operator=(const WebSocketReader&) = delete;

  /// Reads `bytes` (unmasked in place) and reports what they hold to `handler`.
  Status feed(std::span<char> bytes, Handler& handler);

  /// Why the reader failed (kFailed), and what to send in the server's Close.
  const WebSocketClose& failure() const noexcept { return failure_; }

 private:
  enum class Stage : std::uint8_t { kHeader, kPayload, kClosed, kFailed };
  enum Opcode : std::uint8_t {
    kContinuation = 0x0, kText = 0x1, kBinary = 0x2, kClose = 0x8, kPing = 0x9, kPong = 0xA
  };

  /// Takes header bytes; true once the whole header is there and checked.
  bool read_header(std::span<char>& bytes);
  bool check_header();
  Status fail(std::uint16_t code, std::string_view reason) noexcept;
  Status payload(std::span<char>& bytes, Handler& handler);
  Status end_control(Handler& handler);

  std::uint64_t max_message_size_;
  std::uint64_t remaining_ = 0;      // payload bytes of the current frame still to come
  std::uint64_t message_size_ = 0;   // bytes of the current data message so far
  std::string control_;              // a control frame's payload, until it is complete
  boost::beast::websocket::detail::utf8_checker utf8_;  // of the current text message
  WebSocketClose failure_{};
  std::uint8_t header_[14]{};        // the frame header as it arrives
  std::uint8_t header_size_ = 0;     // bytes of header_ filled
  std::uint8_t mask_[4]{};
  std::uint8_t mask_offset_ = 0;     // payload bytes unmasked so far, modulo 4
  std::uint8_t opcode_ = 0;          // of the current frame
  std::uint8_t message_opcode_ = 0;  // kText or kBinary while a message is open, else 0
  bool fin_ = false;
  Stage stage_ = Stage::kHeader;
};

}  // namespace scanhub::push
