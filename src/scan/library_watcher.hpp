#pragma once
// The file-system watcher (issue 4: "Scans are triggered ... by a file-system watcher (inotify;
// events debounced and folded into their parent directory, an incremental scan of just those
// directories; seed 001's FileSystemEvent)"). Scans it starts carry ScanTrigger
// file_system_event, seed 001's FileSystemEvent, and show as "file-system-event" in
// GET /api/scans.
//
// Two parts:
// - ChangeQueue: pure bookkeeping, no I/O and no clock of its own. A change is folded into its
//   parent directory (the watched directory it happened in); a queued ancestor absorbs it, and
//   it absorbs queued descendants (MPD's InotifyQueue). A library's batch is due after a quiet
//   period without changes, or after a maximum delay since its first change, so a constant
//   stream of writes still triggers scans.
// - LibraryWatcher: one inotify instance per library, a watch on every directory (recursive;
//   new directories are watched as they appear, removed ones dropped; hidden directories, those
//   below a `.scanignore` and links out of the library the library does not follow are skipped,
//   as src/scan/walker does), one thread that reads
//   events and starts ScanService scans of just the changed directories, one per library and
//   batch.
//
// Rules (issue 4):
// - Events that count: create, close_write, moved_from, moved_to, delete and attrib on audio
//   files (media::has_audio_extension) and on `.scanignore`; create, delete, moves and attrib of
//   directories. Other files (the database, cover art, partial downloads with other names) do
//   not trigger scans.
// - A scan already running for the library (the watcher's own or anyone's): the batch waits
//   and starts after it, with the changes that arrived meanwhile folded in. Nothing is lost and
//   no conflicting scan is started (ScanService::start throws ScanConflict then).
// - IN_Q_OVERFLOW (the kernel dropped events): a full scan of that library, and its directory
//   watches are walked again.
// - The watch limit (ENOSPC, fs.inotify.max_user_watches): logged once per library with the
//   limit and how to raise it; the directories already watched stay watched (degraded, not a
//   crash), and status() tells how many are not.

#include "core/library.hpp"
#include "core/scan.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace scanhub::scan {

class ScanService;

/// How long the watcher waits. Defaults: a quiet second, at most 10 s after the first change.
struct WatcherTimings {
  std::chrono::milliseconds quiet_period{1000};   ///< no change for this long: the batch is due
  std::chrono::milliseconds max_delay{10000};     ///< due at the latest this long after its first change
  std::chrono::milliseconds retry_interval{500};  ///< a busy library's batch is tried again after this
};

/// Pending changes per library. Not thread-safe (LibraryWatcher guards it with its mutex).
class ChangeQueue {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  /// What one scan must cover: `directories` relative to the library root, folded (none below
  /// another); `full` after an overflow: the whole library, `directories` empty.
  struct Batch {
    core::LibraryId library = 0;
    std::vector<std::string> directories;
    bool full = false;
  };

  explicit ChangeQueue(WatcherTimings timings) : timings_(timings) {}

  /// A change in `directory` ('/'-separated, relative to the library; "" = root) at `now`.
  void add(core::LibraryId library, const std::string& directory, TimePoint now);
  /// The library must be scanned whole (events were lost).
  void add_full(core::LibraryId library, TimePoint now);
  /// Removes and returns the batches due at `now`, in library order.
  std::vector<Batch> take_due(TimePoint now);
  /// Puts back a batch that could not start; it is due again no sooner than now + retry_interval,
  /// merged with the changes that arrived meanwhile.
  void defer(Batch batch, TimePoint now);
  /// Forgets a library's pending changes.
  void drop(core::LibraryId library) { pending_.erase(library); }
  /// When the earliest batch is due; none when nothing is pending.
  std::optional<TimePoint> next_due() const;
  /// The directories queued for `library` now (for tests and status).
  std::vector<std::string> pending(core::LibraryId library) const;

 private:
  struct Pending {
    std::vector<std::string> directories;
    bool full = false;
    TimePoint first{};
    TimePoint last{};
    std::optional<TimePoint> not_before;  // set by defer()
  };
  TimePoint due(const Pending& p) const;
  static void fold(std::vector<std::string>& queued, const std::string& directory);

  WatcherTimings timings_;
  std::map<core::LibraryId, Pending> pending_;
};

struct LibraryWatcherOptions {
  WatcherTimings timings;
  /// Test hook: behave as if the kernel's watch limit were this many watches in all (ENOSPC
  /// beyond it). 0 = the kernel's own limit only.
  std::size_t max_watches_for_test = 0;
};

/// Watches libraries and starts incremental scans on `scans`. Thread-safe; owns one thread.
/// Destroy it before the ScanService it uses.
class LibraryWatcher {
 public:
  /// Throws std::system_error when its thread's wake-up eventfd cannot be made.
  explicit LibraryWatcher(ScanService& scans, LibraryWatcherOptions options = {});
  /// Stops the thread and closes every inotify instance. Scans it started keep running.
  ~LibraryWatcher();
  LibraryWatcher(const LibraryWatcher&) = delete;
  LibraryWatcher& operator=(const LibraryWatcher&) = delete;

  /// Starts watching `library` (walks it now, one watch per directory, on the calling thread).
  /// Watching it again re-walks it. Throws std::system_error when no inotify instance can be
  /// made (EMFILE: fs.inotify.max_user_instances) or the library root cannot be watched.
  void watch(const core::Library& library);
  /// Stops watching a library and forgets its pending changes. False when it was not watched.
  bool unwatch(core::LibraryId library);

  struct Status {
    core::LibraryId library = 0;
    std::size_t watched_directories = 0;
    std::size_t unwatched_directories = 0;  ///< at least this many lost to the watch limit
    std::uint64_t scans_started = 0;
    std::uint64_t overflows = 0;
    std::optional<core::ScanId> last_scan;  ///< the last scan this watcher started
    std::vector<std::string> pending;       ///< directories waiting for a scan ("" = all)
  };
  std::vector<Status> status() const;

  /// Test hook: handle `library` as if the kernel had reported IN_Q_OVERFLOW.
  void overflow_for_test(core::LibraryId library);

 private:
  struct Watched;
  void run();
  void wake() noexcept;
  void read_events(Watched& w, ChangeQueue::TimePoint now);
  void on_overflow(Watched& w, ChangeQueue::TimePoint now);
  void add_tree(Watched& w, const std::string& relative);
  void add_tree(Watched& w, const std::string& relative, int depth, std::set<int>& visited);
  void remove_tree(Watched& w, const std::string& relative);
  void launch(ChangeQueue::Batch batch, ChangeQueue::TimePoint now);
  std::size_t total_watches() const;

  ScanService& scans_;
  const LibraryWatcherOptions options_;
  int wake_fd_ = -1;

  mutable std::mutex mutex_;  // guards everything below; held by the thread while it handles events
  bool stopping_ = false;
  ChangeQueue queue_;
  std::map<core::LibraryId, std::unique_ptr<Watched>> libraries_;

  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace scanhub::scan
