#pragma once
// A job of the persistent queue, as the domain sees it: status, priority, attempts, lease,
// parent link and live progress. No I/O. Header-only (inline), so core's build is unchanged.
//
// Sources: seed 002 (job types with a payload and a priority where a lower number runs first:
// directory-scan 6, cache-asset 7, enrichment 8; retries with exponential backoff), seed 003
// (JobProgress {current, total, percentage, message, detail}; lifecycle created, started,
// progress, completed, failed with retry information; queue stats), issue 4 item 1 (statuses
// pending, processing, completed, failed, cancelled; leases renewed by heartbeat).

#include "core/ids.hpp"
#include "core/time.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace scanhub::core {

using JobId = std::int64_t;

/// Stored and sent as the lower-case names.
enum class JobStatus { pending, processing, completed, failed, cancelled };

inline std::string_view to_string(JobStatus status) noexcept {
  switch (status) {
    case JobStatus::pending: return "pending";
    case JobStatus::processing: return "processing";
    case JobStatus::completed: return "completed";
    case JobStatus::failed: return "failed";
    case JobStatus::cancelled: return "cancelled";
  }
  return "failed";
}

inline std::optional<JobStatus> parse_job_status(std::string_view text) noexcept {
  for (JobStatus s : {JobStatus::pending, JobStatus::processing, JobStatus::completed,
                      JobStatus::failed, JobStatus::cancelled}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

/// completed, failed and cancelled: the job never runs again.
inline bool is_terminal(JobStatus status) noexcept {
  return status == JobStatus::completed || status == JobStatus::failed ||
         status == JobStatus::cancelled;
}

/// Seed 003's JobProgress. Live only: sent to observers, not part of the job's commit.
struct JobProgress {
  std::int64_t current = 0;
  std::int64_t total = 0;
  double percentage = 0;  ///< 0..100
  std::string message;    ///< current operation, e.g. "Scanning directory 5 of 10"
  std::string detail;     ///< e.g. "/movies/The Matrix"
  bool operator==(const JobProgress&) const = default;
};

/// Seed 002's priorities (lower runs first).
inline constexpr int kPriorityDirectoryScan = 6;
inline constexpr int kPriorityCacheAsset = 7;
inline constexpr int kPriorityEnrichment = 8;
inline constexpr int kPriorityDefault = 5;

/// A job to add. `max_attempts` 0 means "the queue's setting for this type" (queue::JobTypeOptions).
struct NewJob {
  std::string type;            ///< e.g. "directory-scan"
  std::string payload = "{}";  ///< JSON text, stored as given
  int priority = kPriorityDefault;
  int max_attempts = 0;
  std::optional<JobId> parent_id;
  std::optional<ScanId> scan_id;
  std::optional<TimePoint> run_after;  ///< not before; nullopt: now
  /// The user who created it (auth::Principal::user_id; external jobs); nullopt: the server
  /// itself or an anonymous caller.
  std::optional<std::string> created_by;
};

/// One row of the jobs table.
struct Job {
  JobId id = 0;
  std::string type;
  std::string payload = "{}";
  int priority = kPriorityDefault;
  JobStatus status = JobStatus::pending;
  int attempts = 0;      ///< attempts started so far (an attempt cut off by a crash is not counted)
  int max_attempts = 1;  ///< failed once `attempts` attempts failed
  std::optional<JobId> parent_id;
  std::optional<ScanId> scan_id;
  TimePoint run_after{};  ///< a pending job is not claimed before this
  std::optional<std::string> lease_owner;    ///< the worker process holding a processing job
  std::optional<TimePoint> lease_expires;    ///< after this the job counts as stalled
  TimePoint created_at{};
  std::optional<TimePoint> started_at;       ///< start of the latest attempt
  std::optional<TimePoint> finished_at;      ///< when it became completed, failed or cancelled
  std::optional<std::string> last_error;     ///< the reason of the latest failed attempt
  std::optional<JobProgress> progress;       ///< latest reported progress (live, if known)
  std::optional<std::string> created_by;     ///< see NewJob::created_by
};

/// Seed 003's queue:stats: job counts by status, in total and per job type.
struct QueueCounts {
  std::int64_t pending = 0;
  std::int64_t processing = 0;
  std::int64_t completed = 0;
  std::int64_t failed = 0;
  std::int64_t cancelled = 0;
  bool operator==(const QueueCounts&) const = default;
};

struct QueueStats {
  QueueCounts total;
  std::map<std::string, QueueCounts, std::less<>> by_type;
  bool operator==(const QueueStats&) const = default;
};

}  // namespace scanhub::core
