#pragma once
// Identifiers of the domain's aggregates. Integers as in seed 002's tables; seed 000's wire
// format carries scanId as a string, so the hubs print them in decimal.

#include <cstdint>

namespace scanhub::core {

using LibraryId = std::int64_t;
using ScanId = std::int64_t;
using TrackId = std::int64_t;

}  // namespace scanhub::core
