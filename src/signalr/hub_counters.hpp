#pragma once
// Counters of the SignalR server, for /metrics. Written from any network thread with relaxed
// atomics (they are statistics, not synchronisation); read with snapshot() from any thread.

#include <array>
#include <atomic>
#include <cstddef>
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

/// A statistics counter written by every network thread for each message they send: one
/// cache line per shard, a thread adds to its own, so a fan-out on two threads does not bounce
/// one line between the cores 5,000 times per message (bench/fanout). load() sums the shards.
class ShardedCounter {
 public:
  void add(std::uint64_t n) noexcept {
    shards_[shard_index()].value.fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t load() const noexcept {
    std::uint64_t sum = 0;
    for (const auto& shard : shards_) sum += shard.value.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  static constexpr std::size_t kShards = 8;
  struct alignas(64) Shard {
    std::atomic<std::uint64_t> value{0};
  };
  static std::size_t shard_index() noexcept {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t index = next.fetch_add(1, std::memory_order_relaxed) % kShards;
    return index;
  }
  std::array<Shard, kShards> shards_{};
};

struct HubCounters {
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> messages_received{0};
  ShardedCounter messages_sent;
  std::atomic<std::uint64_t> messages_conflated{0};
  std::atomic<std::uint64_t> slow_connections_closed{0};
  std::atomic<std::uint64_t> protocol_errors{0};

  HubCountersSnapshot snapshot() const noexcept {
    constexpr auto r = std::memory_order_relaxed;
    return {connections_open.load(r),  connections_total.load(r),  messages_received.load(r),
            messages_sent.load(),      messages_conflated.load(r), slow_connections_closed.load(r),
            protocol_errors.load(r)};
  }
};

}  // namespace scanhub::signalr
