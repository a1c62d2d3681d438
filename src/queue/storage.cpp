// The queue's side of storage faults: pausing, parking what could not be written, retrying and
// resuming (queue.hpp, queue/storage_gate.hpp).
#include "queue/internal.hpp"
#include "queue/queue.hpp"
#include "store/database_file.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace scanhub::queue {

namespace {

long long seconds_between(core::TimePoint from, core::TimePoint to) {
  const auto d = std::chrono::duration_cast<std::chrono::milliseconds>(to - from);
  return std::max<long long>(0, (d.count() + 999) / 1000);
}

}  // namespace

StorageStatus Queue::storage_status() {
  std::lock_guard lock(mutex_);
  return gate_.status();
}

std::optional<Queue::NotedFault> Queue::note_fault(std::exception_ptr error) {
  const auto e = sqlite::find_fault(error);
  if (!e) return std::nullopt;
  NotedFault noted{sqlite::fault_of(e->code()), store::describe_fault(store_.path(), *e)};
  StorageGate::Change change;
  StorageStatus status;
  {
    std::lock_guard lock(mutex_);
    change = gate_.on_fault(noted.fault, noted.reason, core::Clock::now());
    status = gate_.status();
  }
  switch (change) {
    case StorageGate::Change::paused:
      spdlog::error("storage: {}; the job queue pauses and tries again in {} s", noted.reason,
                    seconds_between(core::Clock::now(), *status.retry_at));
      break;
    case StorageGate::Change::damaged:
      spdlog::error("storage: {}. Jobs that meet the damage fail with it, and their scans.",
                    noted.reason);
      break;
    default:
      break;
  }
  if (change != StorageGate::Change::none) {
    notify([&](QueueObserver& o) { o.on_storage_changed(status); });
  }
  return noted;
}

void Queue::note_success() {
  StorageStatus status;
  core::TimePoint paused_since;
  const auto now = core::Clock::now();
  {
    std::lock_guard lock(mutex_);
    if (!gate_.paused()) return;
    paused_since = gate_.status().since;
    if (gate_.on_success(now) != StorageGate::Change::resumed) return;  // before the retry was due
    status = gate_.status();
  }
  spdlog::warn("storage: writes succeed again after {} s; the job queue resumes",
               seconds_between(paused_since, now));
  release_parked();
  notify([&](QueueObserver& o) { o.on_storage_changed(status); });
  wake();
}

void Queue::park(Parked parked) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      parked_.push_back(std::move(parked));
      return;
    }
    // Stopping: nothing will retry it here. Its row stays processing until the release (or,
    // if that cannot be written either, until the next start recovers it).
    deferred_.push_back({std::move(parked.job), Deferred::Kind::release});
    wake_ = true;
  }
  dispatch_cv_.notify_one();
  idle_cv_.notify_all();
}

void Queue::release_parked() {
  bool run = false;
  {
    std::lock_guard lock(mutex_);
    for (auto it = parked_.begin(); it != parked_.end();) {
      if (stopping_) {
        deferred_.push_back({std::move(it->job), Deferred::Kind::release});
      } else if (it->commit) {
        ++it;  // committed again by the dispatcher (resubmit_parked): this may be the writer thread
        continue;
      } else if (it->failure) {
        deferred_.push_back(std::move(*it->failure));
      } else {
        // Its handler could not read: it runs again, the attempt it already counted reused.
        ready_.push_back(std::move(it->job));
        run = true;
      }
      it = parked_.erase(it);
    }
    wake_ = true;
  }
  dispatch_cv_.notify_one();
  idle_cv_.notify_all();
  if (run) work_cv_.notify_all();
}

void Queue::resubmit_parked(bool probe) {
  std::vector<PendingCommit> commits;
  {
    std::lock_guard lock(mutex_);
    for (auto it = parked_.begin(); it != parked_.end();) {
      if (it->commit) {
        commits.push_back(std::move(*it->commit));
        commits.back().retry = probe;
        it = parked_.erase(it);
      } else {
        ++it;
      }
    }
    if (probe) probing_ = !commits.empty();
  }
  if (!commits.empty()) schedule_commits(std::move(commits));
}

void Queue::probe_storage() {
  bool parked_commits = false;
  {
    std::lock_guard lock(mutex_);
    parked_commits = std::any_of(parked_.begin(), parked_.end(), [](const Parked& p) { return p.commit.has_value(); });
  }
  if (parked_commits) {
    // Their group commit says whether storage is back (on success: note_success).
    resubmit_parked(true);
    return;
  }
  // Nothing to commit again: a heartbeat (leases, stalled jobs) is the retry.
  try {
    heartbeat_round();
    note_success();
  } catch (...) {
    const auto error = std::current_exception();
    if (!note_fault(error)) spdlog::error("queue: heartbeat: {}", detail::what_of(error));
  }
}

}  // namespace scanhub::queue
