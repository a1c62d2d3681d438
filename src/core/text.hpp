#pragma once
// Text rules of the domain: UTF-8 validity (file names on Linux are bytes, JSON needs UTF-8;
// the rules themselves live in text/utf8.hpp, below core, so the wire reaches them too),
// trimming of tag values, numbers at the start of tag values.

#include "text/utf8.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scanhub::core {

using text::is_valid_utf8;
using text::to_valid_utf8;

/// `text` without leading and trailing ASCII whitespace and NULs; nullopt when nothing is left.
std::optional<std::string> trimmed_or_null(std::string_view text);

/// The decimal number at the start of `text` after spaces: "3/12" -> 3, "1997-05-20" -> 1997.
/// nullopt when there is none or it does not fit.
std::optional<std::int64_t> leading_number(std::string_view text) noexcept;

}  // namespace scanhub::core
