#include "events/client_message.hpp"

#include "core/text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include <cmath>
#include <optional>

namespace scanhub::events {

namespace {

using Result = std::expected<ClientMessage, ClientError>;

std::unexpected<ClientError> refuse(std::string_view code, std::string message,
                                    std::string original_type = {},
                                    boost::json::value request_id = nullptr) {
  return std::unexpected(ClientError{std::move(original_type), std::string(code), std::move(message),
                                     std::move(request_id)});
}

// `text` cut to at most `max` bytes without splitting a UTF-8 sequence (it is valid UTF-8).
std::string cut(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

// A positive integer id: a JSON integer, or a number with no fraction (5.0), up to 2^53.
std::optional<std::int64_t> positive_id(const boost::json::value& v) {
  if (v.is_int64()) {
    return v.get_int64() > 0 ? std::optional(v.get_int64()) : std::nullopt;
  }
  if (v.is_uint64()) return std::nullopt;  // above INT64_MAX
  if (v.is_double()) {
    const double d = v.get_double();
    if (d >= 1 && d <= 9007199254740992.0 && d == std::floor(d)) return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

Result parse(std::string_view text) {
  if (text.size() > kMaxClientMessage) {
    return refuse(error_code::kTooLarge, "a message may hold at most 65536 bytes; this one holds " +
                                             std::to_string(text.size()));
  }
  if (!core::is_valid_utf8(text)) return refuse(error_code::kInvalidUtf8, "the message is not valid UTF-8");
  boost::json::parse_options options;
  options.max_depth = 32;
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(text, ec, {}, options);
  if (ec) return refuse(error_code::kParse, "Invalid message format: not JSON (" + ec.message() + ")");
  if (!parsed.is_object()) return refuse(error_code::kParse, "Invalid message format: not a JSON object");
  const boost::json::object& o = parsed.get_object();

  // The type and requestId first, so any later error can name them.
  std::string type;
  if (const auto* t = o.if_contains("type"); t && t->is_string()) type = cut(t->get_string(), kMaxEchoedType);
  boost::json::value request_id = nullptr;
  if (const auto* id = o.if_contains("requestId"); id && !id->is_null()) {
    if ((id->is_string() && id->get_string().size() <= kMaxRequestId) || id->is_int64() || id->is_uint64()) {
      request_id = *id;
    } else {
      return refuse(error_code::kInvalidField, "requestId must be a string of at most 128 bytes or an integer",
                    type);
    }
  }
  const auto* t = o.if_contains("type");
  if (!t) return refuse(error_code::kInvalidField, "type is required", {}, request_id);
  if (!t->is_string()) return refuse(error_code::kInvalidField, "type must be a string", {}, request_id);
  const std::string_view name = t->get_string();

  if (name == "ping") return ClientMessage{Ping{}, request_id};
  if (name == "resync") {
    Resync resync;
    if (const auto* scope = o.if_contains("scope"); scope && !scope->is_null()) {
      if (!scope->is_string()) {
        return refuse(error_code::kInvalidField, "scope must be \"all\", \"libraries\" or \"scans\"", type,
                      request_id);
      }
      const std::string_view s = scope->get_string();
      if (s == "all") {
        resync.scope = ResyncScope::all;
      } else if (s == "libraries") {
        resync.scope = ResyncScope::libraries;
      } else if (s == "scans") {
        resync.scope = ResyncScope::scans;
      } else {
        return refuse(error_code::kInvalidField,
                      "scope " + cut(s, 64) + " is not served by scanhub: use all, libraries or scans", type,
                      request_id);
      }
    }
    return ClientMessage{resync, request_id};
  }
  if (name == "startLibraryScan" || name == "cancelLibraryScan") {
    const bool start = name == "startLibraryScan";
    const char* field = start ? "libraryId" : "scanId";
    const auto* v = o.if_contains(field);
    if (!v) return refuse(error_code::kInvalidField, std::string(field) + " is required", type, request_id);
    const auto id = positive_id(*v);
    if (!id) {
      return refuse(error_code::kInvalidField, std::string(field) + " must be a positive integer", type,
                    request_id);
    }
    if (start) return ClientMessage{StartLibraryScan{*id}, request_id};
    return ClientMessage{CancelLibraryScan{*id}, request_id};
  }
  return refuse(error_code::kUnknownType,
                "scanhub does not handle " + type +
                    " messages: it takes ping, resync, startLibraryScan and cancelLibraryScan",
                type, request_id);
}

}  // namespace

std::string_view to_string(ResyncScope scope) noexcept {
  switch (scope) {
    case ResyncScope::all: return "all";
    case ResyncScope::libraries: return "libraries";
    case ResyncScope::scans: return "scans";
  }
  return "all";
}

std::string_view type_name(const Command& command) noexcept {
  switch (command.index()) {
    case 0: return "ping";
    case 1: return "resync";
    case 2: return "startLibraryScan";
    default: return "cancelLibraryScan";
  }
}

std::expected<ClientMessage, ClientError> parse_client_message(std::string_view text) noexcept {
  try {
    return parse(text);
  } catch (...) {
    // Only std::bad_alloc can get here; the strings below fit in their small-string buffers.
    return std::unexpected(ClientError{{}, std::string(error_code::kInternal), "out of memory", nullptr});
  }
}

}  // namespace scanhub::events
