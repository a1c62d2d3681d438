#include "auth/login_limiter.hpp"

#include <algorithm>
#include <cctype>

namespace scanhub::auth {

namespace {

// User names compare without ASCII case, as the users table does.
std::string user_key(std::string_view user) {
  std::string key(user.substr(0, 256));
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

}  // namespace

LoginLimiter::LoginLimiter(LoginLimits limits, std::function<Clock::time_point()> clock)
    : limits_(limits), clock_(std::move(clock)) {}

std::optional<LoginLimiter::Clock::duration> LoginLimiter::wait_for(std::map<std::string, Failures>& map,
                                                                    const std::string& key, std::size_t limit,
                                                                    Clock::time_point now) {
  const auto found = map.find(key);
  if (found == map.end()) return std::nullopt;
  auto& failures = found->second;
  while (!failures.empty() && failures.front() + limits_.window <= now) failures.pop_front();
  if (failures.empty()) {
    map.erase(found);
    return std::nullopt;
  }
  if (failures.size() < limit) return std::nullopt;
  // The attempt is allowed again once enough failures have left the window.
  return failures[failures.size() - limit] + limits_.window - now;
}

void LoginLimiter::add(std::map<std::string, Failures>& map, const std::string& key, Clock::time_point now) {
  if (map.size() >= limits_.max_tracked && !map.contains(key)) {
    const auto oldest = std::min_element(map.begin(), map.end(), [](const auto& a, const auto& b) {
      return a.second.back() < b.second.back();
    });
    map.erase(oldest);
  }
  auto& failures = map[key];
  failures.push_back(now);
  // Only the newest `limit` failures decide anything; keep no more (bounded per key).
  const std::size_t keep = std::max(limits_.failures_per_user, limits_.failures_per_address);
  while (failures.size() > keep) failures.pop_front();
}

std::optional<std::chrono::seconds> LoginLimiter::retry_after(std::string_view user, std::string_view address) {
  const std::lock_guard lock(mutex_);
  const auto time = now();
  const auto by_user = wait_for(users_, user_key(user), limits_.failures_per_user, time);
  const auto by_address = address.empty() ? std::nullopt
                          : wait_for(addresses_, std::string(address), limits_.failures_per_address, time);
  if (!by_user && !by_address) return std::nullopt;
  const auto wait = std::max(by_user.value_or(Clock::duration::zero()), by_address.value_or(Clock::duration::zero()));
  return std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(wait));
}

void LoginLimiter::record_failure(std::string_view user, std::string_view address) {
  const std::lock_guard lock(mutex_);
  const auto time = now();
  add(users_, user_key(user), time);
  if (!address.empty()) add(addresses_, std::string(address), time);
}

void LoginLimiter::record_success(std::string_view user) {
  const std::lock_guard lock(mutex_);
  users_.erase(user_key(user));
}

}  // namespace scanhub::auth
