#include "signalr/json_hub_protocol.hpp"

#include "signalr/record_reader.hpp"
#include "text/json_text.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace scanhub::signalr {
namespace json = boost::json;

namespace {

using Reason = std::unexpected<std::string>;

std::expected<json::object, std::string> parse_object(std::string_view record) {
  boost::system::error_code ec;
  json::value parsed = json::parse(record, ec);
  if (ec) return Reason(fmt::format("Invalid JSON: {}.", ec.message()));
  if (!parsed.is_object()) return Reason("Expected a JSON object.");
  return std::move(parsed.as_object());
}

Reason missing(std::string_view name) {
  return Reason(fmt::format("Missing required property '{}'.", name));
}
Reason wrong_type(std::string_view name, std::string_view type) {
  return Reason(fmt::format("Expected '{}' to be of type {}.", name, type));
}

// Optional string property: absent -> nullopt; present and not a string -> error.
std::expected<std::optional<std::string>, std::string> optional_string(const json::object& o,
                                                                        std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) return std::optional<std::string>{};
  if (!v->is_string()) return wrong_type(name, "String");
  return std::optional<std::string>{std::string(v->get_string())};
}

std::expected<std::string, std::string> required_string(const json::object& o,
                                                        std::string_view name) {
  auto s = optional_string(o, name);
  if (!s) return Reason(std::move(s.error()));
  if (!*s) return missing(name);
  return std::move(**s);
}

std::optional<std::int64_t> as_integer(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v.get_uint64());
  }
  return std::nullopt;
}

std::optional<std::string> check_headers(const json::object& o) {
  const json::value* headers = o.if_contains("headers");
  if (headers == nullptr) return std::nullopt;
  if (!headers->is_object()) return wrong_type("headers", "Object").error();
  for (const auto& entry : headers->get_object()) {
    if (!entry.value().is_string()) return wrong_type("headers", "Object of String").error();
  }
  return std::nullopt;
}

std::expected<HubMessage, std::string> parse_invocation(json::object& o, bool streaming) {
  auto target = required_string(o, "target");
  if (!target) return Reason(std::move(target.error()));
  json::value* arguments = o.if_contains("arguments");
  if (arguments == nullptr) return missing("arguments");
  if (!arguments->is_array()) return wrong_type("arguments", "Array");
  bool has_stream_ids = false;
  if (const json::value* ids = o.if_contains("streamIds")) {
    if (!ids->is_array()) return wrong_type("streamIds", "Array");
    for (const auto& id : ids->get_array()) {
      if (!id.is_string()) return wrong_type("streamIds", "Array of String");
    }
    has_stream_ids = !ids->get_array().empty();
  }
  if (streaming) {
    auto id = required_string(o, "invocationId");
    if (!id) return Reason(std::move(id.error()));
    return StreamInvocationMessage{std::move(*id), std::move(*target)};
  }
  auto id = optional_string(o, "invocationId");
  if (!id) return Reason(std::move(id.error()));
  return InvocationMessage{std::move(*id), std::move(*target), std::move(arguments->get_array()),
                           has_stream_ids};
}

// JSON has no NaN or infinity, and Boost.JSON 1.81 writes them as the bare words NaN and
// Infinity, which no client parses (the whole record, and the batch around it, is lost). They
// reach the writers from hub results (a 0/0 ratio) and from clients: Boost.JSON reads an
// out-of-range literal such as 1e400 as infinity, and MessagePack carries both. Written as
// null, as JavaScript's JSON.stringify writes them.
bool has_non_finite(const json::value& v) noexcept;
bool has_non_finite(const json::array& a) noexcept {
  return std::ranges::any_of(a, [](const json::value& e) { return has_non_finite(e); });
}
bool has_non_finite(const json::value& v) noexcept {
  switch (v.kind()) {
    case json::kind::double_:
      return !std::isfinite(v.get_double());
    case json::kind::array:
      return has_non_finite(v.get_array());
    case json::kind::object:
      return std::ranges::any_of(v.get_object(), [](const json::key_value_pair& e) {
        return has_non_finite(e.value());
      });
    default:
      return false;
  }
}

void null_non_finite(json::value& v) noexcept {
  switch (v.kind()) {
    case json::kind::double_:
      if (!std::isfinite(v.get_double())) v = nullptr;
      break;
    case json::kind::array:
      for (auto& e : v.get_array()) null_non_finite(e);
      break;
    case json::kind::object:
      for (auto& e : v.get_object()) null_non_finite(e.value());
      break;
    default:
      break;
  }
}

// text::serialize_json (well-formed UTF-8 whatever bytes the strings hold), with non-finite
// numbers as null; copies only a value that holds one.
template <typename Value>  // json::value or json::array
std::string serialize_finite(const Value& v) {
  if (!has_non_finite(v)) return text::serialize_json(v);
  json::value copy(v);
  null_non_finite(copy);
  return text::serialize_json(copy);
}

}  // namespace

std::expected<HandshakeRequest, std::string> parse_handshake_request(std::string_view record) {
  auto o = parse_object(record);
  if (!o) return Reason(std::move(o.error()));
  auto protocol = required_string(*o, "protocol");
  if (!protocol) return Reason(std::move(protocol.error()));
  const json::value* version = o->if_contains("version");
  if (version == nullptr) return missing("version");
  const auto number = as_integer(*version);
  if (!number) return wrong_type("version", "Integer");
  return HandshakeRequest{std::move(*protocol), *number};
}

std::expected<HubMessage, std::string> parse_json_message(std::string_view record) {
  auto parsed = parse_object(record);
  if (!parsed) return Reason(std::move(parsed.error()));
  json::object& o = *parsed;
  const json::value* type_value = o.if_contains("type");
  if (type_value == nullptr) return missing("type");
  const auto type = as_integer(*type_value);
  if (!type) return wrong_type("type", "Integer");
  if (*type != static_cast<std::int64_t>(MessageType::kPing)) {
    if (auto bad = check_headers(o)) return Reason(std::move(*bad));
  }

  switch (static_cast<MessageType>(*type)) {
    case MessageType::kInvocation:
      return parse_invocation(o, /*streaming=*/false);
    case MessageType::kStreamInvocation:
      return parse_invocation(o, /*streaming=*/true);
    case MessageType::kStreamItem:
    case MessageType::kCompletion:
    case MessageType::kCancelInvocation: {
      auto id = required_string(o, "invocationId");
      if (!id) return Reason(std::move(id.error()));
      if (*type == static_cast<std::int64_t>(MessageType::kCancelInvocation)) {
        return CancelInvocationMessage{std::move(*id)};
      }
      if (*type == static_cast<std::int64_t>(MessageType::kCompletion) &&
          o.contains("result") && o.contains("error")) {
        return Reason("The completion message has both 'result' and 'error'.");
      }
      return ClientResultMessage{static_cast<MessageType>(*type), std::move(*id)};
    }
    case MessageType::kPing:
      return PingMessage{};
    case MessageType::kClose: {
      auto error = optional_string(o, "error");
      if (!error) return Reason(std::move(error.error()));
      return CloseMessage{std::move(*error)};
    }
    case MessageType::kAck:
    case MessageType::kSequence: {
      const json::value* id_value = o.if_contains("sequenceId");
      if (id_value == nullptr) return missing("sequenceId");
      const auto id = as_integer(*id_value);
      if (!id || *id < 0) return wrong_type("sequenceId", "non-negative Integer");
      if (*type == static_cast<std::int64_t>(MessageType::kAck)) return AckMessage{*id};
      return SequenceMessage{*id};
    }
    default:
      return IgnoredMessage{*type};
  }
}

std::string write_handshake_response(std::string_view error) {
  if (error.empty()) return std::string("{}") + kRecordSeparator;
  return fmt::format("{{\"error\":{}}}{}", text::serialize_json_string(error),
                     kRecordSeparator);
}

std::string write_completion(std::string_view invocation_id, const InvocationResult& outcome) {
  const std::string id = text::serialize_json_string(invocation_id);
  if (outcome) {
    return fmt::format("{{\"type\":3,\"invocationId\":{},\"result\":{}}}{}", id,
                       serialize_finite(*outcome), kRecordSeparator);
  }
  return fmt::format("{{\"type\":3,\"invocationId\":{},\"error\":{}}}{}", id,
                     text::serialize_json_string(outcome.error()), kRecordSeparator);
}

std::string write_invocation(std::string_view target, const json::array& arguments) {
  return fmt::format("{{\"type\":1,\"target\":{},\"arguments\":{}}}{}",
                     text::serialize_json_string(target), serialize_finite(arguments),
                     kRecordSeparator);
}

std::string_view ping_record() noexcept { return "{\"type\":6}\x1e"; }

std::string write_close(std::string_view error, bool allow_reconnect) {
  std::string out = "{\"type\":7";
  if (!error.empty()) out += ",\"error\":" + text::serialize_json_string(error);
  if (allow_reconnect) out += ",\"allowReconnect\":true";
  out += '}';
  out += kRecordSeparator;
  return out;
}

std::string write_ack(std::int64_t sequence_id) {
  return fmt::format("{{\"type\":8,\"sequenceId\":{}}}{}", sequence_id, kRecordSeparator);
}

std::string write_sequence(std::int64_t sequence_id) {
  return fmt::format("{{\"type\":9,\"sequenceId\":{}}}{}", sequence_id, kRecordSeparator);
}

bool is_sequenced(const HubMessage& message) noexcept {
  return std::holds_alternative<InvocationMessage>(message) ||
         std::holds_alternative<StreamInvocationMessage>(message) ||
         std::holds_alternative<CancelInvocationMessage>(message) ||
         std::holds_alternative<ClientResultMessage>(message);
}

}  // namespace scanhub::signalr
