// The dispatcher thread: claims due jobs, renews leases, recovers stalled jobs (queue.hpp).
#include "queue/internal.hpp"
#include "queue/queue.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

namespace scanhub::queue {

void Queue::run_dispatcher() {
  using std::chrono::milliseconds;
  const auto heartbeat_every = std::max(milliseconds(10), options_.lease / 3);
  auto next_heartbeat = core::Clock::now() + heartbeat_every;
  auto next_poll = core::Clock::now();
  auto next_stats = core::Clock::now();
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      auto deadline = std::min({next_heartbeat, next_poll, next_due_});
      if (stats_dirty_ && !observers_.empty()) deadline = std::min(deadline, next_stats);
      dispatch_cv_.wait_until(lock, deadline, [&] { return stopping_ || wake_; });
      if (stopping_) return;
      wake_ = false;
    }
    run_deferred();
    auto now = core::Clock::now();
    try {
      if (now >= next_heartbeat) {
        heartbeat_round();
        next_heartbeat = now + heartbeat_every;
      }
      {
        std::lock_guard lock(mutex_);
        if (next_due_ <= now) next_due_ = core::TimePoint::max();
      }
      while (claim_round()) {
      }
      next_poll = core::Clock::now() + options_.poll_interval;
    } catch (const std::exception& e) {
      // The database refused (disk full, I/O error): try again at the next poll.
      spdlog::error("queue: dispatcher: {}", e.what());
      next_poll = core::Clock::now() + options_.poll_interval;
    }
    now = core::Clock::now();
    if (stats_dirty_ && !observers_.empty() && now >= next_stats) {
      stats_dirty_ = false;
      next_stats = now + options_.stats_interval;
      try {
        const core::QueueStats stats = this->stats();
        notify([&](QueueObserver& o) { o.on_stats_changed(stats); });
      } catch (const std::exception& e) {
        spdlog::error("queue: stats: {}", e.what());
      }
    }
  }
}

store::ClaimRequest Queue::reserve_claim_locked(const std::map<std::string, int, std::less<>>& freed) {
  store::ClaimRequest request;
  if (stopping_) return request;
  request.owner = options_.owner;
  request.lease = options_.lease;
  // Each type's concurrency is the bound (claimed jobs wait in ready_ for a worker, their leases
  // renewed), as BullMQ's concurrency counts active jobs; kMaxClaim only bounds one statement.
  constexpr int kMaxClaim = 1000;
  request.limit = kMaxClaim;
  for (auto& [type, state] : types_) {
    const auto it = freed.find(type);
    const int free = state.options.concurrency - state.active + (it == freed.end() ? 0 : it->second);
    if (free <= 0) continue;
    // Reserved until the claim returns, so a claim running meanwhile (the dispatcher's and a
    // group commit's) never takes the same slot.
    const int limit = std::min(free, request.limit);
    request.slots.push_back({type, limit});
    state.active += limit;
  }
  return request;
}

void Queue::accept_claimed(const store::ClaimRequest& request, std::vector<core::Job> claimed) {
  if (request.slots.empty()) return;
  bool release = false;
  {
    std::lock_guard lock(mutex_);
    // A group commit's claim that ends after stop() began: give the jobs back (stop() writes
    // the releases; this may be the writer thread, which must not wait for its own queue).
    release = stopping_;
    for (const auto& slot : request.slots) {
      const auto n = std::count_if(claimed.begin(), claimed.end(),
                                   [&](const core::Job& j) { return j.type == slot.type; });
      types_.find(slot.type)->second.active -= slot.limit - static_cast<int>(n);
    }
    for (auto& job : claimed) {
      if (!running_.try_emplace(job.id).second) {
        // Still running here: our own lease had expired (the heartbeat was held up for a whole
        // lease) and recovery made it pending again. The run under way completes it; the
        // claim's attempt is not started, and its slot is not held twice.
        types_.find(job.type)->second.active -= 1;
        continue;
      }
      if (release) {
        deferred_.emplace_back(std::move(job), std::nullopt);
      } else {
        ready_.push_back(std::move(job));
      }
    }
  }
  if (release) {
    idle_cv_.notify_all();
    return;
  }
  if (claimed.empty()) return;
  stats_dirty_ = true;
  if (claimed.size() == 1) {
    work_cv_.notify_one();
  } else {
    work_cv_.notify_all();
  }
}

bool Queue::claim_round() {
  store::ClaimRequest request;
  {
    std::lock_guard lock(mutex_);
    request = reserve_claim_locked({});
  }
  if (request.slots.empty()) {
    accept_claimed(request, {});
    return false;
  }
  std::vector<core::Job> claimed;
  try {
    store_.write_sync(
        [&](store::Connection& c) { claimed = c.jobs.claim(request, core::Clock::now()); });
  } catch (...) {
    accept_claimed(request, {});
    throw;
  }
  const bool any = !claimed.empty();
  accept_claimed(request, std::move(claimed));
  return any;
}

void Queue::heartbeat_round() {
  std::vector<core::JobId> ids;
  {
    std::lock_guard lock(mutex_);
    ids.reserve(running_.size());
    for (const auto& [id, running] : running_) ids.push_back(id);
  }
  const auto now = core::Clock::now();
  std::vector<core::JobId> renewed;
  std::vector<core::JobId> recovered;
  std::vector<StalledFailure> failed;
  store_.write_sync([&](store::Connection& c) {
    if (!ids.empty()) renewed = c.jobs.renew_leases(ids, options_.owner, now + options_.lease);
    failed = fail_stalled(c, now, false, {});
    recovered = c.jobs.recover_stalled(now);
  });
  report_stalled(failed);
  std::sort(renewed.begin(), renewed.end());
  {
    std::lock_guard lock(mutex_);
    for (core::JobId id : ids) {
      if (std::binary_search(renewed.begin(), renewed.end(), id)) continue;
      // Not ours any more (cancelled by another process, or taken after our lease expired), or
      // committed meanwhile: a running handler is told to stop; its result will be refused.
      if (auto it = running_.find(id); it != running_.end()) it->second.stop.request_stop();
    }
  }
  if (!recovered.empty()) {
    spdlog::warn("queue: {} stalled job(s) (lease expired) are pending again", recovered.size());
    stats_dirty_ = true;
    wake();
  }
}

void Queue::heartbeat_for_test() { heartbeat_round(); }

}  // namespace scanhub::queue
