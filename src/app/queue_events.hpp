#pragma once
// Bridges the job queue's observer (queue/observer.hpp) to the EventBus: each queue callback
// becomes the canonical job event of progress/job_events.hpp (seed 003's job:created,
// job:started, job:progress, job:completed, job:failed with retry information, queue:stats),
// which the hubs map to their wire events (seed 004's JobProgressUpdate, JobCompleted,
// JobFailed on /hubs/job-progress).
//
// Register with Queue::add_observer before Queue::start. Threads: as observer.hpp says (the
// Store's writer thread for created/completed/failed, in commit order; workers for started and
// progress; the dispatcher for stats). Each callback publishes synchronously: the bus listeners
// only serialize and enqueue, so this is quick. Never throws (a listener's throw is caught by
// the bus; an allocation failure is logged).

#include "progress/event_bus.hpp"
#include "queue/observer.hpp"

namespace scanhub::app {

class QueueEventBridge final : public queue::QueueObserver {
 public:
  /// `bus` must outlive the queue this observes.
  explicit QueueEventBridge(progress::EventBus& bus) noexcept : bus_(bus) {}

  void on_jobs_created(std::span<const core::Job> jobs) override;
  void on_job_started(const core::Job& job) override;
  void on_job_progress(const core::Job& job, const core::JobProgress& reported) override;
  void on_job_completed(const core::Job& job) override;
  void on_job_failed(const core::Job& job, const queue::JobFailure& failure) override;
  void on_jobs_cancelled(std::span<const core::JobId> ids) override;
  void on_stats_changed(const core::QueueStats& stats) override;

 private:
  void publish(const progress::JobEvent& event) noexcept;

  progress::EventBus& bus_;
};

}  // namespace scanhub::app
