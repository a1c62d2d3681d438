#pragma once
// Text rules shared by the scanner and the wire: UTF-8 validity (file names on Linux are bytes,
// JSON needs UTF-8), trimming of tag values, numbers at the start of tag values.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scanhub::core {

/// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

/// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD, so it can
/// be shown and sent as JSON.
std::string to_valid_utf8(std::string_view text);

/// `text` without leading and trailing ASCII whitespace and NULs; nullopt when nothing is left.
std::optional<std::string> trimmed_or_null(std::string_view text);

/// The decimal number at the start of `text` after spaces: "3/12" -> 3, "1997-05-20" -> 1997.
/// nullopt when there is none or it does not fit.
std::optional<std::int64_t> leading_number(std::string_view text) noexcept;

}  // namespace scanhub::core
