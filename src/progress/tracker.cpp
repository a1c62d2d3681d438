#include "progress/tracker.hpp"

#include <algorithm>

namespace scanhub::progress {

ProgressTracker::ProgressTracker(EventBus& bus, std::chrono::milliseconds interval, Now now)
    : bus_(bus), interval_(interval), now_(std::move(now)) {
  if (interval_.count() > 0) timer_ = std::thread([this] { run_timer(); });
}

ProgressTracker::~ProgressTracker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_requested_.notify_all();
  if (timer_.joinable()) timer_.join();
}

void ProgressTracker::start(const core::ScanSnapshot& scan) {
  bus_.run_exclusive([&] {
    core::ScanSnapshot copy;
    {
      std::lock_guard lock(mutex_);
      scans_[scan.id] = Entry{scan, false, false};
      copy = scan;
    }
    bus_.publish(ScanStarted{std::move(copy)});
  });
}

void ProgressTracker::update(core::ScanId id, const Mutation& mutate) {
  std::lock_guard lock(mutex_);
  const auto it = scans_.find(id);
  if (it == scans_.end() || it->second.finished) return;
  mutate(it->second.scan);
  it->second.dirty = true;
}

void ProgressTracker::change_phase(core::ScanId id, core::ScanStatus status,
                                   const Mutation& mutate) {
  bus_.run_exclusive([&] {
    publish_pending(id);
    core::ScanSnapshot copy;
    core::ScanStatus from;
    {
      std::lock_guard lock(mutex_);
      const auto it = scans_.find(id);
      if (it == scans_.end() || !core::is_valid_transition(it->second.scan.status, status) ||
          core::is_terminal(status)) {
        return;
      }
      from = it->second.scan.status;
      it->second.scan.status = status;
      if (mutate) mutate(it->second.scan);
      it->second.dirty = false;
      copy = it->second.scan;
    }
    core::update_rate_and_eta(copy, now_());
    bus_.publish(ScanPhaseChanged{std::move(copy), from});
  });
}

void ProgressTracker::finish(core::ScanId id, core::ScanStatus status, const Mutation& mutate) {
  bus_.run_exclusive([&] {
    publish_pending(id);
    core::ScanSnapshot copy;
    {
      std::lock_guard lock(mutex_);
      const auto it = scans_.find(id);
      if (it == scans_.end() || it->second.finished || !core::is_terminal(status)) return;
      it->second.scan.status = status;
      if (mutate) mutate(it->second.scan);
      core::update_rate_and_eta(it->second.scan, now_());
      it->second.dirty = false;
      it->second.finished = true;
      copy = it->second.scan;
      prune_finished();
    }
    bus_.publish(ScanFinished{std::move(copy)});
  });
}

std::optional<core::ScanSnapshot> ProgressTracker::snapshot(core::ScanId id) const {
  std::lock_guard lock(mutex_);
  const auto it = scans_.find(id);
  if (it == scans_.end()) return std::nullopt;
  core::ScanSnapshot copy = it->second.scan;
  if (!it->second.finished) core::update_rate_and_eta(copy, now_());
  return copy;
}

std::vector<core::ScanSnapshot> ProgressTracker::active() const {
  std::lock_guard lock(mutex_);
  std::vector<core::ScanSnapshot> scans;
  const core::TimePoint now = now_();
  for (const auto& [id, entry] : scans_) {
    if (entry.finished) continue;
    scans.push_back(entry.scan);
    core::update_rate_and_eta(scans.back(), now);
  }
  return scans;
}

void ProgressTracker::with_snapshot(
    core::ScanId id, const std::function<void(const std::optional<core::ScanSnapshot>&)>& fn) {
  bus_.run_exclusive([&] { fn(snapshot(id)); });
}

void ProgressTracker::flush() {
  bus_.run_exclusive([&] { publish_pending(std::nullopt); });
}

void ProgressTracker::publish_pending(std::optional<core::ScanId> id) {
  std::vector<core::ScanSnapshot> pending;
  {
    std::lock_guard lock(mutex_);
    const core::TimePoint now = now_();
    for (auto& [scan_id, entry] : scans_) {
      if (!entry.dirty || (id && scan_id != *id)) continue;
      entry.dirty = false;
      pending.push_back(entry.scan);
      core::update_rate_and_eta(pending.back(), now);
    }
  }
  for (auto& scan : pending) bus_.publish(ScanProgressed{std::move(scan)});
}

void ProgressTracker::forget_finished_of(core::LibraryId library) {
  std::lock_guard lock(mutex_);
  std::erase_if(scans_, [&](const auto& item) {
    const Entry& entry = item.second;
    return entry.finished &&
           std::any_of(entry.scan.libraries.begin(), entry.scan.libraries.end(),
                       [&](const core::ScanLibrary& l) { return l.id == library; });
  });
}

void ProgressTracker::prune_finished() {
  std::size_t finished = 0;
  for (const auto& [id, entry] : scans_) finished += entry.finished ? 1 : 0;
  for (auto it = scans_.begin(); it != scans_.end() && finished > kFinishedKept;) {
    if (it->second.finished) {
      it = scans_.erase(it);
      --finished;
    } else {
      ++it;
    }
  }
}

void ProgressTracker::run_timer() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    stop_requested_.wait_for(lock, interval_, [&] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    flush();
    lock.lock();
  }
}

}  // namespace scanhub::progress
