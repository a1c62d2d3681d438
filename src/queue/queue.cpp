#include "queue/queue.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <random>
#include <stdexcept>

namespace scanhub::queue {

namespace {

/// The job was no longer processing under our lease when its completion was written: it was
/// cancelled, or it stalled and another worker took it. Its results are rolled back.
class LeaseLost : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string default_owner() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device random;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", random());
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + suffix;
}

core::Job make_job(const core::NewJob& spec, core::JobId id, core::TimePoint now) {
  core::Job job;
  job.id = id;
  job.type = spec.type;
  job.payload = spec.payload;
  job.priority = spec.priority;
  job.max_attempts = std::max(1, spec.max_attempts);
  job.parent_id = spec.parent_id;
  job.scan_id = spec.scan_id;
  job.run_after = spec.run_after.value_or(now);
  job.created_at = now;
  return job;
}

std::vector<core::Job> make_jobs(const std::vector<core::NewJob>& specs,
                                 const std::vector<core::JobId>& ids, core::TimePoint now) {
  std::vector<core::Job> jobs;
  jobs.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size() && i < specs.size(); ++i) {
    jobs.push_back(make_job(specs[i], ids[i], now));
  }
  return jobs;
}

std::string what_of(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

void JobContext::report_progress(const core::JobProgress& progress) {
  queue_.on_progress(job_, progress);
}

void JobContext::add_child(core::NewJob child) {
  child.parent_id = job_.id;
  if (!child.scan_id) child.scan_id = job_.scan_id;
  children_.push_back(std::move(child));
}

Queue::Queue(store::Store& store, QueueOptions options)
    : store_(store), options_(std::move(options)) {
  if (options_.workers == 0) options_.workers = std::max(2u, std::thread::hardware_concurrency());
  if (options_.owner.empty()) options_.owner = default_owner();
  if (options_.lease < std::chrono::milliseconds(30)) options_.lease = std::chrono::milliseconds(30);
  if (options_.poll_interval <= std::chrono::milliseconds(0)) {
    options_.poll_interval = std::chrono::milliseconds(500);
  }
}

Queue::~Queue() { stop(std::chrono::milliseconds(0)); }

void Queue::register_handler(std::string type, Handler handler, JobTypeOptions options) {
  std::lock_guard lock(mutex_);
  if (started_) throw std::logic_error("queue: register_handler after start: " + type);
  if (options.max_attempts < 1 || options.concurrency < 1) {
    throw std::invalid_argument("queue: max_attempts and concurrency must be at least 1 for " +
                                type);
  }
  if (!handler) throw std::invalid_argument("queue: empty handler for " + type);
  const auto [it, inserted] = types_.try_emplace(type, TypeState{std::move(handler), options, 0});
  if (!inserted) throw std::logic_error("queue: handler registered twice for " + type);
}

void Queue::add_observer(QueueObserver& observer) {
  std::lock_guard lock(mutex_);
  if (started_) throw std::logic_error("queue: add_observer after start");
  observers_.push_back(&observer);
}

void Queue::start() {
  {
    std::lock_guard lock(mutex_);
    if (started_) return;
  }
  std::vector<core::JobId> recovered;
  const bool all = options_.recover_all_at_start;
  store_.write_sync([&](store::Connection& c) {
    recovered = c.jobs.recover_stalled(core::Clock::now(), all);
  });
  if (!recovered.empty()) {
    spdlog::info("queue: {} job(s) left processing by a stopped process are pending again",
                 recovered.size());
  }
  std::lock_guard lock(mutex_);
  started_ = true;
  wake_ = true;
  dispatcher_ = std::thread([this] { run_dispatcher(); });
  for (unsigned i = 0; i < options_.workers; ++i) {
    workers_.emplace_back([this] { run_worker(); });
  }
}

void Queue::stop(std::chrono::milliseconds grace) {
  std::vector<core::Job> unstarted;
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || stopping_) return;
    stopping_ = true;
    if (!started_) {
      stopped_ = true;
      return;
    }
  }
  dispatch_cv_.notify_all();
  work_cv_.notify_all();
  dispatcher_.join();  // no claim after this
  {
    std::lock_guard lock(mutex_);
    unstarted.assign(ready_.begin(), ready_.end());
    ready_.clear();
  }
  for (const auto& job : unstarted) release_job(job);

  std::unique_lock lock(mutex_);
  if (!idle_cv_.wait_for(lock, grace, [&] { return executing_ == 0; })) {
    // Handlers still running after the grace period: ask them to stop. Their jobs go back to
    // pending (release_job) unless they finish first.
    shutting_down_ = true;
    for (auto& [id, running] : running_) running.stop.request_stop();
  }
  lock.unlock();
  work_cv_.notify_all();
  for (auto& worker : workers_) worker.join();
  lock.lock();
  // Commits, failures and releases already queued on the writer report back here.
  for (;;) {
    idle_cv_.wait(lock, [&] { return running_.empty() || !deferred_.empty(); });
    if (running_.empty()) break;
    lock.unlock();
    run_deferred();
    lock.lock();
  }
  lock.unlock();
  // Our completion callbacks may still be returning on the writer thread; flush() waits until
  // the writer has finished them, so the queue can be destroyed after stop().
  store_.flush();
  lock.lock();
  stopped_ = true;
}

void Queue::run_deferred() {
  std::vector<std::pair<core::Job, std::optional<std::string>>> deferred;
  {
    std::lock_guard lock(mutex_);
    deferred.swap(deferred_);
  }
  for (auto& [job, error] : deferred) {
    if (error) {
      fail_attempt(std::move(job), *error, true);
    } else {
      release_job(job);
    }
  }
}

void Queue::wake() noexcept {
  {
    std::lock_guard lock(mutex_);
    wake_ = true;
  }
  dispatch_cv_.notify_one();
}

int Queue::default_max_attempts(const std::string& type) const {
  const auto it = types_.find(type);
  return it == types_.end() ? 1 : it->second.options.max_attempts;
}

void Queue::notify(const std::function<void(QueueObserver&)>& fn) {
  for (QueueObserver* observer : observers_) {
    try {
      fn(*observer);
    } catch (const std::exception& e) {
      spdlog::error("queue: observer threw: {}", e.what());
    } catch (...) {
      spdlog::error("queue: observer threw");
    }
  }
}

std::vector<core::JobId> Queue::enqueue(std::vector<core::NewJob> jobs) {
  std::promise<std::vector<core::JobId>> added;
  auto result = added.get_future();
  enqueue_async(std::move(jobs), [&added](std::vector<core::JobId> ids, std::exception_ptr error) {
    if (error) {
      added.set_exception(error);
    } else {
      added.set_value(std::move(ids));
    }
  });
  return result.get();
}

void Queue::enqueue_async(std::vector<core::NewJob> jobs,
                          std::function<void(std::vector<core::JobId>, std::exception_ptr)> done) {
  for (auto& job : jobs) {
    if (job.max_attempts <= 0) job.max_attempts = default_max_attempts(job.type);
  }
  auto specs = std::make_shared<std::vector<core::NewJob>>(std::move(jobs));
  auto ids = std::make_shared<std::vector<core::JobId>>();
  const core::TimePoint now = core::Clock::now();
  store_.write(
      [specs, ids, now](store::Connection& c) { *ids = c.jobs.enqueue(*specs, now); },
      [this, specs, ids, now, done = std::move(done)](std::exception_ptr error) {
        if (!error) {
          if (!observers_.empty()) {
            const auto created = make_jobs(*specs, *ids, now);
            notify([&](QueueObserver& o) { o.on_jobs_created(created); });
          }
          stats_dirty_ = true;
          wake();
        }
        if (done) done(error ? std::vector<core::JobId>{} : std::move(*ids), error);
      });
}

std::vector<core::JobId> Queue::enqueue_in(store::Connection& connection,
                                           std::span<const core::NewJob> jobs) {
  std::vector<core::NewJob> specs(jobs.begin(), jobs.end());
  for (auto& job : specs) {
    if (job.max_attempts <= 0) job.max_attempts = default_max_attempts(job.type);
  }
  return connection.jobs.enqueue(specs, core::Clock::now());
}

void Queue::notify_enqueued(std::span<const core::JobId> ids) {
  if (!observers_.empty() && !ids.empty()) {
    std::vector<core::Job> created;
    for (core::JobId id : ids) {
      if (auto job = get(id)) created.push_back(std::move(*job));
    }
    notify([&](QueueObserver& o) { o.on_jobs_created(created); });
  }
  stats_dirty_ = true;
  wake();
}

std::vector<core::JobId> Queue::cancel(core::JobId id) {
  std::vector<core::JobId> ids;
  store_.write_sync([&](store::Connection& c) { ids = c.jobs.cancel(id, core::Clock::now()); });
  stop_cancelled(ids);
  return ids;
}

std::vector<core::JobId> Queue::cancel_scan(core::ScanId scan_id) {
  std::vector<core::JobId> ids;
  store_.write_sync(
      [&](store::Connection& c) { ids = c.jobs.cancel_scan(scan_id, core::Clock::now()); });
  stop_cancelled(ids);
  return ids;
}

void Queue::stop_cancelled(const std::vector<core::JobId>& ids) {
  if (ids.empty()) return;
  std::vector<core::Job> unstarted;
  {
    std::lock_guard lock(mutex_);
    for (core::JobId id : ids) {
      if (auto it = running_.find(id); it != running_.end()) it->second.stop.request_stop();
    }
    // Claimed here but not started: they never run (their rows are cancelled already).
    for (auto it = ready_.begin(); it != ready_.end();) {
      if (std::binary_search(ids.begin() + 1, ids.end(), it->id) || it->id == ids.front()) {
        unstarted.push_back(std::move(*it));
        it = ready_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& job : unstarted) on_finished(job);
  stats_dirty_ = true;
  notify([&](QueueObserver& o) { o.on_jobs_cancelled(ids); });
}

core::QueueStats Queue::stats() {
  return store_.read([](store::Connection& c) { return c.jobs.stats(); });
}

std::optional<core::Job> Queue::get(core::JobId id) {
  auto job = store_.read([id](store::Connection& c) { return c.jobs.get(id); });
  if (job) {
    std::lock_guard lock(mutex_);
    if (auto it = running_.find(id); it != running_.end() && it->second.progress) {
      job->progress = it->second.progress;
    }
  }
  return job;
}

void Queue::on_progress(const core::Job& job, const core::JobProgress& progress) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = running_.find(job.id); it != running_.end()) it->second.progress = progress;
  }
  notify([&](QueueObserver& o) { o.on_job_progress(job, progress); });
}

// ---- dispatcher -------------------------------------------------------------------------------

void Queue::run_dispatcher() {
  using std::chrono::milliseconds;
  const auto heartbeat_every = std::max(milliseconds(10), options_.lease / 3);
  auto next_heartbeat = core::Clock::now() + heartbeat_every;
  auto next_poll = core::Clock::now();
  auto next_stats = core::Clock::now();
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      auto deadline = std::min({next_heartbeat, next_poll, next_due_});
      if (stats_dirty_ && !observers_.empty()) deadline = std::min(deadline, next_stats);
      dispatch_cv_.wait_until(lock, deadline, [&] { return stopping_ || wake_; });
      if (stopping_) return;
      wake_ = false;
    }
    run_deferred();
    auto now = core::Clock::now();
    try {
      if (now >= next_heartbeat) {
        heartbeat_round();
        next_heartbeat = now + heartbeat_every;
      }
      {
        std::lock_guard lock(mutex_);
        if (next_due_ <= now) next_due_ = core::TimePoint::max();
      }
      while (claim_round()) {
      }
      next_poll = core::Clock::now() + options_.poll_interval;
    } catch (const std::exception& e) {
      // The database refused (disk full, I/O error): try again at the next poll.
      spdlog::error("queue: dispatcher: {}", e.what());
      next_poll = core::Clock::now() + options_.poll_interval;
    }
    now = core::Clock::now();
    if (stats_dirty_ && !observers_.empty() && now >= next_stats) {
      stats_dirty_ = false;
      next_stats = now + options_.stats_interval;
      try {
        const core::QueueStats stats = this->stats();
        notify([&](QueueObserver& o) { o.on_stats_changed(stats); });
      } catch (const std::exception& e) {
        spdlog::error("queue: stats: {}", e.what());
      }
    }
  }
}

store::ClaimRequest Queue::reserve_claim_locked(const std::map<std::string, int, std::less<>>& freed) {
  store::ClaimRequest request;
  if (stopping_) return request;
  request.owner = options_.owner;
  request.lease = options_.lease;
  // Each type's concurrency is the bound (claimed jobs wait in ready_ for a worker, their leases
  // renewed), as BullMQ's concurrency counts active jobs; kMaxClaim only bounds one statement.
  constexpr int kMaxClaim = 1000;
  request.limit = kMaxClaim;
  for (auto& [type, state] : types_) {
    const auto it = freed.find(type);
    const int free = state.options.concurrency - state.active + (it == freed.end() ? 0 : it->second);
    if (free <= 0) continue;
    // Reserved until the claim returns, so a claim running meanwhile (the dispatcher's and a
    // group commit's) never takes the same slot.
    const int limit = std::min(free, request.limit);
    request.slots.push_back({type, limit});
    state.active += limit;
  }
  return request;
}

void Queue::accept_claimed(const store::ClaimRequest& request, std::vector<core::Job> claimed) {
  if (request.slots.empty()) return;
  bool release = false;
  {
    std::lock_guard lock(mutex_);
    // A group commit's claim that ends after stop() began: give the jobs back (stop() writes
    // the releases; this may be the writer thread, which must not wait for its own queue).
    release = stopping_;
    for (const auto& slot : request.slots) {
      const auto n = std::count_if(claimed.begin(), claimed.end(),
                                   [&](const core::Job& j) { return j.type == slot.type; });
      types_.find(slot.type)->second.active -= slot.limit - static_cast<int>(n);
    }
    for (auto& job : claimed) {
      running_.try_emplace(job.id);
      if (release) {
        deferred_.emplace_back(std::move(job), std::nullopt);
      } else {
        ready_.push_back(std::move(job));
      }
    }
  }
  if (release) {
    idle_cv_.notify_all();
    return;
  }
  if (claimed.empty()) return;
  stats_dirty_ = true;
  if (claimed.size() == 1) {
    work_cv_.notify_one();
  } else {
    work_cv_.notify_all();
  }
}

bool Queue::claim_round() {
  store::ClaimRequest request;
  {
    std::lock_guard lock(mutex_);
    request = reserve_claim_locked({});
  }
  if (request.slots.empty()) {
    accept_claimed(request, {});
    return false;
  }
  std::vector<core::Job> claimed;
  try {
    store_.write_sync(
        [&](store::Connection& c) { claimed = c.jobs.claim(request, core::Clock::now()); });
  } catch (...) {
    accept_claimed(request, {});
    throw;
  }
  const bool any = !claimed.empty();
  accept_claimed(request, std::move(claimed));
  return any;
}

void Queue::heartbeat_round() {
  std::vector<core::JobId> ids;
  {
    std::lock_guard lock(mutex_);
    ids.reserve(running_.size());
    for (const auto& [id, running] : running_) ids.push_back(id);
  }
  const auto now = core::Clock::now();
  std::vector<core::JobId> renewed;
  std::vector<core::JobId> recovered;
  store_.write_sync([&](store::Connection& c) {
    if (!ids.empty()) renewed = c.jobs.renew_leases(ids, options_.owner, now + options_.lease);
    recovered = c.jobs.recover_stalled(now);
  });
  std::sort(renewed.begin(), renewed.end());
  {
    std::lock_guard lock(mutex_);
    for (core::JobId id : ids) {
      if (std::binary_search(renewed.begin(), renewed.end(), id)) continue;
      // Not ours any more (cancelled by another process, or taken after our lease expired), or
      // committed meanwhile: a running handler is told to stop; its result will be refused.
      if (auto it = running_.find(id); it != running_.end()) it->second.stop.request_stop();
    }
  }
  if (!recovered.empty()) {
    spdlog::warn("queue: {} stalled job(s) (lease expired) are pending again", recovered.size());
    stats_dirty_ = true;
    wake();
  }
}

void Queue::heartbeat_for_test() { heartbeat_round(); }

// ---- workers ----------------------------------------------------------------------------------

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
    {
      std::lock_guard lock(mutex_);
      --executing_;
    }
    idle_cv_.notify_all();
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
  pending.now = core::Clock::now();
  submit_commit(std::move(pending));
}

// Group commit: completions that arrive while one write is queued ride in that write, each in
// its own savepoint, so a busy queue commits many jobs per transaction and a failing CommitFn
// rolls back alone.
void Queue::submit_commit(PendingCommit pending) {
  {
    std::lock_guard lock(commit_mutex_);
    commits_.push_back(std::move(pending));
    if (commit_scheduled_) return;
    commit_scheduled_ = true;
  }
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
        for (auto& p : *batch) {
          on_committed(p.job, p.children, p.child_ids, p.now, batch_error ? batch_error : p.error);
        }
      });
}

void Queue::on_committed(core::Job& job, const std::vector<core::NewJob>& children,
                         const std::vector<core::JobId>& child_ids, core::TimePoint now,
                         std::exception_ptr error) {
  if (!error) {
    job.status = core::JobStatus::completed;
    job.finished_at = now;
    job.lease_owner.reset();
    job.lease_expires.reset();
    if (!child_ids.empty() && !observers_.empty()) {
      const auto created = make_jobs(children, child_ids, now);
      notify([&](QueueObserver& o) { o.on_jobs_created(created); });
    }
    notify([&](QueueObserver& o) { o.on_job_completed(job); });
    on_finished(job);
    return;
  }
  try {
    std::rethrow_exception(error);
  } catch (const LeaseLost& e) {
    spdlog::info("queue: result of {} job {} not committed: {}", job.type, job.id, e.what());
    on_finished(job);
  } catch (...) {
    // The CommitFn threw (or the transaction failed): the attempt failed. The failure is
    // written from the dispatcher's side of the writer, never from inside its own callback.
    {
      std::lock_guard lock(mutex_);
      deferred_.emplace_back(job, "commit failed: " + what_of(error));
      wake_ = true;
    }
    dispatch_cv_.notify_one();
    idle_cv_.notify_all();
  }
}

void Queue::fail_attempt(core::Job job, const std::string& error, bool retryable) {
  const TypeState& type = types_.find(job.type)->second;
  const auto delay = type.options.retry.delay(job.attempts);
  const auto now = core::Clock::now();
  auto outcome = std::make_shared<store::FailOutcome>();
  auto shared_job = std::make_shared<core::Job>(std::move(job));
  store_.write(
      [this, shared_job, outcome, error, now, delay, retryable](store::Connection& c) {
        *outcome = c.jobs.fail(shared_job->id, options_.owner, error, now, delay, retryable);
      },
      [this, shared_job, outcome, error](std::exception_ptr write_error) {
        core::Job& j = *shared_job;
        if (write_error) {
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
          notify([&](QueueObserver& o) { o.on_job_failed(j, failure); });
        }
        on_finished(j);
      });
}

void Queue::release_job(const core::Job& job) {
  auto shared_job = std::make_shared<core::Job>(job);
  store_.write(
      [this, shared_job](store::Connection& c) {
        const core::JobId id = shared_job->id;
        c.jobs.release(std::span<const core::JobId>(&id, 1), options_.owner);
      },
      [this, shared_job](std::exception_ptr error) {
        if (error) {
          spdlog::error("queue: could not release job {}: {}", shared_job->id, what_of(error));
        }
        on_finished(*shared_job);
      });
}

void Queue::on_finished(const core::Job& job) {
  // Everything under the lock: once stop() sees running_ empty the queue may be destroyed, so
  // nothing here may touch it after the unlock.
  std::lock_guard lock(mutex_);
  if (running_.erase(job.id) > 0) {
    if (auto it = types_.find(job.type); it != types_.end()) it->second.active -= 1;
  }
  wake_ = true;
  stats_dirty_ = true;
  dispatch_cv_.notify_one();
  idle_cv_.notify_all();
}

}  // namespace scanhub::queue
