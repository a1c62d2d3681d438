#pragma once
// The one JSON serializer for text that leaves the process: HTTP bodies (http/json_response),
// SignalR JSON hub records and negotiate bodies (signalr), the CLI's JSON lines (app). Any
// thread; throws only std::bad_alloc.
//
// Why: Boost.JSON writes the bytes of a string as they are, and a library path or file name on
// Linux is bytes, not necessarily UTF-8. JSON text must be UTF-8 (RFC 8259 section 8.1) and a
// WebSocket text frame that is not is a protocol error that closes the connection (RFC 6455
// section 8.1), so one such name would disconnect every subscriber of a scan. Paths keep their
// bytes in the database; only what goes out is replaced.
//
// Cost: one extra pass over the output (text::is_valid_utf8, ASCII eight bytes at a time); the
// copy with U+FFFD is made only when a byte is invalid. Everything Boost.JSON writes outside
// string contents is ASCII, so a replaced byte always lies inside a JSON string: the result is
// `value` with each invalid byte of its strings (and keys) replaced by U+FFFD.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace scanhub::text {

std::string serialize_json(const boost::json::value& value);
std::string serialize_json(const boost::json::object& value);
std::string serialize_json(const boost::json::array& value);
/// `string` as a JSON string literal, quotes included.
std::string serialize_json_string(std::string_view string);

/// Parses JSON this process wrote for itself and stored (job payloads, lists in database
/// rows), whose strings may hold any bytes, as file names do: Boost.JSON's parser refuses text
/// that is not UTF-8 unless told otherwise, and a job whose payload holds a library path that
/// is not would fail for good. Never for what a client sends. Errors in `ec`.
boost::json::value parse_stored_json(std::string_view text, boost::system::error_code& ec);

}  // namespace scanhub::text
