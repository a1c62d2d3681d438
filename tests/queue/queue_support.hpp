#pragma once
// Helpers for the queue tests: bounded waits and an observer that records every event.

#include "queue/observer.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace scanhub::test {

/// Polls `condition` every 5 ms until it holds or `timeout` passes. Returns its last value.
inline bool wait_for(const std::function<bool()>& condition,
                     std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

class RecordingObserver : public queue::QueueObserver {
 public:
  struct Failure {
    core::JobId id;
    queue::JobFailure failure;
    std::chrono::steady_clock::time_point at;
  };

  void on_jobs_created(std::span<const core::Job> jobs) override {
    std::lock_guard lock(mutex_);
    for (const auto& j : jobs) created.push_back(j.id);
  }
  void on_job_started(const core::Job& job) override {
    std::lock_guard lock(mutex_);
    started.push_back(job.id);
  }
  void on_job_progress(const core::Job& job, const core::JobProgress& p) override {
    std::lock_guard lock(mutex_);
    progress.emplace_back(job.id, p);
  }
  void on_job_completed(const core::Job& job) override {
    std::lock_guard lock(mutex_);
    completed.push_back(job.id);
  }
  void on_job_failed(const core::Job& job, const queue::JobFailure& f) override {
    std::lock_guard lock(mutex_);
    failures.push_back({job.id, f, std::chrono::steady_clock::now()});
  }
  void on_jobs_cancelled(std::span<const core::JobId> ids) override {
    std::lock_guard lock(mutex_);
    cancelled.insert(cancelled.end(), ids.begin(), ids.end());
  }
  void on_stats_changed(const core::QueueStats& s) override {
    std::lock_guard lock(mutex_);
    stats.push_back(s);
  }

  template <typename F>
  auto locked(F&& f) {
    std::lock_guard lock(mutex_);
    return f();
  }

  std::vector<core::JobId> created, started, completed, cancelled;
  std::vector<std::pair<core::JobId, core::JobProgress>> progress;
  std::vector<Failure> failures;
  std::vector<core::QueueStats> stats;

 private:
  std::mutex mutex_;
};

}  // namespace scanhub::test
