#pragma once
// Failed sign-ins counted per user name and per client address, so nobody can try passwords
// quickly (issue 16 item 2). Limits: 5 failures of one user name (any case) in 60 s, 20 failures
// from one address in 60 s; at the limit, further attempts are refused without checking the
// password until the oldest failure leaves the window (429 with Retry-After). A success clears
// its user name's failures (not its address's). An empty address (the caller could not tell)
// is not counted, so clients whose address is unknown do not lock each other out.
//
// Memory: at most 10,000 names and 10,000 addresses are tracked; beyond that the least recently
// failed are forgotten (an attacker rotating names then only loses their own history).
//
// Threading: every member is thread-safe (one mutex; each call is a few map operations).
// Time comes from the injected clock (steady), so tests control it.

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace scanhub::auth {

struct LoginLimits {
  std::size_t failures_per_user = 5;
  std::size_t failures_per_address = 20;
  std::chrono::seconds window{60};
  std::size_t max_tracked = 10'000;
};

class LoginLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LoginLimiter(LoginLimits limits = {}, std::function<Clock::time_point()> clock = {});

  /// How long to wait before trying again (whole seconds, at least 1), or nullopt when an
  /// attempt for `user` from `address` may go ahead.
  std::optional<std::chrono::seconds> retry_after(std::string_view user, std::string_view address);
  void record_failure(std::string_view user, std::string_view address);
  void record_success(std::string_view user);

 private:
  using Failures = std::deque<Clock::time_point>;
  Clock::time_point now() const { return clock_ ? clock_() : Clock::now(); }
  std::optional<Clock::duration> wait_for(std::map<std::string, Failures>& map, const std::string& key,
                                          std::size_t limit, Clock::time_point now);
  void add(std::map<std::string, Failures>& map, const std::string& key, Clock::time_point now);

  LoginLimits limits_;
  std::function<Clock::time_point()> clock_;
  std::mutex mutex_;
  std::map<std::string, Failures> users_;
  std::map<std::string, Failures> addresses_;
};

}  // namespace scanhub::auth
