#pragma once
// The reading side of one SignalR connection: the client's bytes, in whatever chunks the
// transport delivers them, become records (the handshake request and the JSON protocol's
// 0x1E-terminated records, or MessagePack's length-prefixed frames) and then hub messages.
// Every record is bounded by HubOptions::max_receive_message_size.
//
// Source: HubProtocol.md (handshake, "JSON Encoding", "MessagePack (MsgPack) encoding").
// Used by HubConnection on its strand only; not thread-safe. Untrusted input never throws:
// a malformed message is a std::unexpected reason. Throws only std::bad_alloc.

#include "signalr/json_hub_protocol.hpp"
#include "signalr/msgpack_hub_protocol.hpp"
#include "signalr/record_reader.hpp"

#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace scanhub::signalr {

class MessageReader {
 public:
  /// `max_message_size`: the largest record accepted (separator or length prefix excluded).
  explicit MessageReader(std::size_t max_message_size)
      : max_message_size_(max_message_size), reader_(RecordReader(max_message_size)) {}

  /// Appends bytes from the client. False when a record is longer than the limit (or a
  /// MessagePack length prefix is malformed): the reader then refuses further input.
  /// Invalidates every view returned before.
  [[nodiscard]] bool append(std::string_view bytes);

  /// The next complete text record (the handshake request), or nullopt.
  std::optional<std::string_view> next_record();
  /// The next complete message in the connection's protocol (JSON until use_msgpack()),
  /// parsed, or nullopt when none is complete yet.
  std::optional<std::expected<HubMessage, std::string>> next_message();

  /// The handshake chose MessagePack: what arrived after the handshake request, and everything
  /// after it, is read as MessagePack frames. False when those bytes exceed the limit.
  [[nodiscard]] bool use_msgpack();
  /// Drops what was returned and gives back a large record's room (record_reader.hpp).
  void compact();
  /// Drops partial input and starts over in the same protocol (a resumed connection's client
  /// sends its unacknowledged messages again from the start of a record).
  void restart();

  std::size_t max_message_size() const noexcept { return max_message_size_; }

 private:
  std::size_t max_message_size_;
  // The handshake and JSON, or MessagePack: one reader at a time.
  std::variant<RecordReader, LengthPrefixedReader> reader_;
};

}  // namespace scanhub::signalr
