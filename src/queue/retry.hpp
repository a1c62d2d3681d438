#pragma once
// Delay before a failed job's next attempt: exponential backoff with jitter (seed 002: "retry
// with exponential backoff"; issue 4: "exponential backoff with jitter"). Jitter spreads the
// retries of jobs that failed together (a disk that came back, a provider's rate limit), so they
// do not all return at the same instant.

#include <chrono>
#include <random>

namespace scanhub::queue {

struct RetryPolicy {
  std::chrono::milliseconds base{1000};     ///< delay after the first failed attempt
  std::chrono::milliseconds max{300000};    ///< the delay never exceeds this
  double jitter = 0.5;  ///< 0..1: the delay is cut by a random share of up to this fraction

  /// Delay after failed attempt number `attempt` (1-based): min(max, base * 2^(attempt-1)),
  /// less a uniformly random share in [0, jitter) of it, truncated to whole milliseconds.
  /// `random` in [0, 1) (tests pass 0).
  std::chrono::milliseconds delay(int attempt, double random) const noexcept;
  /// delay() with a thread-local random generator.
  std::chrono::milliseconds delay(int attempt) const;
};

}  // namespace scanhub::queue
