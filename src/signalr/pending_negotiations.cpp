#include "signalr/pending_negotiations.hpp"

#include <algorithm>

namespace scanhub::signalr {

namespace {

std::chrono::seconds whole_seconds_until(std::chrono::steady_clock::duration wait) {
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(wait);
  return std::max(seconds, std::chrono::seconds(1));
}

}  // namespace

PendingNegotiations::PendingNegotiations(std::size_t max_pending,
                                         std::chrono::milliseconds timeout, ClientLimits limits)
    : max_pending_(max_pending), timeout_(timeout), limiter_(limits) {}

std::expected<void, PendingNegotiations::Refusal> PendingNegotiations::add(
    std::string token, Negotiated negotiated, const ClientKey& client, Clock::time_point now) {
  expire(now);
  if (by_token_.size() >= max_pending_) {
    // The oldest token frees a place when it expires, if none is claimed before.
    const auto wait = order_.empty() ? Clock::duration(timeout_) : order_.front().expires - now;
    return std::unexpected(Refusal{Refusal::Reason::kFull, whole_seconds_until(wait)});
  }
  const auto decision = limiter_.admit(client, now);
  switch (decision.verdict) {
    case NegotiateLimiter::Verdict::kAdmitted:
      break;
    case NegotiateLimiter::Verdict::kRateLimited:
      return std::unexpected(Refusal{Refusal::Reason::kRateLimited, decision.retry_after});
    case NegotiateLimiter::Verdict::kTooManyPending:
      return std::unexpected(Refusal{Refusal::Reason::kTooManyPending, decision.retry_after});
  }
  order_.push_back(
      Entry{std::move(token), std::move(negotiated), now + timeout_, client, decision.tracked});
  const auto entry = std::prev(order_.end());
  by_token_.emplace(entry->token, entry);
  return {};
}

std::optional<PendingNegotiations::Negotiated> PendingNegotiations::take(
    const std::string& token, Clock::time_point now) {
  auto found = by_token_.find(token);
  if (found == by_token_.end()) return std::nullopt;
  const auto entry = found->second;
  std::optional<Negotiated> result;
  if (entry->expires > now) result = std::move(entry->negotiated);
  erase(entry, now);
  return result;
}

void PendingNegotiations::clear() noexcept {
  by_token_.clear();
  order_.clear();
  limiter_.clear();
}

void PendingNegotiations::expire(Clock::time_point now) {
  while (!order_.empty() && order_.front().expires <= now) erase(order_.begin(), now);
}

void PendingNegotiations::erase(Order::iterator entry, Clock::time_point now) {
  if (entry->tracked) limiter_.release(entry->client, now);
  by_token_.erase(entry->token);
  order_.erase(entry);  // after by_token_: its key views this entry's token
}

}  // namespace scanhub::signalr
