#pragma once
// Runs scans as trees of jobs on the persistent queue (seed 002; issue 4 items 2 and 3):
//
//   discover (one per scan)          walks the libraries, emits one directory-scan per
//                                    directory and a remove-missing job for what is gone from
//                                    directories it no longer finds
//   directory-scan (priority 6)      music: stats and reads the tags of one directory's audio
//                                    files; movie: the Kodi movie directory (video, .nfo,
//                                    streams, local assets); emits a cache-asset per new asset
//   cache-asset (priority 7)         SHA-256 and content-addressed copy into the asset cache
//   <enricher job type> (priority 8) one per item an Enricher wants (scan/enricher.hpp)
//
// and the scan moves discovering -> scanning -> caching -> enriching -> completed, skipping
// phases without work (or ends failed / cancelled).
//
// Exactness: every job's results, its scan's counter increments and the phase machine commit in
// ONE transaction with the job's completion (queue::CommitFn), or, for a job that fails for
// good, with its failure (queue::FailedFn: counted as an error, and as assets_failed /
// enrichment_failed, so the phase still ends). The phase machine (seed 002's
// checkPhaseTransition) runs inside that transaction after the counters moved: a phase ends
// only when everything it emitted is done, and its successor's jobs are emitted in the same
// commit. So a crash at any point, followed by a restart, resumes the scan where its last
// commit left it, and no count is lost or doubled. Live progress (progress::ProgressTracker)
// is published after each commit from the scan row that commit wrote.
//
// Storage faults (queue/storage_gate.hpp): while the queue is paused because the database
// cannot be written (a full disk), every running scan shows why in its live snapshot
// (current_operation "Paused: <reason>", last_error the reason) and goes on by itself when
// writes succeed again. A scan one of whose jobs meets a damaged database file fails at once
// with the reason (failure, ScanFailed), since waiting would not finish it.
//
// Restart: the constructor recovers the queue (jobs left processing by a dead process run
// again), resumes every scan that still has jobs (its snapshot is published again, as
// ScanStarted), and ends the others (cancelled if their jobs were cancelled, else failed,
// "interrupted").
//
// Thread-safety: all members may be called from any thread, except from the store's writer
// thread (they wait for writes). Handlers run on the queue's worker threads.

#include "core/library.hpp"
#include "core/scan.hpp"
#include "media/tag_reader.hpp"
#include "progress/tracker.hpp"
#include "queue/queue.hpp"
#include "scan/asset_cache.hpp"
#include "scan/enricher.hpp"
#include "store/store.hpp"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::scan {

/// A scan was requested for libraries of which some, not all, are being scanned already.
class ScanConflict : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Job types of a scan, as stored in the jobs table (seed 002's names).
inline constexpr const char* kDiscoverJob = "discover";
inline constexpr const char* kDirectoryScanJob = "directory-scan";
inline constexpr const char* kCacheAssetJob = "cache-asset";
/// The cache-asset job for the stored asset `asset` of the library at `root` (absolute), a
/// child of job `parent` in `scan` (seed 002 phase 3). Payload: {scanJobId, itemAssetId,
/// sourcePath (root + "/" + asset.source_path), displayPath (the relative path as valid
/// UTF-8), kind, and source when not empty ("file" or "embedded", album art: an embedded
/// picture is cached as its bytes)}. The cache-asset handler reads exactly these fields.
core::NewJob cache_asset_job(const core::ItemAsset& asset, const std::string& root,
                             core::ScanId scan, core::JobId parent,
                             std::string_view source = {});
/// Removes what discovery found gone (stored items in directories it no longer found). Queued
/// by discovery but held back until the last directory scan commits, so a scan cancelled
/// before then removes nothing; the scanning phase ends only after it.
inline constexpr const char* kRemoveMissingJob = "remove-missing";

struct ScanServiceOptions {
  /// directory-scan and cache-asset jobs running at once (each on a thread of its own); 0 =
  /// four per core (a job spends much of its time waiting for its commit).
  unsigned workers = 0;
  /// Test hook: each directory-scan job sleeps this long first (stopping early when the scan is
  /// cancelled), so end-to-end tests can watch, join, cancel or kill a scan in its scanning
  /// phase. Zero in production.
  std::chrono::milliseconds directory_delay_for_test{0};
  /// Wall-clock time reading one file may take (tags, embedded pictures, a movie's probe): a
  /// file over it is a scan error with the reason ("reading took longer than the 10 s budget"),
  /// its stored item kept. `--file-time-budget`. A job's stop token (cancel, shutdown) stops
  /// the file in progress at its next read whatever the budget.
  std::chrono::milliseconds file_time_budget = media::kDefaultFileTimeBudget;
  /// Root of the content-addressed asset cache; empty: "cache" next to the database file.
  std::filesystem::path asset_cache;
  /// The enriching phase's enrichers; none: the phase is skipped.
  std::vector<std::shared_ptr<Enricher>> enrichers;
  /// Told about every job of the queue (e.g. the hubs' bridge for seed 003's job events).
  std::vector<queue::QueueObserver*> observers;
  /// Backoff between attempts of every scan job type (tests shorten it).
  queue::RetryPolicy retry;
  /// Lease and polling of the queue (its `workers` is computed from the above).
  queue::QueueOptions queue;
};

class ScanService {
 public:
  /// Opens the asset cache, registers the scan's job types (and `options.enrichers`') on a queue
  /// of its own, resumes interrupted scans (see above) and starts the queue. Throws
  /// sqlite::Error when the database fails, std::filesystem::filesystem_error when the asset
  /// cache directory cannot be created.
  ScanService(store::Store& store, progress::ProgressTracker& tracker,
              const media::TagReader& reader, ScanServiceOptions options = {});
  /// Stops the queue: running jobs get a second to finish, then are stopped and return to
  /// pending; their scans stay as they are in the database and resume at the next start.
  ~ScanService();
  ScanService(const ScanService&) = delete;
  ScanService& operator=(const ScanService&) = delete;

  struct Started {
    core::ScanId id = 0;
    bool already_running = false;  ///< a scan of exactly these libraries was running: its id
  };

  /// Starts scanning `libraries` (music or movie) in the background: the scan row and its
  /// discover job commit together, then this returns. Throws std::invalid_argument for an empty
  /// list, ScanConflict when some of the libraries are being scanned by another scan,
  /// sqlite::Error when the database fails.
  ///
  /// `directories` (issue 4, the file-system watcher): when not empty, an incremental scan of
  /// just these directories of the ONE music library given, each '/'-separated and relative to
  /// its root ("" = the root), each with everything below it. Only they are walked; tracks
  /// under them whose files are gone are removed; nothing outside them is touched. A directory
  /// that is gone, hidden, or under a `.scanignore` holds nothing. Nested entries are folded
  /// into their ancestor. Throws std::invalid_argument for more than one library or a path that
  /// is absolute or has "", "." or ".." components. A scoped scan never joins a running scan
  /// (already_running): any overlap with one throws ScanConflict.
  Started start(const std::vector<core::Library>& libraries, core::ScanTrigger trigger,
                const core::ScanOptions& options = {},
                const std::vector<std::string>& directories = {});

  /// Cancels scan `id`: its status becomes cancelled and its pending and running jobs are
  /// cancelled in one transaction (running handlers see their stop token). False when it is not
  /// running.
  bool cancel(core::ScanId id);
  /// Blocks until scan `id` has ended (returns at once when it is not running).
  void wait(core::ScanId id);
  /// Like wait(), for at most `timeout`; true when the scan has ended.
  bool wait_for(core::ScanId id, std::chrono::milliseconds timeout);

  /// Scans the constructor resumed (they had jobs left) and ended (they had none).
  const std::vector<core::ScanId>& resumed_scans() const noexcept { return resumed_; }
  const std::vector<core::ScanId>& ended_at_start() const noexcept { return ended_at_start_; }

  /// The queue the scans run on: queue stats, job lists, cancelling jobs.
  queue::Queue& queue() noexcept { return *queue_; }
  AssetCache& asset_cache() noexcept { return *cache_; }

 private:
  struct Active;
  struct Commit;
  class Handlers;

  std::shared_ptr<Active> find_active(core::ScanId id);
  /// Loads scan `id`'s libraries and options from the database (a job whose scan is not active
  /// here: resumed after the maps were built, or run by another process).
  std::shared_ptr<Active> load_active(core::ScanId id);
  void resume();
  /// Seed 002's checkPhaseTransition, inside the transaction of a job's commit; fills `out`.
  /// `finishing`: the job whose commit this is (still processing inside it).
  void advance(store::Connection& c, core::ScanId id, core::TimePoint now, Commit& out,
               core::JobId finishing = 0);
  /// Releases the scan's held-back remove-missing job once its directories are done; true
  /// while it has not run (the scanning phase waits for it).
  bool removal_released(store::Connection& c, core::ScanId id, core::TimePoint now,
                        core::JobId finishing, Commit& out);
  /// The enriching phase's jobs (enqueue_in, in the same transaction); returns the counters to
  /// add: enrichment_queued (jobs + items skipped without a job, 0 when no job) and
  /// enrichment_skipped (scan/enricher.hpp).
  core::ScanCounters emit_enrichment(store::Connection& c, const core::ScanSnapshot& scan, Commit& out);
  /// After a commit: notifies the queue of jobs added with enqueue_in and publishes the scan.
  void published(const Commit& commit);
  void publish(const core::ScanSnapshot& scan, const std::string& directory);
  void register_handlers();
  // Storage faults (scan_storage.cpp).
  /// QueueOptions::on_damaged: the job's scan fails, or every running scan when the queue's
  /// own writes met the damage (`job` null). On the queue's dispatcher thread.
  void on_damaged(const core::Job* job, const std::string& reason);
  /// A job of scan `id` met a damaged database: the scan fails with `reason` (its jobs
  /// cancelled), published even when that cannot be written.
  void fail_damaged(core::ScanId id, const std::string& reason);
  /// Shows the queue's storage state in the live snapshot of scan `id` (every active scan
  /// when 0).
  void show_storage(const queue::StorageStatus& status, core::ScanId id = 0);

  // Tells show_storage() when the queue pauses or resumes.
  class StorageWatch : public queue::QueueObserver {
   public:
    explicit StorageWatch(ScanService& service) noexcept : service_(service) {}
    void on_storage_changed(const queue::StorageStatus& status) override { service_.show_storage(status); }

   private:
    ScanService& service_;
  };

  store::Store& store_;
  progress::ProgressTracker& tracker_;
  const media::TagReader& reader_;
  ScanServiceOptions options_;
  std::unique_ptr<AssetCache> cache_;
  StorageWatch storage_watch_{*this};
  std::unique_ptr<queue::Queue> queue_;

  std::mutex start_mutex_;  ///< one start() at a time (held across its writes)
  std::mutex mutex_;        ///< active_, Active::ended, paused_*; never held across a write
  /// While the queue is paused by a storage fault: what every running scan shows (show_storage).
  std::string paused_operation_;
  std::string paused_reason_;
  std::condition_variable scan_ended_;
  std::map<core::ScanId, std::shared_ptr<Active>> active_;
  std::mutex publish_mutex_;  ///< one scan's events leave in commit order
  std::vector<core::ScanId> resumed_;
  std::vector<core::ScanId> ended_at_start_;
};

}  // namespace scanhub::scan
