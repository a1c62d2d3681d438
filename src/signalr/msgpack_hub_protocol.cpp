#include "signalr/msgpack_hub_protocol.hpp"

#include "signalr/msgpack_codec.hpp"
#include "signalr/record_reader.hpp"

#include <boost/json/value.hpp>

#include <fmt/format.h>

namespace scanhub::signalr {
namespace json = boost::json;

namespace {

using Reason = std::unexpected<std::string>;

// HubProtocol.md: the length is a VarInt of at most 5 bytes, 7 bits per byte, least
// significant group first, high bit set on every byte but the last; at most 2 GB.
constexpr std::size_t kMaxPrefixBytes = 5;
constexpr std::uint64_t kMaxLength = 0x7fffffff;

enum class Prefix { kIncomplete, kBad, kOk };

Prefix read_prefix(std::string_view bytes, std::uint64_t& length, std::size_t& prefix_size) {
  length = 0;
  for (std::size_t i = 0; i < kMaxPrefixBytes; ++i) {
    if (i >= bytes.size()) return Prefix::kIncomplete;
    const auto byte = static_cast<unsigned char>(bytes[i]);
    length |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      prefix_size = i + 1;
      return length <= kMaxLength ? Prefix::kOk : Prefix::kBad;
    }
  }
  return Prefix::kBad;
}

void put_prefix(std::string& out, std::size_t length) {
  do {
    auto byte = static_cast<unsigned char>(length & 0x7f);
    length >>= 7;
    if (length != 0) byte |= 0x80;
    out += static_cast<char>(byte);
  } while (length != 0);
}

std::string framed(const std::string& payload) {
  std::string out;
  out.reserve(payload.size() + kMaxPrefixBytes);
  put_prefix(out, payload.size());
  out += payload;
  return out;
}

std::optional<std::int64_t> as_integer(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  return std::nullopt;  // uint64 values above INT64_MAX are no message type or kind
}

Reason wrong_type(std::string_view name, std::string_view type) {
  return Reason(fmt::format("Expected '{}' to be of type {}.", name, type));
}

std::optional<std::string> check_headers(const json::value& headers) {
  if (!headers.is_object()) return wrong_type("headers", "Map").error();
  for (const auto& entry : headers.get_object()) {
    if (!entry.value().is_string()) return wrong_type("headers", "Map of String").error();
  }
  return std::nullopt;
}

std::expected<std::string, std::string> required_string(const json::value& v,
                                                        std::string_view name) {
  if (!v.is_string()) return wrong_type(name, "String");
  return std::string(v.get_string());
}

// [type, headers, invocationId|nil, target, [arguments], [streamIds]?]
std::expected<HubMessage, std::string> parse_invocation(json::array& fields, bool streaming) {
  if (fields.size() < 5) return Reason("Invalid payload for an Invocation message.");
  std::optional<std::string> id;
  if (!fields[2].is_null() || streaming) {
    auto text = required_string(fields[2], "invocationId");
    if (!text) return Reason(std::move(text.error()));
    id = std::move(*text);
  }
  auto target = required_string(fields[3], "target");
  if (!target) return Reason(std::move(target.error()));
  if (!fields[4].is_array()) return wrong_type("arguments", "Array");
  bool has_stream_ids = false;
  if (fields.size() > 5) {
    if (!fields[5].is_array()) return wrong_type("streamIds", "Array");
    for (const auto& stream_id : fields[5].get_array()) {
      if (!stream_id.is_string()) return wrong_type("streamIds", "Array of String");
    }
    has_stream_ids = !fields[5].get_array().empty();
  }
  if (streaming) return StreamInvocationMessage{std::move(*id), std::move(*target)};
  return InvocationMessage{std::move(id), std::move(*target), std::move(fields[4].get_array()),
                           has_stream_ids};
}

}  // namespace

void LengthPrefixedReader::compact() {
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    checked_ -= consumed_;
    consumed_ = 0;
  }
  shrink_buffer(buffer_);
}

bool LengthPrefixedReader::append(std::string_view bytes) {
  if (failed_) return false;
  compact();
  buffer_.append(bytes);
  if (!check_prefixes()) {
    failed_ = true;
    std::string().swap(buffer_);
    consumed_ = checked_ = 0;
    return false;
  }
  return true;
}

bool LengthPrefixedReader::check_prefixes() {
  // Checked on arrival, so an oversize message is refused before its body is buffered.
  while (checked_ < buffer_.size()) {
    std::uint64_t length = 0;
    std::size_t prefix_size = 0;
    switch (read_prefix(std::string_view(buffer_).substr(checked_), length, prefix_size)) {
      case Prefix::kIncomplete:
        return true;
      case Prefix::kBad:
        return false;
      case Prefix::kOk:
        break;
    }
    if (length > max_message_size_) return false;
    if (buffer_.size() - checked_ - prefix_size < length) return true;  // body still coming
    checked_ += prefix_size + static_cast<std::size_t>(length);
  }
  return true;
}

std::optional<std::string_view> LengthPrefixedReader::next() {
  if (failed_ || consumed_ >= checked_) return std::nullopt;
  // Everything below checked_ is whole messages with valid prefixes.
  const std::string_view rest = std::string_view(buffer_).substr(consumed_, checked_ - consumed_);
  std::uint64_t length = 0;
  std::size_t prefix_size = 0;
  if (read_prefix(rest, length, prefix_size) != Prefix::kOk) return std::nullopt;
  consumed_ += prefix_size + static_cast<std::size_t>(length);
  return rest.substr(prefix_size, static_cast<std::size_t>(length));
}

std::expected<HubMessage, std::string> parse_msgpack_message(std::string_view payload) {
  std::size_t consumed = 0;
  auto decoded = msgpack::decode(payload, consumed);
  if (!decoded) return Reason(fmt::format("Invalid MessagePack: {}", decoded.error()));
  if (consumed != payload.size()) {
    return Reason("Invalid MessagePack: unexpected bytes after the message.");
  }
  if (!decoded->is_array() || decoded->get_array().empty()) {
    return Reason("Expected a MessagePack array with the message type first.");
  }
  json::array& fields = decoded->get_array();
  const auto type = as_integer(fields[0]);
  if (!type) return wrong_type("type", "Integer");
  const auto message_type = static_cast<MessageType>(*type);
  // Every message with headers has them second; Ping, Close, Ack and Sequence have none.
  const bool with_headers = *type >= 1 && *type <= 5;
  if (with_headers) {
    if (fields.size() < 3) return Reason("Invalid payload: too few fields for the message type.");
    if (auto bad = check_headers(fields[1])) return Reason(std::move(*bad));
  }

  switch (message_type) {
    case MessageType::kInvocation:
      return parse_invocation(fields, /*streaming=*/false);
    case MessageType::kStreamInvocation:
      return parse_invocation(fields, /*streaming=*/true);
    case MessageType::kCancelInvocation: {
      auto id = required_string(fields[2], "invocationId");
      if (!id) return Reason(std::move(id.error()));
      return CancelInvocationMessage{std::move(*id)};
    }
    case MessageType::kStreamItem:
    case MessageType::kCompletion: {
      auto id = required_string(fields[2], "invocationId");
      if (!id) return Reason(std::move(id.error()));
      if (message_type == MessageType::kCompletion) {
        if (fields.size() < 4) return Reason("Invalid payload for a Completion message.");
        const auto kind = as_integer(fields[3]);
        if (!kind || *kind < 1 || *kind > 3) return wrong_type("resultKind", "1, 2 or 3");
        if (*kind != 2 && fields.size() < 5) {
          return Reason("Invalid payload for a Completion message.");
        }
      }
      return ClientResultMessage{message_type, std::move(*id)};
    }
    case MessageType::kPing:
      return PingMessage{};
    case MessageType::kClose: {
      CloseMessage close;
      if (fields.size() > 1 && !fields[1].is_null()) {
        auto error = required_string(fields[1], "error");
        if (!error) return Reason(std::move(error.error()));
        close.error = std::move(*error);
      }
      return close;
    }
    case MessageType::kAck:
    case MessageType::kSequence: {
      if (fields.size() < 2) return Reason("Invalid payload: too few fields for the message type.");
      const auto id = as_integer(fields[1]);
      if (!id || *id < 0) return wrong_type("sequenceId", "non-negative Integer");
      if (message_type == MessageType::kAck) return AckMessage{*id};
      return SequenceMessage{*id};
    }
    default:
      return IgnoredMessage{*type};
  }
}

std::string write_msgpack_completion(std::string_view invocation_id,
                                     const InvocationResult& outcome) {
  std::string payload;
  msgpack::encode_array_header(payload, 5);
  msgpack::encode_int(payload, static_cast<std::int64_t>(MessageType::kCompletion));
  msgpack::encode_map_header(payload, 0);
  msgpack::encode_str(payload, invocation_id);
  if (!outcome) {
    msgpack::encode_int(payload, 1);  // error
    msgpack::encode_str(payload, outcome.error());
  } else {
    msgpack::encode_int(payload, 3);  // a result (kind 2, void, would resolve as undefined)
    msgpack::encode_value(payload, *outcome);
  }
  return framed(payload);
}

std::string write_msgpack_invocation(std::string_view target, const json::array& arguments) {
  std::string payload;
  msgpack::encode_array_header(payload, 6);
  msgpack::encode_int(payload, static_cast<std::int64_t>(MessageType::kInvocation));
  msgpack::encode_map_header(payload, 0);
  msgpack::encode_nil(payload);  // no invocation id: the client sends no completion
  msgpack::encode_str(payload, target);
  msgpack::encode_array_header(payload, arguments.size());
  for (const auto& argument : arguments) msgpack::encode_value(payload, argument);
  msgpack::encode_array_header(payload, 0);  // stream ids
  return framed(payload);
}

std::string_view msgpack_ping_record() noexcept {
  return std::string_view("\x02\x91\x06", 3);
}

std::string write_msgpack_close(std::string_view error, bool allow_reconnect) {
  std::string payload;
  msgpack::encode_array_header(payload, 3);
  msgpack::encode_int(payload, static_cast<std::int64_t>(MessageType::kClose));
  if (error.empty()) {
    msgpack::encode_nil(payload);
  } else {
    msgpack::encode_str(payload, error);
  }
  msgpack::encode_bool(payload, allow_reconnect);
  return framed(payload);
}

namespace {

std::string write_sequence_message(MessageType type, std::int64_t sequence_id) {
  std::string payload;
  msgpack::encode_array_header(payload, 2);
  msgpack::encode_int(payload, static_cast<std::int64_t>(type));
  msgpack::encode_int(payload, sequence_id);
  return framed(payload);
}

}  // namespace

std::string write_msgpack_ack(std::int64_t sequence_id) {
  return write_sequence_message(MessageType::kAck, sequence_id);
}

std::string write_msgpack_sequence(std::int64_t sequence_id) {
  return write_sequence_message(MessageType::kSequence, sequence_id);
}

}  // namespace scanhub::signalr
