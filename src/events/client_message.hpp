#pragma once
// What a client of the /ws socket sends (Metarr public/frontend/src/types/websocket.ts,
// ClientMessage): one JSON text message, parsed into a command or a clear error. Pure; any
// thread; never throws (an allocation failure becomes an INTERNAL_ERROR result). Uses Boost.JSON
// and core's UTF-8 check only, so the fuzz target (tests/fuzz) compiles it as it is.
//
// Accepted (extra fields are ignored, as Metarr's server does):
//   {"type": "ping", "requestId"?}
//   {"type": "resync", "scope"?: "all" (default) | "libraries" | "scans", "requestId"?}
//   {"type": "startLibraryScan", "libraryId": positive integer, "requestId"?}
//   {"type": "cancelLibraryScan", "scanId": positive integer, "requestId"?}
// requestId: a string of at most 128 bytes or an integer; echoed in the answer.
// Refused, with the error code the `error` message carries:
//   MESSAGE_TOO_LARGE  over 64 KiB (checked before anything else is read)
//   INVALID_UTF8       not well-formed UTF-8 (RFC 6455: a text frame is UTF-8)
//   PARSE_ERROR        not JSON, nested deeper than 32, or not an object (Metarr's code)
//   INVALID_FIELD      type missing or not a string; a field above missing or of the wrong
//                      type; a scope scanhub does not serve ("movies", "players")
//   UNKNOWN_TYPE       any other type (Metarr's updateMovie, deleteImage, updatePlayer too)
// The error keeps the message's type (originalType, cut to 128 bytes on a character boundary)
// and its requestId when they could be read.

#include "core/ids.hpp"

#include <boost/json/value.hpp>

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <variant>

namespace scanhub::events {

inline constexpr std::size_t kMaxClientMessage = 64 * 1024;
inline constexpr std::size_t kMaxRequestId = 128;
inline constexpr std::size_t kMaxEchoedType = 128;

/// Error codes of `error` messages. PARSE_ERROR is Metarr's own; the rest say more.
namespace error_code {
inline constexpr std::string_view kParse = "PARSE_ERROR";
inline constexpr std::string_view kTooLarge = "MESSAGE_TOO_LARGE";
inline constexpr std::string_view kInvalidUtf8 = "INVALID_UTF8";
inline constexpr std::string_view kBinary = "BINARY_NOT_SUPPORTED";  ///< a binary frame (transport)
inline constexpr std::string_view kUnknownType = "UNKNOWN_TYPE";
inline constexpr std::string_view kInvalidField = "INVALID_FIELD";
inline constexpr std::string_view kRateLimited = "RATE_LIMITED";     ///< resync too often
inline constexpr std::string_view kNotFound = "NOT_FOUND";           ///< no such library / scan
inline constexpr std::string_view kConflict = "CONFLICT";            ///< scan overlaps another
inline constexpr std::string_view kInternal = "INTERNAL_ERROR";
inline constexpr std::string_view kForbidden = "FORBIDDEN";  ///< needs role admin (issue 16)
}  // namespace error_code

/// resync's scope.
enum class ResyncScope { all, libraries, scans };
std::string_view to_string(ResyncScope scope) noexcept;

struct Ping {};
struct Resync {
  ResyncScope scope = ResyncScope::all;
};
struct StartLibraryScan {
  core::LibraryId library_id = 0;
};
struct CancelLibraryScan {
  core::ScanId scan_id = 0;
};
using Command = std::variant<Ping, Resync, StartLibraryScan, CancelLibraryScan>;

/// "ping", "resync", "startLibraryScan" or "cancelLibraryScan".
std::string_view type_name(const Command& command) noexcept;

struct ClientMessage {
  Command command;
  boost::json::value request_id;  ///< null when not given
};

struct ClientError {
  std::string original_type;      ///< empty when unknown
  std::string code;               ///< one of error_code
  std::string message;            ///< for people
  boost::json::value request_id;  ///< null when not given or not readable
};

std::expected<ClientMessage, ClientError> parse_client_message(std::string_view text) noexcept;

}  // namespace scanhub::events
