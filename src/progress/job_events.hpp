#pragma once
// Canonical job lifecycle events (seed 003): what happened to a job of the persistent queue,
// independent of any wire format. Published on the EventBus (EventBus::publish(const JobEvent&))
// by the queue's observer bridge (app/queue_events.hpp) and by external jobs reported over HTTP
// (api/external_jobs.hpp); the hub adapters map them to their wire events (seed 004's
// JobProgressUpdate, JobCompleted, JobFailed on /hubs/job-progress).
//
// Order: events of one job are published in the order their changes committed. None is
// coalesced here; a hub may conflate progress per connection (newest wins).

#include "core/job.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace scanhub::progress {

/// Seed 003 job:created. One event per job (jobs added together are published one by one).
struct JobCreated {
  core::Job job;
};
/// Seed 003 job:started: an attempt began (job.attempts is its 1-based number).
struct JobStarted {
  core::Job job;
};
/// Seed 003 job:progress: {current, total, percentage, message, detail}. `job` is the job as
/// it stood when the progress was reported (its `progress` member equals `progress`).
struct JobProgressed {
  core::Job job;
  core::JobProgress progress;
};
/// Seed 003 job:completed.
struct JobCompleted {
  core::Job job;
};
/// Seed 003 job:failed, "with retry info": the attempt that failed, and whether the job will
/// run again (job.status pending) or failed for good (job.status failed).
struct JobFailed {
  core::Job job;
  int attempt = 0;  ///< 1-based
  int max_attempts = 0;
  bool will_retry = false;
  core::TimePoint retry_at{};  ///< when will_retry
  std::string error;
};
/// Jobs became cancelled (a cancelled scan cancels its pending and processing jobs).
struct JobsCancelled {
  std::vector<core::JobId> ids;
};
/// Seed 003 queue:stats: counts by status, in total and per type.
struct QueueStatsChanged {
  core::QueueStats stats;
};

/// External jobs (issue 4 item 4): queue jobs that another program runs and reports on over
/// HTTP. Their type is kExternalJobType, which no worker registers, so the queue never claims
/// them. Their stored payload is {"jobType": string, "videoId": string|null, "payload": any}:
/// the program's own job type (seed 004's jobType, e.g. "Transcription"), the video it belongs
/// to (seed 004's videoId) and the program's payload, as given.
inline constexpr std::string_view kExternalJobType = "external";

struct ExternalJobInfo {
  std::string job_type;                 ///< "external" when the payload names none
  std::optional<std::string> video_id;
};

/// "job-{id}": a queue job's id on /hubs/job-progress and in REST answers (hubJobId). Seed
/// 004's SubscribeToJob takes string ids (its example: 'job-123'); decimal ids there name
/// scans, so queue jobs carry this prefix.
std::string hub_job_id(core::JobId id);
/// The queue job id of "job-{id}"; nullopt for anything else.
std::optional<core::JobId> parse_hub_job_id(std::string_view text) noexcept;

inline bool is_external(const core::Job& job) noexcept { return job.type == kExternalJobType; }
/// Reads an external job's payload; tolerant of a hand-edited row (falls back to defaults).
ExternalJobInfo external_job_info(const core::Job& job);

using JobEvent =
    std::variant<JobCreated, JobStarted, JobProgressed, JobCompleted, JobFailed, JobsCancelled,
                 QueueStatsChanged>;

}  // namespace scanhub::progress
