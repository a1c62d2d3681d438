#include "api/external_jobs.hpp"

#include "api/job_json.hpp"
#include "http/message.hpp"
#include "progress/job_access.hpp"

#include <boost/json.hpp>

#include <cassert>
#include <future>
#include <memory>

namespace scanhub::api {

namespace {

using http::HttpError;
using http::Status;

core::Job get_external_or_throw(store::Connection& c, core::JobId id, const auth::Principal& caller) {
  auto job = c.jobs.get(id);
  // Another user's job is "not found" (not 403): a caller learns nothing of jobs not theirs.
  if (!job || !progress::may_see_job(caller, *job)) {
    throw HttpError(Status::not_found, "no job " + std::to_string(id));
  }
  if (!progress::is_external(*job)) {
    throw HttpError(Status::conflict, "job " + std::to_string(id) + " is not an external job");
  }
  if (core::is_terminal(job->status)) {
    throw HttpError(Status::conflict, "job " + std::to_string(id) + " is already " +
                                          std::string(core::to_string(job->status)));
  }
  return *job;
}

// pending -> processing for the one job its program reports on.
core::Job start(store::Connection& c, core::JobId id, core::TimePoint now) {
  const bool started = c.jobs.start(id, std::string(kExternalLeaseOwner), now + kExternalLease, now);
  auto job = c.jobs.get(id);
  assert(started && job && job->status == core::JobStatus::processing && "a pending job we just read");
  (void)started;
  return *job;
}

// A running job that reports again keeps its lease.
void renew(store::Connection& c, core::JobId id, core::TimePoint now) {
  const core::JobId ids[] = {id};
  c.jobs.renew_leases(ids, std::string(kExternalLeaseOwner), now + kExternalLease);
}

}  // namespace

ExternalJobs::ExternalJobs(store::Store& store, progress::EventBus& bus, Now now)
    : store_(store), bus_(bus), now_(std::move(now)) {}

core::Job ExternalJobs::run(std::function<core::Job(store::Connection&, Events&)> work) {
  struct State {
    std::promise<void> done;
    Events events;
    core::Job job;
  };
  auto state = std::make_shared<State>();
  auto committed = state->done.get_future();
  store_.write(
      [state, work = std::move(work)](store::Connection& c) {
        state->events.clear();
        state->job = work(c, state->events);
        state->events.push_back(progress::QueueStatsChanged{c.jobs.stats()});
      },
      [this, state](std::exception_ptr error) {
        // On the writer thread, right after the commit: events leave in commit order.
        if (error) {
          state->done.set_exception(error);
          return;
        }
        for (const auto& event : state->events) bus_.publish(event);
        state->done.set_value();
      });
  committed.get();
  return state->job;
}

core::Job ExternalJobs::create(const NewExternalJob& request, const auth::Principal& caller) {
  boost::json::object payload;
  payload["jobType"] = request.job_type;
  payload["videoId"] = request.video_id ? boost::json::value(*request.video_id) : boost::json::value(nullptr);
  payload["payload"] = boost::json::parse(request.payload);
  core::NewJob job;
  job.type = std::string(progress::kExternalJobType);
  job.payload = boost::json::serialize(payload);
  job.max_attempts = request.max_attempts;
  job.created_by = progress::creator_of(caller);
  return run([this, job, request](store::Connection& c, Events& events) {
    const core::TimePoint now = now_();
    const core::JobId id = c.jobs.enqueue(std::span(&job, 1), now, 1).front();
    events.push_back(progress::JobCreated{*c.jobs.get(id)});
    if (!request.start) return *c.jobs.get(id);
    core::Job started = start(c, id, now);
    events.push_back(progress::JobStarted{started});
    if (request.progress) {
      c.jobs.save_progress(id, *request.progress);
      started.progress = request.progress;
      events.push_back(progress::JobProgressed{started, *request.progress});
    }
    return started;
  });
}

core::Job ExternalJobs::report_progress(core::JobId id, const core::JobProgress& progress,
                                       const auth::Principal& caller) {
  return run([this, id, progress, caller](store::Connection& c, Events& events) {
    const core::TimePoint now = now_();
    core::Job job = get_external_or_throw(c, id, caller);
    if (job.status == core::JobStatus::pending) {
      job = start(c, id, now);
      events.push_back(progress::JobStarted{job});
    } else {
      renew(c, id, now);
    }
    c.jobs.save_progress(id, progress);
    job.progress = progress;
    events.push_back(progress::JobProgressed{job, progress});
    return job;
  });
}

core::Job ExternalJobs::complete(core::JobId id, const std::string& message, const auth::Principal& caller) {
  return run([this, id, message, caller](store::Connection& c, Events& events) {
    const core::TimePoint now = now_();
    core::Job job = get_external_or_throw(c, id, caller);
    if (job.status == core::JobStatus::pending) {
      events.push_back(progress::JobStarted{start(c, id, now)});
    }
    core::JobProgress done = job.progress.value_or(core::JobProgress{});
    if (done.total > 0) done.current = done.total;
    done.percentage = 100;
    done.message = message.empty() ? "Job completed successfully" : message;
    c.jobs.save_progress(id, done);
    const bool completed = c.jobs.complete(id, std::nullopt, now);
    assert(completed && "a processing job under our transaction");
    (void)completed;
    job = *c.jobs.get(id);
    events.push_back(progress::JobCompleted{job});
    return job;
  });
}

core::Job ExternalJobs::fail(core::JobId id, const std::string& error, bool retry,
                             std::chrono::milliseconds retry_delay, const auth::Principal& caller) {
  return run([this, id, error, retry, retry_delay, caller](store::Connection& c, Events& events) {
    const core::TimePoint now = now_();
    core::Job job = get_external_or_throw(c, id, caller);
    if (job.status == core::JobStatus::pending) {
      events.push_back(progress::JobStarted{start(c, id, now)});
    }
    const store::FailOutcome outcome = c.jobs.fail(id, std::nullopt, error, now, retry_delay, retry);
    assert(outcome.found && "a processing job under our transaction");
    job = *c.jobs.get(id);
    progress::JobFailed failed{job, outcome.attempts, outcome.max_attempts, outcome.will_retry,
                               outcome.retry_at, error};
    events.push_back(std::move(failed));
    return job;
  });
}

}  // namespace scanhub::api
