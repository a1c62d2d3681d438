#pragma once
// Counters of the SignalR server, for /metrics. Written from any network thread with relaxed
// atomics (they are statistics, not synchronisation); read with snapshot() from any thread.

#include "push/send_counters.hpp"

#include <atomic>
#include <cstdint>

namespace scanhub::signalr {

/// A plain copy of HubCounters at one moment.
struct HubCountersSnapshot {
  std::uint64_t connections_open = 0;         ///< transports attached right now
  std::uint64_t connections_total = 0;        ///< transports ever attached
  std::uint64_t messages_received = 0;        ///< hub messages (records) parsed from clients
  std::uint64_t messages_sent = 0;            ///< records handed to transports and written
  std::uint64_t messages_conflated = 0;       ///< queued messages replaced by a newer one
  std::uint64_t slow_connections_closed = 0;  ///< closed because their outbox overflowed
  std::uint64_t protocol_errors = 0;          ///< closed because of a client protocol violation
};

struct HubCounters {
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> messages_received{0};
  push::SendCounters send;  ///< every connection's send pipeline (messages sent, conflated, slow)
  std::atomic<std::uint64_t> protocol_errors{0};

  HubCountersSnapshot snapshot() const noexcept {
    constexpr auto r = std::memory_order_relaxed;
    return {connections_open.load(r),        connections_total.load(r),
            messages_received.load(r),       send.messages_sent.load(),
            send.messages_conflated.load(r), send.slow_clients_closed.load(r),
            protocol_errors.load(r)};
  }
};

}  // namespace scanhub::signalr
