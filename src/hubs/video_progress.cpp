#include "hubs/video_progress.hpp"

#include "hubs/hub_arguments.hpp"
#include "hubs/job_progress_payloads.hpp"
#include "progress/job_events.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <vector>

namespace scanhub::hubs {

namespace {

boost::json::value time_or_null(const std::optional<core::TimePoint>& t) {
  return t ? boost::json::value(core::format_iso8601(*t)) : boost::json::value(nullptr);
}

bool failed(core::JobStatus s) noexcept {
  return s == core::JobStatus::failed || s == core::JobStatus::cancelled;
}

// Seed 004's transcriptionStatus / embeddingStatus of the newest job of `job_type`.
std::string_view stage_status(const std::vector<const core::Job*>& jobs, std::string_view job_type) {
  const core::Job* newest = nullptr;
  for (const core::Job* job : jobs) {
    if (same_method(progress::external_job_info(*job).job_type, job_type)) newest = job;
  }
  if (!newest) return "NotStarted";
  switch (newest->status) {
    case core::JobStatus::pending: return "Pending";
    case core::JobStatus::processing: return "InProgress";
    case core::JobStatus::completed: return "Completed";
    default: return "Failed";
  }
}

}  // namespace

boost::json::object video_progress_update(std::string_view video_id, std::span<const core::Job> jobs,
                                          core::TimePoint now) {
  std::vector<const core::Job*> ordered;
  for (const auto& job : jobs) ordered.push_back(&job);
  std::sort(ordered.begin(), ordered.end(), [](const core::Job* a, const core::Job* b) { return a->id < b->id; });

  boost::json::array stages;
  std::int64_t progress_sum = 0;
  bool any_failed = false, all_completed = !ordered.empty(), any_started = false;
  for (const core::Job* job : ordered) {
    const int progress = job_progress_percent(*job);
    progress_sum += progress;
    any_failed = any_failed || failed(job->status);
    all_completed = all_completed && job->status == core::JobStatus::completed;
    any_started = any_started || job->status == core::JobStatus::processing ||
                  job->status == core::JobStatus::completed;
    stages.push_back({{"name", progress::external_job_info(*job).job_type},
                      {"status", job_status(job->status)},
                      {"progress", progress},
                      {"startedAt", time_or_null(job->started_at)},
                      {"completedAt", core::is_terminal(job->status) ? time_or_null(job->finished_at)
                                                                     : boost::json::value(nullptr)},
                      {"errorMessage", job->last_error ? boost::json::value(*job->last_error)
                                                       : boost::json::value(nullptr)}});
  }
  boost::json::object o;
  o["videoId"] = video_id;
  o["processingStatus"] = any_failed ? "Failed" : all_completed ? "Completed" : any_started ? "Processing" : "Pending";
  o["transcriptionStatus"] = stage_status(ordered, "Transcription");
  o["embeddingStatus"] = stage_status(ordered, "EmbeddingGeneration");
  o["overallProgress"] = ordered.empty() ? 0 : progress_sum / static_cast<std::int64_t>(ordered.size());
  o["stages"] = std::move(stages);
  o["updatedAt"] = core::format_iso8601(now);
  return o;
}

}  // namespace scanhub::hubs
