#pragma once
// The live state of every scan, and the publisher that turns its changes into events.
//
// Workers call update() as often as they like: it only changes the snapshot in memory. A timer
// thread publishes each changed scan at most once per interval (coalescing: newest wins).
// Lifecycle changes (start, phase change, finish) are published at once, after any pending
// progress of that scan, so they are never dropped and never overtaken.
//
// Thread-safety: every member may be called from any thread. Lock order: bus, then tracker.

#include "core/scan.hpp"
#include "progress/event_bus.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace scanhub::progress {

class ProgressTracker {
 public:
  using Mutation = std::function<void(core::ScanSnapshot&)>;
  using Now = std::function<core::TimePoint()>;

  /// `interval`: the coalescing period (seed 000 asks for live bars; 100 ms = at most ten
  /// progress events per scan per second). Zero starts no timer: call flush() (tests).
  explicit ProgressTracker(EventBus& bus, std::chrono::milliseconds interval = std::chrono::milliseconds(100),
                           Now now = [] { return core::Clock::now(); });
  ~ProgressTracker();
  ProgressTracker(const ProgressTracker&) = delete;
  ProgressTracker& operator=(const ProgressTracker&) = delete;

  EventBus& bus() noexcept { return bus_; }

  /// Tracks a new scan and publishes ScanStarted.
  void start(const core::ScanSnapshot& scan);
  /// Changes the snapshot of scan `id` (unknown ids are ignored); published within one interval.
  void update(core::ScanId id, const Mutation& mutate);
  /// Moves scan `id` to `status` (mutate may set timestamps too) and publishes pending progress,
  /// then ScanPhaseChanged. Ignored when the transition is not valid.
  void change_phase(core::ScanId id, core::ScanStatus status, const Mutation& mutate = {});
  /// Ends scan `id` with terminal `status`, publishes pending progress, then ScanFinished. The
  /// final snapshot stays readable for late subscribers (the newest kFinishedKept scans).
  void finish(core::ScanId id, core::ScanStatus status, const Mutation& mutate = {});

  /// The newest state of scan `id` with rate and ETA as of now; nullopt when not tracked.
  std::optional<core::ScanSnapshot> snapshot(core::ScanId id) const;
  /// Every scan that has not finished, oldest first.
  std::vector<core::ScanSnapshot> active() const;

  /// Runs `fn(snapshot)` while nothing is published, so a subscriber can send the snapshot and
  /// join a group without missing or reordering an event (see EventBus::run_exclusive).
  void with_snapshot(core::ScanId id,
                     const std::function<void(const std::optional<core::ScanSnapshot>&)>& fn);

  /// Publishes every pending progress change now.
  void flush();

  /// Drops the kept final snapshots of finished scans that covered `library` (deleted with it
  /// from the database), so no reader finds a scan the database no longer holds. Running scans
  /// are kept. Any thread.
  void forget_finished_of(core::LibraryId library);

  static constexpr std::size_t kFinishedKept = 64;

 private:
  struct Entry {
    core::ScanSnapshot scan;
    bool dirty = false;
    bool finished = false;
  };

  // Requires the bus lock; takes the tracker lock. Publishes pending progress of `id` (all scans
  // when nullopt).
  void publish_pending(std::optional<core::ScanId> id);
  void prune_finished();  // requires mutex_
  void run_timer();

  EventBus& bus_;
  const std::chrono::milliseconds interval_;
  const Now now_;

  mutable std::mutex mutex_;
  std::map<core::ScanId, Entry> scans_;
  bool stopping_ = false;
  std::condition_variable stop_requested_;
  std::thread timer_;
};

}  // namespace scanhub::progress
