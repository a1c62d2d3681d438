#include "core/time.hpp"

#include <cstdio>
#include <ctime>

namespace scanhub::core {

std::string format_iso8601(TimePoint time) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(std::chrono::floor<std::chrono::seconds>(ms).count());
  const auto millis = static_cast<int>(ms.count() - static_cast<long long>(seconds) * 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buffer;
}

std::optional<TimePoint> parse_iso8601(std::string_view text) {
  std::tm tm{};
  int millis = 0;
  const std::string s(text);
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(static_cast<std::size_t>(consumed));
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      if (digits < 3) millis = millis * 10 + (rest.front() - '0');
      ++digits;
      rest.remove_prefix(1);
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) millis *= 10;
  }
  if (rest != "Z") return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t seconds = timegm(&tm);
  return Clock::from_time_t(seconds) + std::chrono::milliseconds(millis);
}

std::string format_iso8601_duration(std::chrono::milliseconds duration) {
  long long ms = duration.count();
  if (ms <= 0) return "PT0S";
  const long long hours = ms / 3'600'000;
  ms %= 3'600'000;
  const long long minutes = ms / 60'000;
  ms %= 60'000;
  std::string out = "PT";
  if (hours) out += std::to_string(hours) + "H";
  if (minutes) out += std::to_string(minutes) + "M";
  if (ms || out == "PT") {
    out += std::to_string(ms / 1000);
    if (ms % 1000) {
      char fraction[8];
      std::snprintf(fraction, sizeof fraction, ".%03lld", ms % 1000);
      std::string f = fraction;
      while (f.back() == '0') f.pop_back();
      out += f;
    }
    out += "S";
  }
  return out;
}

std::string format_human_duration(std::chrono::milliseconds duration) {
  const long long ms = duration.count() < 0 ? 0 : duration.count();
  char buffer[48];
  if (ms < 1000) {
    std::snprintf(buffer, sizeof buffer, "%lld ms", ms);
  } else if (ms < 60'000) {
    std::snprintf(buffer, sizeof buffer, "%.1f s", static_cast<double>(ms) / 1000.0);
  } else if (ms < 3'600'000) {
    std::snprintf(buffer, sizeof buffer, "%lld min %02lld s", ms / 60'000, (ms / 1000) % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lld h %02lld min", ms / 3'600'000, (ms / 60'000) % 60);
  }
  return buffer;
}

}  // namespace scanhub::core
