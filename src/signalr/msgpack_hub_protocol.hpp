#pragma once
// The MessagePack hub protocol: varint length-prefixed framing, parsing the messages clients
// send and writing the messages the server sends. Pure functions and one per-connection frame
// reader; no I/O. The handshake itself stays JSON (json_hub_protocol.hpp).
//
// Source: HubProtocol.md in dotnet/aspnetcore, "MessagePack (MsgPack) encoding": every message
// is `VarInt(length) + MessagePack array`; Invocation [1, Headers, InvocationId|nil, Target,
// [Arguments], [StreamIds]?], StreamInvocation [4, Headers, InvocationId, Target, [Arguments],
// [StreamIds]?], Completion [3, Headers, InvocationId, ResultKind(1 error, 2 void, 3 result),
// Result?], CancelInvocation [5, Headers, InvocationId], Ping [6], Close [7, Error|nil,
// AllowReconnect?], Ack [8, SequenceId], Sequence [9, SequenceId]. Arguments become boost::json values for the Hub interface (see
// msgpack_codec.hpp for the mapping; bin arrives as a base64 string, extensions are refused).
//
// Errors: untrusted input never throws; parse_msgpack_message returns std::unexpected(reason)
// with a short, client-safe reason for the Close message. Writers throw only std::bad_alloc and
// return one complete framed message (length prefix included).

#include "signalr/hub.hpp"
#include "signalr/json_hub_protocol.hpp"

#include <boost/json/array.hpp>

#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace scanhub::signalr {

/// Reassembles varint length-prefixed messages from arbitrary chunks (several in one transport
/// message, one split over several). One per connection, used on its strand only.
class LengthPrefixedReader {
 public:
  /// `max_message_size`: the largest payload accepted (prefix excluded), in bytes.
  explicit LengthPrefixedReader(std::size_t max_message_size)
      : max_message_size_(max_message_size) {}

  /// Appends received bytes. Returns false when a length prefix is malformed (more than five
  /// bytes, or above 2^31 - 1) or announces more than the limit; the reader then refuses
  /// further input. Invalidates views returned by next().
  [[nodiscard]] bool append(std::string_view bytes);
  /// The next complete payload without its prefix, or nullopt when none is complete yet.
  /// The view stays valid until the next append().
  std::optional<std::string_view> next();
  /// As RecordReader::compact: drops what next() returned, gives back spare room beyond a few
  /// KiB. Invalidates views returned by next().
  void compact();
  std::size_t capacity() const noexcept { return buffer_.capacity(); }
  bool failed() const noexcept { return failed_; }

 private:
  /// Checks every prefix that is complete in the buffer; false on a bad one.
  bool check_prefixes();

  std::size_t max_message_size_;
  std::string buffer_;
  std::size_t consumed_ = 0;  // prefix of buffer_ already returned by next()
  std::size_t checked_ = 0;   // offset of the first message whose prefix is not checked yet
  bool failed_ = false;
};

/// Parses one MessagePack hub message (the payload, without its length prefix). The whole
/// payload must be one array; trailing bytes are an error. Headers must be a map of strings.
std::expected<HubMessage, std::string> parse_msgpack_message(std::string_view payload);

/// Completion for `invocation_id`: result kind 3 with the value (a null result as nil, so
/// invoke() resolves with null as over JSON), or kind 1 with the error.
std::string write_msgpack_completion(std::string_view invocation_id,
                                     const InvocationResult& outcome);
/// Invocation of client method `target` without invocation id (no completion expected).
std::string write_msgpack_invocation(std::string_view target, const boost::json::array& arguments);
/// `[6]`, framed.
std::string_view msgpack_ping_record() noexcept;
/// Close; `error` empty writes nil.
std::string write_msgpack_close(std::string_view error, bool allow_reconnect);
/// `[8, sequenceId]`, framed.
std::string write_msgpack_ack(std::int64_t sequence_id);
/// `[9, sequenceId]`, framed.
std::string write_msgpack_sequence(std::int64_t sequence_id);

}  // namespace scanhub::signalr
