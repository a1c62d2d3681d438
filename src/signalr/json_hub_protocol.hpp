#pragma once
// The JSON hub protocol: parsing the records clients send and writing the records the server
// sends. Pure functions, no I/O, callable from any thread.
//
// Source: HubProtocol.md in dotnet/aspnetcore, "HandshakeRequest", "JSON Encoding" and its
// message encodings. Input records come from RecordReader (separator already removed); every
// write_* function returns one complete record including its trailing 0x1E.
//
// Errors: untrusted input never throws; parse_* return std::unexpected(reason) with a short,
// client-safe reason (sent back in a Close message or handshake error). Writers throw only
// std::bad_alloc. Every writer serializes through text::serialize_json, so a record is
// well-formed UTF-8 (a WebSocket text frame must be) even when a string holds other bytes (a
// file name): those bytes go out as U+FFFD.

#include "signalr/hub.hpp"

#include <boost/json/array.hpp>

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace scanhub::signalr {

/// Message type numbers of the hub protocol.
enum class MessageType : std::int64_t {
  kInvocation = 1,
  kStreamItem = 2,
  kCompletion = 3,
  kStreamInvocation = 4,
  kCancelInvocation = 5,
  kPing = 6,
  kClose = 7,
  kAck = 8,
  kSequence = 9,
};

struct HandshakeRequest {
  std::string protocol;
  std::int64_t version = 0;
};

/// Type 1. No invocation id: a non-blocking invocation that gets no completion.
struct InvocationMessage {
  std::optional<std::string> invocation_id;
  std::string target;
  boost::json::array arguments;
  bool has_stream_ids = false;  ///< client-to-server streaming (not supported by this server)
};
/// Type 4.
struct StreamInvocationMessage {
  std::string invocation_id;
  std::string target;
};
/// Type 5.
struct CancelInvocationMessage {
  std::string invocation_id;
};
/// Types 2 and 3 from a client (stream uploads, client results): well-formed, not used here.
struct ClientResultMessage {
  MessageType type;
  std::string invocation_id;
};
/// Type 6.
struct PingMessage {};
/// Type 7.
struct CloseMessage {
  std::optional<std::string> error;
};
/// Type 8 (stateful reconnect): the peer received every message up to and including
/// `sequence_id` (message ids start at 1 per direction and count only Invocation, StreamItem,
/// Completion, StreamInvocation and CancelInvocation messages).
struct AckMessage {
  std::int64_t sequence_id = 0;
};
/// Type 9 (stateful reconnect): sent first after a reconnect; the next message that counts
/// has id `sequence_id` (the id of the oldest unacknowledged message, as the clients send it).
struct SequenceMessage {
  std::int64_t sequence_id = 0;
};
/// Types this server does not know: ignored, as ASP.NET Core ignores unknown types for
/// forward compatibility.
struct IgnoredMessage {
  std::int64_t type = 0;
};

using HubMessage =
    std::variant<InvocationMessage, StreamInvocationMessage, CancelInvocationMessage,
                 ClientResultMessage, PingMessage, CloseMessage, AckMessage, SequenceMessage,
                 IgnoredMessage>;

/// Whether a message of this type counts in stateful reconnect's sequence ids (HubProtocol.md
/// "Ack"/"Sequence"; the clients' MessageBuffer._isInvocationMessage).
constexpr bool is_sequenced(MessageType type) noexcept {
  return type == MessageType::kInvocation || type == MessageType::kStreamItem ||
         type == MessageType::kCompletion || type == MessageType::kStreamInvocation ||
         type == MessageType::kCancelInvocation;
}
/// Whether a parsed message counts in the sequence (see is_sequenced(MessageType)).
bool is_sequenced(const HubMessage& message) noexcept;

/// Parses the handshake record (always JSON, whatever protocol it asks for). Checks shape and
/// types only; whether the protocol and version are supported is the caller's decision.
std::expected<HandshakeRequest, std::string> parse_handshake_request(std::string_view record);

/// Parses one JSON hub protocol record. Property order is free; `headers` must be an object of
/// strings and is otherwise ignored; unknown properties are ignored.
std::expected<HubMessage, std::string> parse_json_message(std::string_view record);

/// `{}` or `{"error":"..."}` as the handshake response.
std::string write_handshake_response(std::string_view error = {});
/// A Completion for `invocation_id`: `result` (null included) or `error`. In `result` and in
/// write_invocation's `arguments`, NaN and infinities are written as null, as JavaScript's
/// JSON.stringify does (JSON has no such numbers).
std::string write_completion(std::string_view invocation_id, const InvocationResult& outcome);
/// An Invocation of client method `target`, without invocation id (server-to-client calls
/// expect no completion).
std::string write_invocation(std::string_view target, const boost::json::array& arguments);
/// `{"type":6}`.
std::string_view ping_record() noexcept;
/// A Close message; `error` empty means a normal close.
std::string write_close(std::string_view error, bool allow_reconnect);
/// `{"type":8,"sequenceId":N}`.
std::string write_ack(std::int64_t sequence_id);
/// `{"type":9,"sequenceId":N}`.
std::string write_sequence(std::int64_t sequence_id);

}  // namespace scanhub::signalr
