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
  // While paused: no retry before this (a retry that failed for another reason than storage
  // leaves the gate's retry_at in the past).
  auto next_probe = core::Clock::now();
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      core::TimePoint deadline;
      if (gate_.paused()) {
        // No claims, no heartbeat: only the retry (or, while parked completions are being
        // committed again, a look now and then; their commit wakes us).
        deadline = probing_ ? core::Clock::now() + options_.poll_interval
                            : std::max(gate_.retry_at(), next_probe);
      } else {
        deadline = std::min({next_heartbeat, next_poll, next_due_});
      }
      if (stats_dirty_ && !observers_.empty()) deadline = std::min(deadline, next_stats);
      dispatch_cv_.wait_until(lock, deadline, [&] { return stopping_ || wake_; });
      if (stopping_) return;
      wake_ = false;
    }
    run_deferred();
    auto now = core::Clock::now();
    bool paused = false;
    bool probe = false;
    {
      std::lock_guard lock(mutex_);
      paused = gate_.paused();
      probe = paused && !probing_ && now >= gate_.retry_at() && now >= next_probe;
    }
    if (paused) {
      if (probe) {
        next_probe = now + std::min<milliseconds>(options_.poll_interval, options_.storage_backoff.base);
        probe_storage();
        next_heartbeat = core::Clock::now() + heartbeat_every;
        next_poll = core::Clock::now();
      }
      std::optional<StorageStatus> reminder;
      {
        std::lock_guard lock(mutex_);
        if (gate_.reminder_due(core::Clock::now())) reminder = gate_.status();
      }
      if (reminder && reminder->retry_at) {
        spdlog::warn("storage: still paused since {}: {}; next try in {} s",
                     core::format_iso8601(reminder->since), reminder->reason,
                     std::chrono::ceil<std::chrono::seconds>(*reminder->retry_at - core::Clock::now()).count());
      }
    } else {
      resubmit_parked(false);  // completions kept while paused, if it just resumed
      try {
        if (now >= next_heartbeat) {
          // Set first: a heartbeat that throws must not be retried at once, in a loop.
          next_heartbeat = now + heartbeat_every;
          heartbeat_round();
        }
        {
          std::lock_guard lock(mutex_);
          if (next_due_ <= now) next_due_ = core::TimePoint::max();
        }
        while (claim_round()) {
        }
      } catch (...) {
        // The database refused: a storage fault pauses the queue (said once); anything else
        // (SQLITE_BUSY from another process) is tried again at the next poll.
        const auto error = std::current_exception();
        const auto fault = note_fault(error);
        if (!fault) spdlog::error("queue: dispatcher: {}", detail::what_of(error));
        if (fault && fault->fault == sqlite::Fault::corrupt && options_.on_damaged) {
          // The jobs table itself is damaged: no job can be relied on to run or finish.
          try {
            options_.on_damaged(nullptr, fault->reason);
          } catch (const std::exception& e) {
            spdlog::error("queue: on_damaged threw: {}", e.what());
          }
        }
      }
      next_poll = core::Clock::now() + options_.poll_interval;
    }
    now = core::Clock::now();
    if (stats_dirty_ && !observers_.empty() && now >= next_stats) {
      stats_dirty_ = false;
      next_stats = now + options_.stats_interval;
      try {
        const core::QueueStats stats = this->stats();
        notify([&](QueueObserver& o) { o.on_stats_changed(stats); });
      } catch (...) {
        const auto error = std::current_exception();
        if (!note_fault(error)) spdlog::error("queue: stats: {}", detail::what_of(error));
      }
    }
  }
}

store::ClaimRequest Queue::reserve_claim_locked(const std::map<std::string, int, std::less<>>& freed) {
  store::ClaimRequest request;
  // Paused by a storage fault: no claims (a group commit's freed slots are not refilled).
  if (stopping_ || gate_.paused()) return request;
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
        deferred_.push_back({std::move(job), Deferred::Kind::release});
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
