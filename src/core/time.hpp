#pragma once
// Time as the wire and the database spell it: ISO 8601, UTC, with `Z`.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace scanhub::core {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

/// "2025-10-04T12:00:00.123Z": UTC, millisecond precision (what JavaScript's Date prints).
std::string format_iso8601(TimePoint time);

/// Parses what format_iso8601 prints (and the same without fraction). nullopt when malformed.
std::optional<TimePoint> parse_iso8601(std::string_view text);

/// ISO 8601 duration as seed 000's UI parses it: "PT1H23M45S", "PT2.5S", "PT0S".
/// Negative durations print as "PT0S". Resolution: milliseconds.
std::string format_iso8601_duration(std::chrono::milliseconds duration);

/// Human duration for terminals: "850 ms", "12.3 s", "4 min 05 s", "1 h 02 min".
std::string format_human_duration(std::chrono::milliseconds duration);

}  // namespace scanhub::core
