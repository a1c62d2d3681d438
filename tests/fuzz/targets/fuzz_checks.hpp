#pragma once
// Shared by the fuzz targets: a failed check aborts (libFuzzer then saves the input as a crash
// artifact), and the comparison of argument values before and after a writer and a parser.

#include <boost/json/value.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace scanhub::fuzz {

/// Aborts with `what` when `ok` is false: a property of the parsers or writers was broken.
inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz check failed: %s\n", what);
    std::abort();
  }
}

/// How a value that went through a writer and a parser is compared with the original.
enum class Carried {
  /// Through MessagePack: doubles travel as their IEEE 754 bits, so bit for bit.
  kExact,
  /// Through JSON text: within a few units in the last place (Boost.JSON 1.81 parses decimal
  /// numbers without full precision), and NaN and infinities become null (as the JSON writers
  /// document: JSON has no such numbers).
  kThroughJson,
};

inline bool same_double(double carried, double original, Carried how) {
  if (how == Carried::kExact) {
    return std::bit_cast<std::uint64_t>(carried) == std::bit_cast<std::uint64_t>(original);
  }
  if (carried == original) return true;
  if (!std::isfinite(carried) || !std::isfinite(original)) return false;
  // A few units in the last place: a subnormal number's unit is large against its value
  // (1e-309 parsed back one unit off is 4e-15 away relatively), so the relative bound below
  // alone would refuse what the parser does for every number.
  const auto carried_bits = std::bit_cast<std::int64_t>(carried);
  const auto original_bits = std::bit_cast<std::int64_t>(original);
  if ((carried_bits < 0) == (original_bits < 0) &&
      (carried_bits > original_bits ? carried_bits - original_bits : original_bits - carried_bits) <= 4) {
    return true;
  }
  const double scale = std::fmax(std::fabs(carried), std::fabs(original));
  return std::fabs(carried - original) <= scale * 1e-15;
}

/// Whether `carried` is what `original` becomes when carried as `how` says.
inline bool same_value(const boost::json::value& carried, const boost::json::value& original,
                       Carried how) {
  if (how == Carried::kThroughJson && original.is_double() &&
      !std::isfinite(original.get_double())) {
    return carried.is_null();
  }
  if (carried.kind() != original.kind()) return false;
  switch (carried.kind()) {
    case boost::json::kind::double_:
      return same_double(carried.get_double(), original.get_double(), how);
    case boost::json::kind::array: {
      const auto& x = carried.get_array();
      const auto& y = original.get_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!same_value(x[i], y[i], how)) return false;
      }
      return true;
    }
    case boost::json::kind::object: {
      const auto& x = carried.get_object();
      const auto& y = original.get_object();
      if (x.size() != y.size()) return false;
      for (const auto& entry : y) {
        const auto* other = x.if_contains(entry.key());
        if (other == nullptr || !same_value(*other, entry.value(), how)) return false;
      }
      return true;
    }
    default:
      return carried == original;
  }
}

}  // namespace scanhub::fuzz
