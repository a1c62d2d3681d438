#pragma once
// Runs scans: discovery, then the scanning phase as one unit of work per directory on a worker
// pool, then removal of tracks whose files are gone. Seeds 000 and 002 (phases and counters),
// foundation issue (incremental rescans, exact counters, bad input never stops a scan).
//
// Exactness: each directory's tracks, errors and counter increments commit in ONE write
// (store::Store::write), and the live counters move only after that commit; so the database
// and the progress events always agree and nothing is counted twice.
//
// Thread-safety: all members may be called from any thread. Each scan runs on its own
// coordinator thread; tag reading runs on the shared worker pool.

#include "core/library.hpp"
#include "core/scan.hpp"
#include "media/tag_reader.hpp"
#include "progress/tracker.hpp"
#include "scan/worker_pool.hpp"
#include "store/store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace scanhub::scan {

/// A scan was requested for libraries of which some, not all, are being scanned already.
class ScanConflict : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ScanServiceOptions {
  unsigned workers = 0;  ///< tag-reading threads; 0 = one per core
  /// Test hook: each directory's unit of work sleeps this long first, so end-to-end tests can
  /// watch (and join) a scan in its scanning phase. Zero in production.
  std::chrono::milliseconds directory_delay_for_test{0};
};

class ScanService {
 public:
  ScanService(store::Store& store, progress::ProgressTracker& tracker,
              const media::TagReader& reader, ScanServiceOptions options = {});
  /// Cancels running scans and waits for them.
  ~ScanService();
  ScanService(const ScanService&) = delete;
  ScanService& operator=(const ScanService&) = delete;

  struct Started {
    core::ScanId id = 0;
    bool already_running = false;  ///< a scan of exactly these libraries was running: its id
  };

  /// Starts scanning `libraries` (music) in the background and returns once the scan exists in
  /// the database. Throws std::invalid_argument for an empty list, ScanConflict when some of the
  /// libraries are being scanned by another scan, sqlite::Error when the database fails.
  ///
  /// `directories` (issue 4, the file-system watcher): when not empty, an incremental scan of
  /// just these directories of the ONE library given, each '/'-separated and relative to its
  /// root ("" = the root), each with everything below it. Only they are walked; tracks under
  /// them whose files are gone are removed; nothing outside them is touched. A directory that is
  /// gone, hidden, or under a `.scanignore` holds nothing. Nested entries are folded into their
  /// ancestor. Throws std::invalid_argument for more than one library or a path that is
  /// absolute or has "", "." or ".." components. A scoped scan never joins a running scan
  /// (already_running): any overlap with one throws ScanConflict.
  Started start(const std::vector<core::Library>& libraries, core::ScanTrigger trigger,
                const core::ScanOptions& options = {},
                const std::vector<std::string>& directories = {});

  /// Asks scan `id` to stop; it ends as `cancelled` soon after. False when it is not running.
  bool cancel(core::ScanId id);
  /// Blocks until scan `id` has ended (returns at once when it is not running).
  void wait(core::ScanId id);
  /// Like wait(), for at most `timeout`; true when the scan has ended.
  bool wait_for(core::ScanId id, std::chrono::milliseconds timeout);

  /// Marks scans left running by a previous process as failed. Call once at start-up.
  std::vector<core::ScanId> fail_interrupted_scans();

 private:
  struct Running;
  void run(Running& scan);
  void reap_finished();  // requires mutex_

  store::Store& store_;
  progress::ProgressTracker& tracker_;
  const media::TagReader& reader_;
  const std::chrono::milliseconds directory_delay_for_test_;
  WorkerPool pool_;

  std::mutex mutex_;
  std::condition_variable scan_ended_;
  std::map<core::ScanId, std::shared_ptr<Running>> running_;
};

}  // namespace scanhub::scan
