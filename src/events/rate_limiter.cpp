#include "events/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace scanhub::events {

TokenBucket::TokenBucket(double burst, double per_second, Now now)
    : burst_(std::max(1.0, burst)),
      per_second_(per_second > 0 ? per_second : 1.0),
      now_(std::move(now)),
      tokens_(burst_),
      last_(now_()) {}

void TokenBucket::refill() {
  const auto now = now_();
  if (now <= last_) return;  // a clock that did not move (or went back) adds nothing
  const double seconds = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + seconds * per_second_);
  last_ = now;
}

bool TokenBucket::try_take() {
  refill();
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

std::chrono::milliseconds TokenBucket::retry_after() {
  refill();
  if (tokens_ >= 1) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(static_cast<long long>(std::ceil((1 - tokens_) / per_second_ * 1000)));
}

}  // namespace scanhub::events
