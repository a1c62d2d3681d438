#include "queue/retry.hpp"

#include <algorithm>
#include <cmath>

namespace scanhub::queue {

std::chrono::milliseconds RetryPolicy::delay(int attempt, double random) const noexcept {
  const double exponent = std::clamp(attempt - 1, 0, 62);
  const double full = std::min(static_cast<double>(max.count()),
                               static_cast<double>(base.count()) * std::exp2(exponent));
  const double cut = std::clamp(jitter, 0.0, 1.0) * std::clamp(random, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(0.0, full * (1.0 - cut))));
}

std::chrono::milliseconds RetryPolicy::delay(int attempt) const {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return delay(attempt, std::uniform_real_distribution<double>(0.0, 1.0)(generator));
}

}  // namespace scanhub::queue
