#pragma once
// MessagePack values <-> boost::json values, for the MessagePack hub protocol
// (msgpack_hub_protocol.hpp). Pure functions, no I/O, callable from any thread.
//
// Source: the MessagePack specification (github.com/msgpack/msgpack/blob/master/spec.md).
// Why hand-written rather than msgpack-cxx: Debian 12's libmsgpack-cxx-dev depends on
// libboost-dev (1.74), which conflicts with the libboost1.81-dev scanhub builds against, so it
// cannot be installed next to it. The format is small; this covers all of it but extensions.
//
// Decoding maps: nil -> null, bool, positive int -> int64 (uint64 above INT64_MAX), negative
// int -> int64, float32/64 -> double, str -> string, bin -> base64 string (as the JSON protocol
// represents byte arrays), array -> array, map -> object (keys must be str). Extension types
// (including the timestamp) and str that is not valid UTF-8 (the spec's encoding for str, and
// what JSON needs) are rejected. Nesting is bounded by `kMaxMsgpackDepth`; memory by the
// elements that arrive, not by the counts headers claim (at most 256 are reserved ahead).
// Encoding: the smallest representation of each json value; doubles as float64; a string that
// is not valid UTF-8 (a file name) is written with U+FFFD for each invalid byte (text/utf8.hpp).
//
// Errors: decode never throws on bad input (std::unexpected(client-safe reason)); both sides
// throw only std::bad_alloc.

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace scanhub::signalr::msgpack {

inline constexpr std::size_t kMaxMsgpackDepth = 64;

/// Decodes exactly one value from the start of `bytes`; `consumed` receives its length.
std::expected<boost::json::value, std::string> decode(std::string_view bytes,
                                                      std::size_t& consumed);

// Encoders append to `out`.
void encode_nil(std::string& out);
void encode_bool(std::string& out, bool value);
void encode_int(std::string& out, std::int64_t value);
void encode_uint(std::string& out, std::uint64_t value);
void encode_str(std::string& out, std::string_view value);
void encode_array_header(std::string& out, std::size_t size);
void encode_map_header(std::string& out, std::size_t size);
void encode_value(std::string& out, const boost::json::value& value);

}  // namespace scanhub::signalr::msgpack
