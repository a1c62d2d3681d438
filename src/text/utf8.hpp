#pragma once
// UTF-8 rules (RFC 3629): file names on Linux are bytes, while JSON text, WebSocket text frames
// (RFC 6455 section 8.1) and MessagePack str values must be well-formed UTF-8. Pure functions,
// any thread; only the allocating ones throw (std::bad_alloc).

#include <cstddef>
#include <string>
#include <string_view>

namespace scanhub::text {

/// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
/// One pass; ASCII runs are checked eight bytes at a time.
bool is_valid_utf8(std::string_view text) noexcept;

/// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD, so it can
/// be shown and sent as JSON.
std::string to_valid_utf8(std::string_view text);

/// Makes `text` well-formed UTF-8 as to_valid_utf8 does, in place and without a copy when it
/// already is (the common case: one is_valid_utf8 pass). True when something was replaced.
bool make_valid_utf8(std::string& text);

/// Length of the well-formed UTF-8 sequence at the start of `text`, or 0 when there is none
/// (`text` empty, or it starts with a byte that begins no well-formed sequence).
std::size_t utf8_sequence_length(std::string_view text) noexcept;

/// The U+FFFD REPLACEMENT CHARACTER, encoded.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

}  // namespace scanhub::text
