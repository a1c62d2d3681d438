#pragma once
// What a handler gets for one attempt of one job: the job, its stop token, progress reporting
// (seed 003's updateJobProgress) and the children it wants added with its completion.
// Used on the worker thread that runs the attempt; not thread-safe.

#include "core/job.hpp"

#include <functional>
#include <stdexcept>
#include <stop_token>
#include <vector>

namespace scanhub::queue {

class Queue;

/// Thrown by a handler for a failure that another attempt cannot fix (a file that is not a
/// video): the job is failed at once, without the remaining attempts.
class PermanentJobError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class JobContext {
 public:
  JobContext(Queue& queue, core::Job job, std::stop_token stop) noexcept
      : queue_(queue), job_(std::move(job)), stop_(std::move(stop)) {}
  JobContext(const JobContext&) = delete;
  JobContext& operator=(const JobContext&) = delete;

  /// The job as claimed: status processing, attempts counting this attempt.
  const core::Job& job() const noexcept { return job_; }
  /// Triggered when the job is cancelled or the queue stops; a handler that sees it should
  /// throw soon (returning means "done" and would be committed unless the job was cancelled).
  const std::stop_token& stop_token() const noexcept { return stop_; }
  bool stop_requested() const noexcept { return stop_.stop_requested(); }

  /// Live progress, to observers (not stored: seed 003 keeps it ephemeral).
  void report_progress(const core::JobProgress& progress);

  /// A job to add in the same transaction as this job's completion (so a retry never adds it
  /// twice). parent_id is set to this job; scan_id defaults to this job's.
  void add_child(core::NewJob child);
  std::vector<core::NewJob>& children() noexcept { return children_; }

  /// `fn` runs on the Store's writer thread right after this attempt's completion committed
  /// (before observers hear of it), in commit order; never when the completion was refused or
  /// rolled back. For publishing what the commit made true (a scan's new counters). Must be
  /// quick and must not wait for a Store write; a throw is logged.
  void after_commit(std::function<void()> fn) { after_commit_ = std::move(fn); }
  std::function<void()>& after_commit_fn() noexcept { return after_commit_; }

 private:
  Queue& queue_;
  core::Job job_;
  std::stop_token stop_;
  std::vector<core::NewJob> children_;
  std::function<void()> after_commit_;
};

}  // namespace scanhub::queue
