#pragma once
// A token bucket: at most `burst` requests at once, refilled at `per_second` tokens a second.
// One per /ws connection for its resync requests (each answers with every library and scan:
// a client looping on resync must not make the server read the database in a loop).
//
// Not thread-safe: used on its connection's strand. Time comes from the injected clock, so
// tests are exact. Never throws.

#include <chrono>
#include <functional>

namespace scanhub::events {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  /// Full at construction. `burst` >= 1; `per_second` > 0.
  TokenBucket(double burst, double per_second, Now now = [] { return Clock::now(); });

  /// Takes a token: true when one was there.
  bool try_take();
  /// How long until a token is there (zero when one is).
  std::chrono::milliseconds retry_after();

 private:
  void refill();

  double burst_;
  double per_second_;
  Now now_;
  double tokens_;
  Clock::time_point last_;
};

/// The resync limit of a /ws connection: 5 at once, then one a second.
inline constexpr double kResyncBurst = 5;
inline constexpr double kResyncPerSecond = 1;

}  // namespace scanhub::events
