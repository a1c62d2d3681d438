// Deterministic random numbers for the fixture plan.
//
// SplitMix64 with our own range mapping, because the std:: distributions are
// implementation-defined: the same seed must give the same library on every platform
// and standard library. Not thread-safe; the plan is built on one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace scanhub::make_library {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  /// Uniform in [0, n); n must be > 0. The modulo bias is irrelevant for fixtures.
  std::size_t below(std::size_t n) noexcept { return static_cast<std::size_t>(next() % n); }

  /// Uniform in [lo, hi], inclusive.
  int between(int lo, int hi) noexcept {
    return lo + static_cast<int>(below(static_cast<std::size_t>(hi - lo + 1)));
  }

  /// True with probability percent / 100.
  bool chance(int percent) noexcept { return below(100) < static_cast<std::size_t>(percent); }

  template <typename T>
  const T& pick(std::span<const T> items) noexcept {
    return items[below(items.size())];
  }

 private:
  std::uint64_t state_;
};

}  // namespace scanhub::make_library
