#pragma once
// Per-client-address limits on negotiate, so a flood from one address cannot fill a hub's
// pending negotiations (HubOptions::max_pending_negotiations) and lock every other client out:
// a token bucket (negotiates per second, with a burst) and a cap on the tokens negotiated but
// not yet claimed by a transport, both per address.
//
// A "client" is the TCP peer address: an IPv4 address (IPv4-mapped IPv6 counts as IPv4), or
// the /64 prefix of an IPv6 address (one host or one LAN gets a /64, and an attacker holding
// one can use every address in it). Clients behind one proxy or NAT share their limits.
//
// Bounded: a client with nothing pending and a full bucket is indistinguishable from one never
// seen, so its entry is dropped (at once when its last pending token goes, else by a sweep at
// most once a second). At most ClientLimits::max_clients are tracked; a new client beyond that
// is admitted untracked (Decision::tracked false), left to the hub's global cap, rather than
// refused: per-address limits cannot stop a flood from that many addresses, and refusing
// would lock out every new client.
//
// Time is a parameter (steady clock time points), so tests inject it. Not thread-safe: the
// owner (PendingNegotiations, under HubEndpoint's mutex) serializes calls. Throws only
// std::bad_alloc.

#include <boost/asio/ip/address.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

namespace scanhub::signalr {

/// The limits per client address; see HubOptions for their defaults and meaning.
struct ClientLimits {
  /// Tokens negotiated and not yet claimed or expired, per client; 0: no limit.
  std::size_t max_pending = 1000;
  /// Negotiates per second a client may sustain (the bucket's refill); 0: no rate limit.
  double rate_per_second = 100;
  /// Negotiates a client may make at once (the bucket's size; at least 1 when rate limited).
  double burst = 1000;
  /// Clients tracked at once (the table's bound).
  std::size_t max_clients = 65536;
};

/// The address bytes a client is known by: IPv4 as IPv4-mapped IPv6, IPv6 cut to its /64.
using ClientKey = std::array<unsigned char, 16>;
ClientKey client_key(const boost::asio::ip::address& address) noexcept;

class NegotiateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit NegotiateLimiter(ClientLimits limits) : limits_(limits) {}

  enum class Verdict {
    kAdmitted,
    kRateLimited,     ///< the client's bucket is empty
    kTooManyPending,  ///< the client has max_pending tokens waiting for their transport
  };
  struct Decision {
    Verdict verdict = Verdict::kAdmitted;
    /// Refused: whole seconds (at least 1) until a retry can succeed, for Retry-After. For
    /// kTooManyPending a slot frees when one of the client's tokens is claimed or expires,
    /// which the limiter cannot foresee: 1 s.
    std::chrono::seconds retry_after{0};
    /// Admitted and counted against the client: release() it when the token is claimed or
    /// expires. False when admitted untracked (the table was full).
    bool tracked = false;
  };

  /// One negotiate from `client` at `now`: admitted (one pending token counted, one bucket
  /// token spent) or refused (nothing changes).
  Decision admit(const ClientKey& client, Clock::time_point now);
  /// A tracked pending token of `client` was claimed or expired: its slot is free again.
  void release(const ClientKey& client, Clock::time_point now);
  /// Forgets every client (the hub stopped).
  void clear() noexcept { clients_.clear(); }

  std::size_t tracked_clients() const noexcept { return clients_.size(); }
  /// Pending tokens counted for `client` (0 when untracked).
  std::size_t pending(const ClientKey& client) const noexcept;

 private:
  struct Entry {
    double tokens = 0;             // the bucket at `refilled`
    Clock::time_point refilled{};  // when `tokens` was computed
    std::size_t pending = 0;
  };
  struct KeyHash {
    std::size_t operator()(const ClientKey& key) const noexcept;
  };

  double capacity() const noexcept;
  double tokens_at(const Entry& entry, Clock::time_point now) const noexcept;
  bool idle(const Entry& entry, Clock::time_point now) const noexcept;
  void sweep(Clock::time_point now);

  const ClientLimits limits_;
  std::unordered_map<ClientKey, Entry, KeyHash> clients_;
  Clock::time_point next_sweep_{};
};

}  // namespace scanhub::signalr
