#include "signalr/negotiate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace scanhub::signalr {

namespace {

// Idle entries are looked for at most this often: a sweep walks the whole table, and under a
// flood from many addresses a sweep per negotiate would cost more than the negotiates.
constexpr auto kSweepInterval = std::chrono::seconds(1);

}  // namespace

ClientKey client_key(const boost::asio::ip::address& address) noexcept {
  ClientKey key{};
  if (address.is_v4()) {
    // ::ffff:a.b.c.d, the bytes an IPv4-mapped IPv6 peer has, so both spellings are one client.
    key[10] = key[11] = 0xff;
    const auto bytes = address.to_v4().to_bytes();
    std::copy(bytes.begin(), bytes.end(), key.begin() + 12);
    return key;
  }
  const auto v6 = address.to_v6();
  const auto bytes = v6.to_bytes();
  if (v6.is_v4_mapped()) {
    std::copy(bytes.begin(), bytes.end(), key.begin());
  } else {
    std::copy(bytes.begin(), bytes.begin() + 8, key.begin());  // the /64
  }
  return key;
}

std::size_t NegotiateLimiter::KeyHash::operator()(const ClientKey& key) const noexcept {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  std::memcpy(&high, key.data(), 8);
  std::memcpy(&low, key.data() + 8, 8);
  std::uint64_t h = (high ^ (low * 0x9E3779B97F4A7C15ull)) * 0xBF58476D1CE4E5B9ull;
  return static_cast<std::size_t>(h ^ (h >> 31));
}

double NegotiateLimiter::capacity() const noexcept { return std::max(limits_.burst, 1.0); }

double NegotiateLimiter::tokens_at(const Entry& entry, Clock::time_point now) const noexcept {
  if (limits_.rate_per_second <= 0) return capacity();
  const double elapsed =
      std::max(0.0, std::chrono::duration<double>(now - entry.refilled).count());
  return std::min(capacity(), entry.tokens + elapsed * limits_.rate_per_second);
}

bool NegotiateLimiter::idle(const Entry& entry, Clock::time_point now) const noexcept {
  return entry.pending == 0 && tokens_at(entry, now) >= capacity();
}

void NegotiateLimiter::sweep(Clock::time_point now) {
  if (now < next_sweep_) return;
  next_sweep_ = now + kSweepInterval;
  std::erase_if(clients_, [&](const auto& client) { return idle(client.second, now); });
}

NegotiateLimiter::Decision NegotiateLimiter::admit(const ClientKey& client,
                                                    Clock::time_point now) {
  sweep(now);
  auto found = clients_.find(client);
  if (found == clients_.end()) {
    if (clients_.size() >= limits_.max_clients) return {Verdict::kAdmitted, {}, false};
    found = clients_.emplace(client, Entry{capacity(), now, 0}).first;
  }
  Entry& entry = found->second;
  if (limits_.max_pending > 0 && entry.pending >= limits_.max_pending) {
    return {Verdict::kTooManyPending, std::chrono::seconds(1), false};
  }
  const double tokens = tokens_at(entry, now);
  entry.refilled = now;
  if (limits_.rate_per_second > 0 && tokens < 1.0) {
    entry.tokens = tokens;
    const double wait = std::ceil((1.0 - tokens) / limits_.rate_per_second);
    return {Verdict::kRateLimited,
            std::chrono::seconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(wait))),
            false};
  }
  entry.tokens = tokens - 1.0;
  ++entry.pending;
  return {Verdict::kAdmitted, {}, true};
}

void NegotiateLimiter::release(const ClientKey& client, Clock::time_point now) {
  auto found = clients_.find(client);
  if (found == clients_.end()) return;
  if (found->second.pending > 0) --found->second.pending;
  if (idle(found->second, now)) clients_.erase(found);
}

std::size_t NegotiateLimiter::pending(const ClientKey& client) const noexcept {
  auto found = clients_.find(client);
  return found == clients_.end() ? 0 : found->second.pending;
}

}  // namespace scanhub::signalr
