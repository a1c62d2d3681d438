#include "app/queue_events.hpp"

#include <spdlog/spdlog.h>

namespace scanhub::app {

void QueueEventBridge::publish(const progress::JobEvent& event) noexcept {
  try {
    bus_.publish(event);
  } catch (const std::exception& e) {
    // Only an allocation can get here (the bus catches its listeners' throws); the queue goes on.
    spdlog::error("queue events: cannot publish: {}", e.what());
  }
}

void QueueEventBridge::on_jobs_created(std::span<const core::Job> jobs) {
  for (const auto& job : jobs) publish(progress::JobCreated{job});
}

void QueueEventBridge::on_job_started(const core::Job& job) { publish(progress::JobStarted{job}); }

void QueueEventBridge::on_job_progress(const core::Job& job, const core::JobProgress& reported) {
  core::Job now = job;
  now.progress = reported;
  publish(progress::JobProgressed{std::move(now), reported});
}

void QueueEventBridge::on_job_completed(const core::Job& job) {
  publish(progress::JobCompleted{job});
}

void QueueEventBridge::on_job_failed(const core::Job& job, const queue::JobFailure& failure) {
  publish(progress::JobFailed{job, failure.attempt, failure.max_attempts, failure.will_retry,
                              failure.retry_at, failure.error});
}

void QueueEventBridge::on_jobs_cancelled(std::span<const core::JobId> ids) {
  publish(progress::JobsCancelled{{ids.begin(), ids.end()}});
}

void QueueEventBridge::on_stats_changed(const core::QueueStats& stats) {
  publish(progress::QueueStatsChanged{stats});
}

}  // namespace scanhub::app
