#pragma once
// Identifiers of the domain's aggregates. Integers as in seed 002's tables; seed 000's wire
// format carries scanId as a string, so the hubs print them in decimal.

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace scanhub::core {

using LibraryId = std::int64_t;
using ScanId = std::int64_t;
using TrackId = std::int64_t;

/// An id as clients and URLs spell it: a positive decimal ("7"). nullopt for anything else
/// ("job-123", "0", "7x", "", a GUID), which no aggregate here can have.
inline std::optional<std::int64_t> parse_id(std::string_view text) noexcept {
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

}  // namespace scanhub::core
