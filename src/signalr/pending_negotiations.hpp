#pragma once
// The connection tokens of one hub that negotiate handed out and no transport has claimed yet,
// with their limits: the hub's global cap (HubOptions::max_pending_negotiations), the per-client
// limits of NegotiateLimiter, and the negotiate timeout after which a token is gone.
//
// Source: TransportProtocols.md "POST [endpoint-base]/negotiate" (the token a transport then
// presents as `id`). Expiry is exact and cheap: every token lives negotiate_timeout, so the
// order of issue is the order of expiry; each add() first drops the tokens whose time is up,
// oldest first, freeing their clients' slots. A claimed token frees its slot at take().
//
// Not thread-safe: HubEndpoint calls it under its mutex. Time is a parameter (steady clock).
// Throws only std::bad_alloc.

#include "signalr/negotiate_limiter.hpp"

#include <chrono>
#include <cstddef>
#include <expected>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace scanhub::signalr {

class PendingNegotiations {
 public:
  using Clock = std::chrono::steady_clock;

  /// `max_pending`: tokens waiting at once, all clients; `timeout`: a token's lifetime.
  PendingNegotiations(std::size_t max_pending, std::chrono::milliseconds timeout,
                      ClientLimits limits);

  /// What a token stands for until a transport claims it.
  struct Negotiated {
    std::string connection_id;
    bool stateful = false;  ///< negotiated with useStatefulReconnect
  };

  /// Why add() refused, and when to retry (whole seconds, at least 1).
  struct Refusal {
    enum class Reason {
      kFull,            ///< the hub's global cap: 503
      kRateLimited,     ///< the client's negotiate rate: 429
      kTooManyPending,  ///< the client's own pending cap: 429
    };
    Reason reason;
    std::chrono::seconds retry_after;
  };
  /// Records `token` (fresh, unique) for `client`, expiring at now + timeout; or refuses.
  std::expected<void, Refusal> add(std::string token, Negotiated negotiated,
                                   const ClientKey& client, Clock::time_point now);

  /// Removes `token` and returns what it stands for; nullopt when unknown or expired (an
  /// expired token is removed too). Either way its client's slot is free again.
  std::optional<Negotiated> take(const std::string& token, Clock::time_point now);

  /// Whether `token` is waiting (expired ones may linger until the next add() or take()).
  bool contains(std::string_view token) const { return by_token_.contains(token); }
  /// Drops every token and client (the hub stopped).
  void clear() noexcept;
  std::size_t size() const noexcept { return by_token_.size(); }
  const NegotiateLimiter& limiter() const noexcept { return limiter_; }

 private:
  struct Entry {
    std::string token;
    Negotiated negotiated;
    Clock::time_point expires;
    ClientKey client{};
    bool tracked = false;  // counted against `client` by limiter_
  };
  using Order = std::list<Entry>;

  void expire(Clock::time_point now);
  void erase(Order::iterator entry, Clock::time_point now);

  const std::size_t max_pending_;
  const std::chrono::milliseconds timeout_;
  NegotiateLimiter limiter_;
  Order order_;  // oldest (first to expire) first; owns the tokens
  std::unordered_map<std::string_view, Order::iterator> by_token_;  // views of order_'s tokens
};

}  // namespace scanhub::signalr
