#pragma once
// External jobs (issue 4 item 4): queue jobs that another program runs itself and reports on
// over HTTP, so scanhub carries their progress to /hubs/job-progress and the event bus.
//
// An external job is a row of the jobs table of type progress::kExternalJobType ("external"),
// which no worker registers, so the queue never claims it. Its life:
//   create   pending, or processing at once (attempt 1)               -> JobCreated [, JobStarted]
//   progress a pending job starts (attempt + 1); the progress is stored -> [JobStarted,] JobProgressed
//   complete from pending or processing; progress set to 100 %        -> JobCompleted
//   fail     from processing (a pending job starts first); with retry and attempts left the
//            job goes back to pending (the next progress report starts the next attempt),
//            else it is failed for good                                -> JobFailed (retry info)
// Each is ONE Store::write (one savepoint): it commits whole or not at all. After the commit
// the events, then QueueStatsChanged, are published on the writer thread, in commit order, so
// two reports racing on one job reach subscribers in the order they were stored.
// A processing external job holds the lease owner "external" with a lease of kExternalLease,
// renewed by each report; a program silent for longer lets the queue's stalled-job recovery
// return it to pending (as a queue started in single-process mode does at start-up).
//
// Callers (issue 16 "Per-user jobs"): a job records its creator (the caller's user id; none
// when anonymous), and a report on a job the caller may not see (progress/job_access.hpp:
// another user's job, unless the caller is an admin) is refused as 404, like a job that does
// not exist, so that nobody learns of other users' jobs. `caller` defaults to the anonymous
// principal (authentication off: an admin).
//
// Errors (http::HttpError, so the router answers with its status and {"error": ...}):
//   404 no such job, or not the caller's; 409 the job is not an external job, or is already completed, failed or
//   cancelled. sqlite::Error from the store propagates (500).
// Thread-safety: every member may be called from any thread except the Store's writer thread
// (each waits for its commit).

#include "auth/principal.hpp"
#include "core/job.hpp"
#include "progress/event_bus.hpp"
#include "store/store.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace scanhub::api {

struct NewExternalJob;

/// Lease of a processing external job, renewed by each report.
inline constexpr std::chrono::hours kExternalLease{24};
/// The lease owner written on processing external jobs.
inline constexpr std::string_view kExternalLeaseOwner = "external";

class ExternalJobs {
 public:
  using Now = std::function<core::TimePoint()>;

  ExternalJobs(store::Store& store, progress::EventBus& bus, Now now = core::Clock::now);

  /// Returns the job as stored.
  core::Job create(const NewExternalJob& job, const auth::Principal& caller = auth::anonymous_principal());
  core::Job report_progress(core::JobId id, const core::JobProgress& progress,
                            const auth::Principal& caller = auth::anonymous_principal());
  /// `message` (empty: "Job completed successfully") becomes the final progress message.
  core::Job complete(core::JobId id, const std::string& message,
                     const auth::Principal& caller = auth::anonymous_principal());
  /// `retry`: go back to pending when attempts are left, runnable after `retry_delay`.
  core::Job fail(core::JobId id, const std::string& error, bool retry,
                 std::chrono::milliseconds retry_delay = std::chrono::milliseconds(0),
                 const auth::Principal& caller = auth::anonymous_principal());

 private:
  using Events = std::vector<progress::JobEvent>;
  core::Job run(std::function<core::Job(store::Connection&, Events&)> work);

  store::Store& store_;
  progress::EventBus& bus_;
  Now now_;
};

}  // namespace scanhub::api
