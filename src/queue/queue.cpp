#include "queue/queue.hpp"

#include "queue/internal.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <random>
#include <stdexcept>

namespace scanhub::queue {

using detail::make_jobs;

namespace {

std::string default_owner() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device random;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", random());
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + suffix;
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
  gate_ = StorageGate(options_.storage_backoff);
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
  std::vector<StalledFailure> failed;
  const bool all = options_.recover_all_at_start;
  std::vector<std::string> types;
  for (const auto& [type, state] : types_) types.push_back(type);
  store_.write_sync([&](store::Connection& c) {
    // Only the types this queue runs: other programs' (external) jobs keep their leases.
    const auto now = core::Clock::now();
    failed = fail_stalled(c, now, all, types);
    recovered = c.jobs.recover_stalled(now, all, types);
  });
  report_stalled(failed);
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
    // Held for a storage fault: nothing retries them now; their results were never committed,
    // so they run again after the restart.
    for (auto& p : parked_) unstarted.push_back(std::move(p.job));
    parked_.clear();
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
  std::vector<Deferred> deferred;
  {
    std::lock_guard lock(mutex_);
    deferred.swap(deferred_);
  }
  for (auto& d : deferred) {
    switch (d.kind) {
      case Deferred::Kind::release:
        release_job(d.job);
        break;
      case Deferred::Kind::fail:
        fail_attempt(std::move(d.job), d.error, d.retryable);
        break;
      case Deferred::Kind::damaged:
        if (options_.on_damaged) {
          try {
            options_.on_damaged(&d.job, d.error);
          } catch (const std::exception& e) {
            spdlog::error("queue: on_damaged of {} job {} threw: {}", d.job.type, d.job.id, e.what());
          }
        }
        if (d.record) {
          fail_attempt(std::move(d.job), d.error, false);  // waiting would not mend the file
        } else {
          on_finished(d.job);
        }
        break;
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

std::vector<core::JobId> Queue::cancel_scan(core::ScanId scan_id, const CommitFn& also) {
  std::vector<core::JobId> ids;
  store_.write_sync([&](store::Connection& c) {
    if (also) also(c);
    ids = c.jobs.cancel_scan(scan_id, core::Clock::now());
  });
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

}  // namespace scanhub::queue
