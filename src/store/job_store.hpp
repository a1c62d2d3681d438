#pragma once
// The persistent job queue's table (issue 4 item 1; seed 002's jobs and priorities, seed 003's
// lifecycle and stats). `JobStore` is the interface the queue runtime (src/queue) uses, so a
// PostgreSQL store can implement it later; `SqliteJobStore` is the one on a store::Connection.
//
// Every call runs on the caller's connection inside the caller's transaction (the Store's
// writer wraps each piece of work in a savepoint): a job's completion commits together with
// the results written beside it. Not thread-safe: one instance per connection.
// Errors: sqlite::Error from SQLite (constraint, I/O, busy); nothing else is thrown.
// Times: TimePoints are stored as Unix epoch milliseconds (run_after, lease_expires) or ISO 8601
// text (created_at, started_at, finished_at).

#include "core/job.hpp"
#include "lib/sqlite/statement.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace scanhub::store {

/// How many jobs of one type a claim may take.
struct ClaimSlot {
  std::string type;
  int limit = 0;
};

/// What one claim asks for: at most `limit` jobs over all `slots`, each type at most its slot's
/// limit, pending and due (run_after <= now), best first (priority ascending, then id).
struct ClaimRequest {
  std::vector<ClaimSlot> slots;
  int limit = 0;
  std::string owner;                  ///< lease owner written on the claimed rows
  std::chrono::milliseconds lease{30000};  ///< lease_expires = now + lease
};

/// How fail() left a job.
struct FailOutcome {
  bool found = false;      ///< false: not processing under this owner (nothing changed)
  bool will_retry = false; ///< back to pending, run_after = now + retry_delay
  int attempts = 0;
  int max_attempts = 0;
  core::TimePoint retry_at{};  ///< when will_retry
};

/// Filter for list(). Empty fields match everything.
struct JobFilter {
  std::optional<core::JobStatus> status;
  bool active_only = false;  ///< pending or processing (seed 003's active jobs)
  std::optional<std::string> type;
  std::optional<core::ScanId> scan_id;
  /// A user who is not an admin (progress/job_access.hpp): external jobs only when this user
  /// created them (Job::created_by), every job of another type.
  std::optional<std::string> visible_to;
  std::optional<std::string> video_id;    ///< external jobs carrying this videoId
  int limit = 100;
  int offset = 0;
};

class JobStore {
 public:
  virtual ~JobStore() = default;

  /// Inserts `jobs` as pending; a job's max_attempts 0 becomes `default_max_attempts`.
  /// Returns their ids in order. Throws sqlite::Error (e.g. a parent_id or scan_id that does
  /// not exist: SQLITE_CONSTRAINT_FOREIGNKEY).
  virtual std::vector<core::JobId> enqueue(std::span<const core::NewJob> jobs, core::TimePoint now,
                                           int default_max_attempts = 1) = 0;

  /// Takes due pending jobs as `request` says: each becomes processing with attempts + 1,
  /// started_at = now and the lease. Returns them as they are after the claim, best first.
  virtual std::vector<core::Job> claim(const ClaimRequest& request, core::TimePoint now) = 0;

  /// Heartbeat: extends the leases of those of `ids` still processing under `owner` to
  /// `expires`. Returns the ids whose lease was renewed (a missing id was cancelled or taken).
  virtual std::vector<core::JobId> renew_leases(std::span<const core::JobId> ids,
                                                const std::string& owner,
                                                core::TimePoint expires) = 0;

  /// Marks job `id` completed if it is processing under `owner` (any owner when nullopt).
  /// False otherwise (cancelled meanwhile, or recovered and taken by someone else): the caller
  /// must then roll back the results it wrote beside it.
  virtual bool complete(core::JobId id, const std::optional<std::string>& owner,
                        core::TimePoint now) = 0;

  /// A failed attempt of job `id` (processing under `owner`, any when nullopt): back to pending
  /// with run_after = now + retry_delay while attempts < max_attempts and `retry`; failed with
  /// finished_at otherwise. `error` becomes last_error either way.
  virtual FailOutcome fail(core::JobId id, const std::optional<std::string>& owner,
                           const std::string& error, core::TimePoint now,
                           std::chrono::milliseconds retry_delay, bool retry = true) = 0;

  /// Gives processing jobs of `owner` back to pending without counting the attempt (a worker
  /// that stops before running them, or is told to stop while running them). Returns how many.
  virtual int release(std::span<const core::JobId> ids, const std::string& owner) = 0;

  /// Cancels job `id` (when pending or processing) and every pending or processing job below
  /// it (parent_id, recursively). Returns the ids that became cancelled, `id` first if it did.
  virtual std::vector<core::JobId> cancel(core::JobId id, core::TimePoint now) = 0;
  /// Cancels every pending or processing job of scan `scan_id`. Returns their ids.
  virtual std::vector<core::JobId> cancel_scan(core::ScanId scan_id, core::TimePoint now) = 0;
  /// Cancels pending and processing jobs whose scan has ended (completed, failed, cancelled):
  /// what a crash between a scan's end and its jobs' cancellation leaves. Returns their ids.
  virtual std::vector<core::JobId> cancel_jobs_of_ended_scans(core::TimePoint now) = 0;
  /// The jobs of scan `scan_id` by status (a restart's question: does the scan still have work?).
  virtual core::QueueCounts count_for_scan(core::ScanId scan_id) = 0;
  /// pending -> processing for the one named job (what claim writes: attempt + 1, lease under
  /// `owner` until `lease_expires`, started_at): a job run by another program (external jobs).
  /// False when it is not pending.
  virtual bool start(core::JobId id, const std::string& owner, core::TimePoint lease_expires,
                     core::TimePoint now) = 0;
  /// Makes the pending jobs of `type` in scan `scan_id` due now (they were queued with a
  /// run_after far ahead, to wait for their phase). Returns their ids.
  virtual std::vector<core::JobId> make_due(core::ScanId scan_id, std::string_view type,
                                            core::TimePoint now) = 0;
  /// Pending and processing jobs of `type` in scan `scan_id`, not counting job `except`.
  virtual std::int64_t count_live(core::ScanId scan_id, std::string_view type, core::JobId except) = 0;

  /// Stalled-job recovery: processing jobs whose lease expired before `now` go back to pending
  /// (the interrupted attempt is not counted; stalled_count + 1). With `all`, every processing
  /// job, whatever its lease: the single-process deployment's start-up, where every such job
  /// was left by a process that died; `all_types` (when not empty) limits that to the job types
  /// the caller runs (external jobs, run by other programs, keep their leases). Returns their ids.
  virtual std::vector<core::JobId> recover_stalled(core::TimePoint now, bool all = false,
                                                   std::span<const std::string> all_types = {}) = 0;
  /// The stalled jobs recover_stalled would take (same `now`, `all`, `all_types`) that already
  /// stalled `max_stalled` times fail for good instead: status failed, last_error `error`,
  /// finished now (BullMQ's maxStalledCount: a job that kills its process every time it runs
  /// must not be retried forever). Returns them, failed. Call before recover_stalled.
  virtual std::vector<core::Job> fail_stalled(core::TimePoint now, int max_stalled,
                                              const std::string& error, bool all = false,
                                              std::span<const std::string> all_types = {}) = 0;

  /// Stores the latest progress of job `id` (seed 003; for jobs that other programs report on).
  /// False when there is no such job.
  virtual bool save_progress(core::JobId id, const core::JobProgress& progress) = 0;

  virtual core::QueueStats stats() = 0;
  virtual std::optional<core::Job> get(core::JobId id) = 0;
  /// Newest first.
  virtual std::vector<core::Job> list(const JobFilter& filter) = 0;
};

class SqliteJobStore final : public JobStore {
 public:
  explicit SqliteJobStore(sqlite::Database& db) : db_(db) {}

  std::vector<core::JobId> enqueue(std::span<const core::NewJob> jobs, core::TimePoint now,
                                   int default_max_attempts = 1) override;
  std::vector<core::Job> claim(const ClaimRequest& request, core::TimePoint now) override;
  std::vector<core::JobId> renew_leases(std::span<const core::JobId> ids, const std::string& owner,
                                        core::TimePoint expires) override;
  bool complete(core::JobId id, const std::optional<std::string>& owner,
                core::TimePoint now) override;
  FailOutcome fail(core::JobId id, const std::optional<std::string>& owner,
                   const std::string& error, core::TimePoint now,
                   std::chrono::milliseconds retry_delay, bool retry = true) override;
  int release(std::span<const core::JobId> ids, const std::string& owner) override;
  std::vector<core::JobId> cancel(core::JobId id, core::TimePoint now) override;
  std::vector<core::JobId> cancel_scan(core::ScanId scan_id, core::TimePoint now) override;
  std::vector<core::JobId> cancel_jobs_of_ended_scans(core::TimePoint now) override;
  core::QueueCounts count_for_scan(core::ScanId scan_id) override;
  std::int64_t count_live(core::ScanId scan_id, std::string_view type, core::JobId except) override;
  std::vector<core::JobId> make_due(core::ScanId scan_id, std::string_view type,
                                    core::TimePoint now) override;
  bool start(core::JobId id, const std::string& owner, core::TimePoint lease_expires,
             core::TimePoint now) override;
  std::vector<core::JobId> recover_stalled(core::TimePoint now, bool all = false,
                                           std::span<const std::string> all_types = {}) override;
  std::vector<core::Job> fail_stalled(core::TimePoint now, int max_stalled, const std::string& error,
                                      bool all = false,
                                      std::span<const std::string> all_types = {}) override;
  bool save_progress(core::JobId id, const core::JobProgress& progress) override;
  core::QueueStats stats() override;
  std::optional<core::Job> get(core::JobId id) override;
  std::vector<core::Job> list(const JobFilter& filter) override;

 private:
  sqlite::Statement& cached(std::optional<sqlite::Statement>& slot, const char* sql);

  sqlite::Database& db_;
  std::optional<sqlite::Statement> insert_;
  std::optional<sqlite::Statement> claim_one_type_;
  std::optional<sqlite::Statement> claim_select_;
  std::optional<sqlite::Statement> claim_update_;
  std::optional<sqlite::Statement> renew_;
  std::optional<sqlite::Statement> complete_any_;
  std::optional<sqlite::Statement> complete_owned_;
  std::optional<sqlite::Statement> fail_select_;
  std::optional<sqlite::Statement> fail_update_;
  std::optional<sqlite::Statement> release_;
};

}  // namespace scanhub::store
