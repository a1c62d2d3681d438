#pragma once
// The REST shapes of queue jobs (seed 003, camelCase) and the parsing of external programs'
// request bodies (issue 4 item 4). Pure functions; any thread.
//
// Job:   {"jobId": 123, "hubJobId": "job-123", "type", "jobType", "videoId", "status"
//         ("pending" | "processing" | "completed" | "failed" | "cancelled"), "priority",
//         "attempts", "maxAttempts", "parentId", "scanId", "payload", "createdAt",
//         "startedAt", "finishedAt", "lastError", "createdBy": the creating user's id | null,
//         "progress": JobProgress | null}
//   jobId is seed 003's numeric id; hubJobId is the id to give /hubs/job-progress (seed 004's
//   SubscribeToJob takes string ids, and decimal ones there name scans). For an external job,
//   jobType/videoId/payload are what its program gave; for other jobs jobType is the type,
//   videoId null and payload the stored JSON. Times ISO 8601 UTC with Z, or null.
// JobProgress: {"current", "total", "percentage", "message", "detail"} (seed 003).
// Queue stats: {"pending", "processing", "completed", "failed", "cancelled",
//               "byType": {type: {the same five}}} (seed 003's queue:stats, plus the rest).
//
// Parsing throws std::invalid_argument with a message for the client (the router answers 400).

#include "core/job.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace scanhub::api {

/// Limits on what external programs send (bytes of UTF-8; the HTTP server's body limit, 1 MiB
/// by default, applies first).
inline constexpr std::size_t kMaxJobTypeLength = 64;
inline constexpr std::size_t kMaxVideoIdLength = 128;
inline constexpr std::size_t kMaxPayloadBytes = 64 * 1024;  ///< serialized "payload"
inline constexpr std::size_t kMaxMessageLength = 1024;      ///< progress message, completion message
inline constexpr std::size_t kMaxDetailLength = 4096;       ///< progress detail
inline constexpr std::size_t kMaxErrorLength = 4096;        ///< failure reason
inline constexpr int kMaxExternalAttempts = 100;

boost::json::object job_progress_json(const core::JobProgress& progress);
boost::json::object job_json(const core::Job& job);
boost::json::object queue_stats_json(const core::QueueStats& stats);

/// POST /api/jobs body: {"jobType"?: string 1-64 of [A-Za-z0-9 _.:-] (default "external"),
/// "videoId"?: string 1-128 | null, "payload"?: any JSON (<= 64 KiB serialized),
/// "status"?: "processing" (default: the program runs it now) | "pending" (it starts on its
/// first progress report), "maxAttempts"?: 1-100 (default 1), "progress"?: JobProgress}.
struct NewExternalJob {
  std::string job_type = "external";
  std::optional<std::string> video_id;
  std::string payload = "null";  ///< serialized JSON
  bool start = true;
  int max_attempts = 1;
  std::optional<core::JobProgress> progress;
};

/// The text of a request body as JSON; throws std::invalid_argument for text that is not JSON
/// or (unless `allow_empty`, which gives an empty object) an empty body, and for non-objects.
boost::json::object parse_body_object(std::string_view body, bool allow_empty);

NewExternalJob parse_new_external_job(const boost::json::object& body);
/// {"current"?, "total"?, "percentage"?, "message"?, "detail"?} (seed 003's JobProgress):
/// integers 0 <= current <= total (both default 0), percentage a number 0-100 (default
/// current*100/total, 0 when total is 0), message <= 1 KiB, detail <= 4 KiB; at least one of
/// current, total and percentage.
core::JobProgress parse_job_progress(const boost::json::object& body);

}  // namespace scanhub::api
