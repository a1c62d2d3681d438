#pragma once
// What the queue tells the rest of the program (seed 003's job lifecycle events and queue
// stats; the lead bridges these to the EventBus). Every member has an empty default.
//
// Threads: on_jobs_created, on_job_completed and on_job_failed run on the Store's writer thread
// right after the commit they report, in commit order; on_jobs_cancelled on the thread that
// called Queue::cancel or cancel_scan, after its commit; on_job_started and on_job_progress on
// the worker running the job; on_stats_changed on the dispatcher; on_storage_changed on
// whichever thread's write found the change. They must be quick, must not throw (a throw is
// logged and ignored) and must never wait for a Store write (Store::write_sync or
// Queue::enqueue from the writer thread would deadlock); Store::write (asynchronous) and
// Queue::enqueue_async are fine.

#include "core/job.hpp"
#include "queue/storage_gate.hpp"

#include <span>

namespace scanhub::queue {

/// A failed attempt, with seed 003's retry information.
struct JobFailure {
  int attempt = 0;       ///< the attempt that failed (1-based)
  int max_attempts = 0;
  bool will_retry = false;
  core::TimePoint retry_at{};  ///< when will_retry
  std::string error;     ///< the reason, stored as last_error
};

class QueueObserver {
 public:
  virtual ~QueueObserver() = default;

  /// Jobs were added (by enqueue, or as children of a completed job).
  virtual void on_jobs_created(std::span<const core::Job> /*jobs*/) {}
  /// An attempt started (job.attempts is its number).
  virtual void on_job_started(const core::Job& /*job*/) {}
  virtual void on_job_progress(const core::Job& /*job*/, const core::JobProgress& /*progress*/) {}
  /// The job's results and its completion committed. Seed 002's phase machine runs here.
  virtual void on_job_completed(const core::Job& /*job*/) {}
  /// An attempt failed; the job is pending again (will_retry) or failed for good.
  virtual void on_job_failed(const core::Job& /*job*/, const JobFailure& /*failure*/) {}
  /// Jobs became cancelled (Queue::cancel, Queue::cancel_scan).
  virtual void on_jobs_cancelled(std::span<const core::JobId> /*ids*/) {}
  /// Counts changed (at most every QueueOptions::stats_interval).
  virtual void on_stats_changed(const core::QueueStats& /*stats*/) {}
  /// The queue paused for a storage fault, a retry failed (retry_at moved), it resumed, or it
  /// met a damaged file (queue/storage_gate.hpp).
  virtual void on_storage_changed(const StorageStatus& /*status*/) {}
};

}  // namespace scanhub::queue
