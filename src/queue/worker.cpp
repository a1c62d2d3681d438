// Worker threads and what follows a handler: group commit, failure, release (queue.hpp).
#include "queue/internal.hpp"
#include "queue/queue.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

namespace scanhub::queue {

using detail::LeaseLost;
using detail::make_jobs;
using detail::what_of;

void Queue::run_worker() {
  for (;;) {
    core::Job job;
    {
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
      if (ready_.empty()) return;  // stopping, and stop() released what was waiting
      job = std::move(ready_.front());
      ready_.pop_front();
      ++executing_;
    }
    run_job(std::move(job));
    bool stopping;
    {
      std::lock_guard lock(mutex_);
      --executing_;
      stopping = stopping_;
    }
    if (stopping) idle_cv_.notify_all();  // only stop() waits on executing_
  }
}

void Queue::run_job(core::Job job) {
  std::stop_token token;
  const TypeState* type = nullptr;
  {
    std::lock_guard lock(mutex_);
    token = running_[job.id].stop.get_token();
    type = &types_.find(job.type)->second;  // types_ does not change after start()
  }
  if (token.stop_requested()) {  // cancelled, or stop() timed out, before it started
    if (shutting_down_) {
      release_job(job);
    } else {
      on_finished(job);
    }
    return;
  }
  notify([&](QueueObserver& o) { o.on_job_started(job); });

  JobContext context(*this, job, token);
  CommitFn commit;
  std::string error;
  std::exception_ptr thrown;
  bool failed = false;
  bool retryable = true;
  try {
    commit = type->handler(context);
  } catch (const PermanentJobError& e) {
    failed = true;
    retryable = false;
    error = e.what();
  } catch (const std::exception& e) {
    failed = true;
    error = e.what();
    thrown = std::current_exception();
  } catch (...) {
    failed = true;
    error = "unknown exception";
  }
  if (failed && token.stop_requested()) {
    bool shutdown;
    {
      std::lock_guard lock(mutex_);
      shutdown = shutting_down_;
    }
    if (shutdown) {
      release_job(job);  // stopped by stop(): runs again after the restart, attempt not counted
    } else {
      on_finished(job);  // cancelled: its row says so already
    }
    return;
  }
  if (failed) {
    // The handler could not read the database: not the job's failure.
    if (const auto fault = note_fault(thrown)) {
      if (sqlite::transient(fault->fault)) {
        park({std::move(job), std::nullopt, std::nullopt});
      } else {
        {
          std::lock_guard lock(mutex_);
          deferred_.push_back({std::move(job), Deferred::Kind::damaged, fault->reason, false, true});
          wake_ = true;
        }
        dispatch_cv_.notify_one();
      }
      return;
    }
    fail_attempt(std::move(job), error, retryable);
    return;
  }

  PendingCommit pending;
  pending.children = std::move(context.children());
  for (auto& child : pending.children) {
    if (child.max_attempts <= 0) child.max_attempts = default_max_attempts(child.type);
  }
  pending.job = std::move(job);
  pending.commit = std::move(commit);
  pending.after_commit = std::move(context.after_commit_fn());
  pending.now = core::Clock::now();
  submit_commit(std::move(pending));
}

// Group commit: completions that arrive while one write is queued ride in that write, each in
// its own savepoint, so a busy queue commits many jobs per transaction and a failing CommitFn
// rolls back alone.
void Queue::submit_commit(PendingCommit pending) {
  std::vector<PendingCommit> one;
  one.push_back(std::move(pending));
  schedule_commits(std::move(one));
}

void Queue::schedule_commits(std::vector<PendingCommit> pending) {
  {
    std::lock_guard lock(commit_mutex_);
    for (auto& p : pending) commits_.push_back(std::move(p));
    if (commit_scheduled_) return;
    commit_scheduled_ = true;
  }
  write_commits();
}

void Queue::write_commits() {
  auto batch = std::make_shared<std::vector<PendingCommit>>();
  struct NextClaim {
    store::ClaimRequest request;
    std::vector<core::Job> claimed;
  };
  auto next = std::make_shared<NextClaim>();
  store_.write(
      [this, batch, next](store::Connection& c) {
        {
          std::lock_guard lock(commit_mutex_);
          batch->swap(commits_);
          commit_scheduled_ = false;
        }
        for (auto& p : *batch) {
          if (!p.commit && p.children.empty()) {
            // Nothing to roll back if the completion is refused: no savepoint needed.
            if (!c.jobs.complete(p.job.id, options_.owner, p.now)) {
              p.error = std::make_exception_ptr(LeaseLost(
                  "job " + std::to_string(p.job.id) + " is no longer processing under this worker"));
            }
            continue;
          }
          c.db.exec("SAVEPOINT job");
          try {
            if (p.commit) p.commit(c);
            if (!p.children.empty()) p.child_ids = c.jobs.enqueue(p.children, p.now);
            if (!c.jobs.complete(p.job.id, options_.owner, p.now)) {
              throw LeaseLost("job " + std::to_string(p.job.id) +
                              " is no longer processing under this worker");
            }
            c.db.exec("RELEASE job");
          } catch (...) {
            // A full disk may have rolled the whole transaction back: the batch fails as one,
            // with this error (a ROLLBACK TO would only say "no such savepoint").
            if (!c.db.in_transaction()) throw;
            p.error = std::current_exception();
            p.child_ids.clear();
            c.db.exec("ROLLBACK TO job");
            c.db.exec("RELEASE job");
          }
        }
        // Claim the next jobs in the same transaction (as BullMQ's moveToFinished fetches the
        // next job): a busy queue then needs one transaction per round of completions.
        std::map<std::string, int, std::less<>> freed;
        for (const auto& p : *batch) {
          if (!p.error) freed[p.job.type] += 1;
        }
        if (freed.empty()) return;
        {
          std::lock_guard lock(mutex_);
          next->request = reserve_claim_locked(freed);
        }
        if (!next->request.slots.empty()) {
          next->claimed = c.jobs.claim(next->request, core::Clock::now());
        }
      },
      [this, batch, next](std::exception_ptr batch_error) {
        if (batch->empty()) {
          // BEGIN failed before the work ran: what was waiting fails with it.
          std::lock_guard lock(commit_mutex_);
          batch->swap(commits_);
          commit_scheduled_ = false;
        }
        // The claims first: they keep stop() waiting until the completions below are told.
        // A failed transaction took its claims with it.
        if (batch_error) next->claimed.clear();
        accept_claimed(next->request, std::move(next->claimed));
        bool committed = false;
        bool storage_failed = false;
        bool retried = false;
        for (auto& p : *batch) {
          retried = retried || p.retry;
          const auto error = batch_error ? batch_error : p.error;
          committed = committed || !error;
          const auto fault = on_committed(p, error);
          storage_failed = storage_failed || (fault && sqlite::transient(fault->fault));
        }
        if (retried) {
          {
            std::lock_guard lock(mutex_);
            probing_ = false;
          }
          wake();
        }
        // Writes go through again: a paused queue resumes (what it parked is written now).
        if (committed && !storage_failed) note_success();
      });
}

std::optional<Queue::NotedFault> Queue::on_committed(PendingCommit& p, std::exception_ptr error) {
  core::Job& job = p.job;
  if (!error) {
    job.status = core::JobStatus::completed;
    job.finished_at = p.now;
    job.lease_owner.reset();
    job.lease_expires.reset();
    if (p.after_commit) run_after_commit(job, p.after_commit);
    if (!p.child_ids.empty() && !observers_.empty()) {
      const auto created = make_jobs(p.children, p.child_ids, p.now);
      notify([&](QueueObserver& o) { o.on_jobs_created(created); });
    }
    notify([&](QueueObserver& o) { o.on_job_completed(job); });
    // The commit refilled the freed slot itself (claim in the same transaction): waking the
    // dispatcher for every completion would only cost a context switch.
    on_finished(job, false);
    return std::nullopt;
  }
  try {
    std::rethrow_exception(error);
  } catch (const LeaseLost& e) {
    spdlog::info("queue: result of {} job {} not committed: {}", job.type, job.id, e.what());
    on_finished(job);
    return std::nullopt;
  } catch (...) {
  }
  auto fault = note_fault(error);
  if (fault && sqlite::transient(fault->fault)) {
    // Not the job's failure: its results are kept and committed again when storage returns.
    p.error = nullptr;
    p.child_ids.clear();
    p.retry = false;
    core::Job parked_job = job;
    park({std::move(parked_job), std::move(p), std::nullopt});
    return fault;
  }
  // The CommitFn threw (or the transaction failed), or the file is damaged: the attempt
  // failed. The failure is written from the dispatcher's side of the writer, never from inside
  // its own callback.
  {
    std::lock_guard lock(mutex_);
    if (fault) {
      deferred_.push_back({job, Deferred::Kind::damaged, fault->reason, false, true});
    } else {
      deferred_.push_back({job, Deferred::Kind::fail, "commit failed: " + what_of(error), true, true});
    }
    wake_ = true;
  }
  dispatch_cv_.notify_one();
  idle_cv_.notify_all();
  return fault;
}

void Queue::fail_attempt(core::Job job, const std::string& error, bool retryable) {
  const TypeState& type = types_.find(job.type)->second;
  const auto delay = type.options.retry.delay(job.attempts);
  const auto now = core::Clock::now();
  auto outcome = std::make_shared<store::FailOutcome>();
  auto shared_job = std::make_shared<core::Job>(std::move(job));
  auto after = std::make_shared<std::function<void()>>();
  store_.write(
      [this, shared_job, outcome, after, error, now, delay, retryable](store::Connection& c) {
        *outcome = c.jobs.fail(shared_job->id, options_.owner, error, now, delay, retryable);
        if (!outcome->found || outcome->will_retry) return;
        *after = count_failure(c, *shared_job, error);
      },
      [this, shared_job, outcome, after, error, retryable](std::exception_ptr write_error) {
        core::Job& j = *shared_job;
        if (write_error) {
          if (const auto fault = note_fault(write_error)) {
            if (sqlite::transient(fault->fault)) {
              // Recorded again when storage returns; until then the job keeps its slot.
              park({j, std::nullopt, Deferred{j, Deferred::Kind::fail, error, retryable, true}});
              return;
            }
            // A damaged file: the row cannot be written; its scan is told (on_damaged).
            {
              std::lock_guard lock(mutex_);
              deferred_.push_back({j, Deferred::Kind::damaged, fault->reason, false, false});
              wake_ = true;
            }
            dispatch_cv_.notify_one();
            idle_cv_.notify_all();
            return;
          }
          // The job stays processing under our lease; recover_stalled returns it to pending
          // once the lease expires.
          spdlog::error("queue: could not record the failure of job {}: {}", j.id,
                        what_of(write_error));
        } else if (outcome->found) {
          JobFailure failure{outcome->attempts, outcome->max_attempts, outcome->will_retry,
                             outcome->retry_at, error};
          j.status = outcome->will_retry ? core::JobStatus::pending : core::JobStatus::failed;
          j.last_error = error;
          j.lease_owner.reset();
          j.lease_expires.reset();
          if (outcome->will_retry) {
            j.run_after = outcome->retry_at;
            std::lock_guard lock(mutex_);
            next_due_ = std::min(next_due_, outcome->retry_at);
          }
          if (*after) run_after_commit(j, *after);
          notify([&](QueueObserver& o) { o.on_job_failed(j, failure); });
        }
        on_finished(j);
      });
}

std::function<void()> Queue::count_failure(store::Connection& c, const core::Job& job,
                                           const std::string& error) {
  const auto type = types_.find(job.type);
  if (type == types_.end() || !type->second.options.on_failed) return {};
  c.db.exec("SAVEPOINT job_failed");
  try {
    auto after = type->second.options.on_failed(c, job, error);
    c.db.exec("RELEASE job_failed");
    return after;
  } catch (const std::exception& e) {
    spdlog::error("queue: on_failed of {} job {} threw: {}", job.type, job.id, e.what());
    c.db.exec("ROLLBACK TO job_failed");
    c.db.exec("RELEASE job_failed");
    return {};
  }
}

std::vector<Queue::StalledFailure> Queue::fail_stalled(store::Connection& c, core::TimePoint now,
                                                       bool all, std::span<const std::string> types) {
  const std::string error = "stalled " + std::to_string(options_.max_stalled) +
                            " times: the process stopped while running it";
  std::vector<StalledFailure> failures;
  for (auto& job : c.jobs.fail_stalled(now, options_.max_stalled, error, all, types)) {
    auto after = count_failure(c, job, error);
    failures.push_back({std::move(job), std::move(after)});
  }
  return failures;
}

void Queue::report_stalled(const std::vector<StalledFailure>& failures) {
  for (const auto& [job, after] : failures) {
    spdlog::warn("queue: {} job {} failed: {}", job.type, job.id, job.last_error.value_or(""));
    if (after) run_after_commit(job, after);
    notify([&](QueueObserver& o) {
      o.on_job_failed(job, JobFailure{job.attempts, job.max_attempts, false, {}, job.last_error.value_or("")});
    });
  }
  if (!failures.empty()) stats_dirty_ = true;
}

void Queue::run_after_commit(const core::Job& job, const std::function<void()>& fn) noexcept {
  try {
    fn();
  } catch (const std::exception& e) {
    spdlog::error("queue: after-commit work of {} job {} threw: {}", job.type, job.id, e.what());
  } catch (...) {
    spdlog::error("queue: after-commit work of {} job {} threw", job.type, job.id);
  }
}

void Queue::release_job(const core::Job& job) {
  auto shared_job = std::make_shared<core::Job>(job);
  store_.write(
      [this, shared_job](store::Connection& c) {
        const core::JobId id = shared_job->id;
        c.jobs.release(std::span<const core::JobId>(&id, 1), options_.owner);
      },
      [this, shared_job](std::exception_ptr error) {
        if (error && !note_fault(error)) {
          spdlog::error("queue: could not release job {}: {}", shared_job->id, what_of(error));
        }
        on_finished(*shared_job);
      });
}

void Queue::on_finished(const core::Job& job, bool wake_dispatcher) {
  // Everything under the lock: once stop() sees running_ empty the queue may be destroyed, so
  // nothing here may touch it after the unlock.
  std::lock_guard lock(mutex_);
  if (running_.erase(job.id) > 0) {
    if (auto it = types_.find(job.type); it != types_.end()) it->second.active -= 1;
  }
  stats_dirty_ = true;
  if (wake_dispatcher) {
    wake_ = true;
    dispatch_cv_.notify_one();
  }
  if (stopping_) idle_cv_.notify_all();  // only stop() waits on running_
}

}  // namespace scanhub::queue
