#pragma once
// What the send pipelines of one surface count (SignalR's HubCounters embeds one; /metrics and
// the tests read them). Written from any network thread with relaxed atomics (statistics, not
// synchronisation); read from any thread.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace scanhub::push {

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

struct SendCounters {
  ShardedCounter messages_sent;                         ///< records written to clients
  std::atomic<std::uint64_t> messages_conflated{0};     ///< queued records replaced by newer
  std::atomic<std::uint64_t> slow_clients_closed{0};    ///< closed for not keeping up
};

}  // namespace scanhub::push
