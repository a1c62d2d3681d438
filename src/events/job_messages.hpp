#pragma once
// Seed 003's job lifecycle events and queue:stats as Metarr's /ws messages, built from the
// canonical job events (progress/job_events.hpp). Pure functions; any thread; `now` passed in.
//
// Every message names the event in `type` and the job's own type in `jobType` (for an
// external job, the type its program gave). jobId is the queue's numeric id (seed 003's
// `data.jobId === jobId`). Fields:
//   job:created    {jobId, jobType, status, priority, attempts, maxAttempts, parentId, scanId,
//                   createdAt}                                                   lifecycle
//   job:started    {jobId, jobType, attempt (1-based), maxAttempts, scanId, startedAt}
//   job:progress   {jobId, jobType, scanId, progress: {current, total, percentage, message,
//                   detail}}                              progress, key "job:{id}"
//   job:completed  {jobId, jobType, scanId, completedAt}
//   job:failed     {jobId, jobType, scanId, error, attempt, maxAttempts, willRetry,
//                   retryAt (ISO time when willRetry, else null)}: every failed attempt.
//                   A cancelled job (JobsCancelled) is a job:failed too, with error
//                   "Job cancelled", cancelled: true, willRetry false, and jobType, attempt,
//                   maxAttempts and scanId null (the event names ids only): seed 003's
//                   dashboard drops a job on job:completed or job:failed, and a cancelled one
//                   must leave it as well (seed 004's JobFailed "Job cancelled" does the same).
//   queue:stats    {pending, processing, completed, failed, cancelled, byType: {type: {the
//                   same five}}}                          progress, key "queue:stats"
// percentage is a JSON integer when whole (50, not 5E1).

#include "events/message.hpp"
#include "progress/job_events.hpp"

#include <vector>

namespace scanhub::events {

inline constexpr std::string_view kQueueStatsKey = "queue:stats";

/// "job:{id}", the conflation key of a job's progress.
std::string job_progress_key(core::JobId id);

/// The messages for `event`, in order (one, or one per id of JobsCancelled).
std::vector<Message> job_messages(const progress::JobEvent& event, core::TimePoint now);

/// queue:stats alone (the feed coalesces these).
Message queue_stats(const core::QueueStats& stats, core::TimePoint now);

}  // namespace scanhub::events
