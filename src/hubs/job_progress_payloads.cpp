#include "hubs/job_progress_payloads.hpp"

#include <algorithm>
#include <cmath>

namespace scanhub::hubs {

namespace {

constexpr std::string_view kJobType = "LibraryScan";

std::string id_string(core::ScanId id) { return std::to_string(id); }

boost::json::value end_time(const core::ScanSnapshot& scan) {
  return scan.times.completed_at ? boost::json::value(core::format_iso8601(*scan.times.completed_at))
                                 : boost::json::value(nullptr);
}

std::string failure_text(const core::ScanSnapshot& scan) {
  if (scan.status == core::ScanStatus::cancelled) return "Job cancelled";
  return scan.failure.value_or("Job failed");
}

boost::json::object metadata(const core::ScanSnapshot& scan) {
  const auto& c = scan.counters;
  boost::json::array libraries;
  for (const auto& l : scan.libraries) libraries.push_back({{"libraryId", l.id}, {"libraryPath", l.path}});
  boost::json::object o;
  o["libraries"] = std::move(libraries);
  o["trigger"] = core::to_string(scan.trigger);
  o["directoriesTotal"] = c.directories_total;
  o["directoriesScanned"] = c.directories_scanned;
  o["tracksFound"] = c.tracks_found;
  o["tracksNew"] = c.tracks_new;
  o["tracksUpdated"] = c.tracks_updated;
  o["tracksRemoved"] = c.tracks_removed;
  o["errorsCount"] = c.errors_count;
  o["currentDirectory"] = scan.current_directory.empty() ? boost::json::value(nullptr)
                                                         : boost::json::value(scan.current_directory);
  o["startedAt"] = core::format_iso8601(scan.times.started_at);
  o["estimatedTimeRemaining"] =
      scan.estimated_time_remaining
          ? boost::json::value(core::format_iso8601_duration(*scan.estimated_time_remaining))
          : boost::json::value(nullptr);
  return o;
}

boost::json::object notification_data(const core::ScanSnapshot& scan) {
  return {{"jobId", id_string(scan.id)}, {"jobType", kJobType}, {"status", job_status(scan.status)}};
}

HubMessage update_message(const core::ScanSnapshot& scan, core::TimePoint now, ScanProgressMeter& meter,
                          std::string key = {}) {
  return {"JobProgressUpdate", {job_progress_update(scan, now, meter.percent(scan, now))}, std::move(key)};
}

HubMessage end_message(const core::ScanSnapshot& scan) {
  if (scan.status == core::ScanStatus::completed) return {"JobCompleted", {job_completed(scan)}, {}};
  return {"JobFailed", {job_failed(scan)}, {}};
}

}  // namespace

std::string job_group(std::string_view job_id) { return "job-" + std::string(job_id); }
std::string video_group(std::string_view video_id) { return "video-" + std::string(video_id); }
std::string user_group(std::string_view user_id) { return "user-" + std::string(user_id); }

std::string_view job_status(core::ScanStatus status) noexcept {
  switch (status) {
    case core::ScanStatus::completed:
      return "Completed";
    case core::ScanStatus::failed:
      return "Failed";
    case core::ScanStatus::cancelled:
      return "Cancelled";
    default:
      return "Running";
  }
}

int job_progress_percent(const core::ScanSnapshot& scan, core::TimePoint now,
                         const ScanProgressModel& model) noexcept {
  if (scan.status == core::ScanStatus::completed) return 100;
  return std::min(99, static_cast<int>(std::floor(scan_work_fraction(scan, now, model) * 100.0)));
}

boost::json::object job_progress_update(const core::ScanSnapshot& scan, core::TimePoint now) {
  return job_progress_update(scan, now, job_progress_percent(scan, now));
}

boost::json::object job_progress_update(const core::ScanSnapshot& scan, core::TimePoint now, int progress) {
  boost::json::object o;
  o["jobId"] = id_string(scan.id);
  o["videoId"] = nullptr;
  o["jobType"] = kJobType;
  o["status"] = job_status(scan.status);
  o["progress"] = progress;
  o["currentStage"] = core::to_string(scan.status);
  o["statusMessage"] = scan.current_operation;
  const bool failed = scan.status == core::ScanStatus::failed || scan.status == core::ScanStatus::cancelled;
  o["errorMessage"] = failed ? boost::json::value(failure_text(scan)) : boost::json::value(nullptr);
  o["updatedAt"] = core::format_iso8601(now);
  o["metadata"] = metadata(scan);
  return o;
}

boost::json::object job_completed(const core::ScanSnapshot& scan) {
  boost::json::object o;
  o["jobId"] = id_string(scan.id);
  o["videoId"] = nullptr;
  o["status"] = "Completed";
  o["message"] = "Job completed successfully";
  o["completedAt"] = end_time(scan);
  return o;
}

boost::json::object job_failed(const core::ScanSnapshot& scan) {
  boost::json::object o;
  o["jobId"] = id_string(scan.id);
  o["videoId"] = nullptr;
  o["error"] = failure_text(scan);
  o["message"] = scan.status == core::ScanStatus::cancelled ? "Job cancelled" : "Job failed";
  o["failedAt"] = end_time(scan);
  return o;
}

boost::json::object notification(std::string_view type, std::string_view message,
                                 boost::json::object data, core::TimePoint now) {
  return {{"type", type}, {"message", message}, {"data", std::move(data)},
          {"timestamp", core::format_iso8601(now)}};
}

boost::json::object error_payload(std::string_view code, std::string_view message) {
  return {{"code", code}, {"message", message}};
}

std::vector<AddressedMessage> job_progress_hub_messages(const progress::Event& event,
                                                        core::TimePoint now, ScanProgressMeter& meter) {
  const core::ScanSnapshot& scan = progress::scan_of(event);
  const std::string id = id_string(scan.id);
  const std::string group = job_group(id);
  std::vector<AddressedMessage> out;
  if (std::holds_alternative<progress::ScanStarted>(event)) {
    out.push_back({group, update_message(scan, now, meter)});
    out.push_back({{}, {"BroadcastNotification",
                        {notification("JobStarted", "Library scan " + id + " started",
                                      notification_data(scan), now)},
                        {}}});
  } else if (std::holds_alternative<progress::ScanProgressed>(event)) {
    out.push_back({group, update_message(scan, now, meter, "job-progress:" + id)});
  } else if (std::holds_alternative<progress::ScanPhaseChanged>(event)) {
    out.push_back({group, update_message(scan, now, meter)});
  } else {
    out.push_back({group, update_message(scan, now, meter)});
    out.push_back({group, end_message(scan)});
    const auto [type, verb] =
        scan.status == core::ScanStatus::completed   ? std::pair{"JobCompleted", " completed"}
        : scan.status == core::ScanStatus::cancelled ? std::pair{"JobCancelled", " was cancelled"}
                                                     : std::pair{"JobFailed", " failed"};
    out.push_back({{}, {"BroadcastNotification",
                        {notification(type, "Library scan " + id + verb, notification_data(scan), now)},
                        {}}});
  }
  return out;
}

std::vector<HubMessage> job_progress_snapshot(const core::ScanSnapshot& scan, core::TimePoint now,
                                              ScanProgressMeter& meter) {
  std::vector<HubMessage> out;
  out.push_back(update_message(scan, now, meter));
  if (core::is_terminal(scan.status)) out.push_back(end_message(scan));
  return out;
}

namespace {

struct JobNames {
  std::string id;         ///< "job-{id}"
  std::string job_type;
  boost::json::value video_id;
};

JobNames names_of(const core::Job& job) {
  JobNames n{progress::hub_job_id(job.id), job.type, nullptr};
  if (progress::is_external(job)) {
    auto info = progress::external_job_info(job);
    n.job_type = std::move(info.job_type);
    if (info.video_id) n.video_id = *info.video_id;
  }
  return n;
}

boost::json::object job_metadata(const core::Job& job) {
  const core::JobProgress p = job.progress.value_or(core::JobProgress{});
  return {{"current", p.current},          {"total", p.total},
          {"percentage", p.percentage},    {"message", p.message},
          {"detail", p.detail},            {"attempts", job.attempts},
          {"maxAttempts", job.max_attempts}, {"type", job.type},
          {"queueJobId", job.id}};
}

boost::json::value time_or(const std::optional<core::TimePoint>& t, core::TimePoint fallback) {
  return boost::json::value(core::format_iso8601(t.value_or(fallback)));
}

boost::json::object queue_notification_data(const core::Job& job) {
  const JobNames n = names_of(job);
  return {{"jobId", n.id}, {"jobType", n.job_type}, {"status", job_status(job.status)}};
}

}  // namespace

std::string_view job_status(core::JobStatus status) noexcept {
  switch (status) {
    case core::JobStatus::pending: return "Pending";
    case core::JobStatus::processing: return "Running";
    case core::JobStatus::completed: return "Completed";
    case core::JobStatus::failed: return "Failed";
    case core::JobStatus::cancelled: return "Cancelled";
  }
  return "Failed";
}

int job_progress_percent(const core::Job& job) noexcept {
  if (job.status == core::JobStatus::completed) return 100;
  if (!job.progress) return 0;
  const double p = std::floor(job.progress->percentage);
  return static_cast<int>(std::clamp(p, 0.0, 100.0));
}

boost::json::object job_progress_update(const core::Job& job, core::TimePoint now) {
  JobNames n = names_of(job);
  const core::JobProgress p = job.progress.value_or(core::JobProgress{});
  boost::json::object o;
  o["jobId"] = std::move(n.id);
  o["videoId"] = std::move(n.video_id);
  o["jobType"] = std::move(n.job_type);
  o["status"] = job_status(job.status);
  o["progress"] = job_progress_percent(job);
  o["currentStage"] = p.message;
  o["statusMessage"] = p.detail.empty() ? p.message : p.detail;
  o["errorMessage"] = job.last_error ? boost::json::value(*job.last_error) : boost::json::value(nullptr);
  o["updatedAt"] = core::format_iso8601(now);
  o["metadata"] = job_metadata(job);
  return o;
}

boost::json::object job_completed(const core::Job& job) {
  JobNames n = names_of(job);
  boost::json::object o;
  o["jobId"] = std::move(n.id);
  o["videoId"] = std::move(n.video_id);
  o["status"] = "Completed";
  const bool has_message = job.progress && !job.progress->message.empty();
  o["message"] = has_message ? job.progress->message : std::string("Job completed successfully");
  o["completedAt"] = job.finished_at ? boost::json::value(core::format_iso8601(*job.finished_at))
                                     : boost::json::value(nullptr);
  return o;
}

boost::json::object job_failed(const core::Job& job, core::TimePoint now) {
  JobNames n = names_of(job);
  boost::json::object o;
  o["jobId"] = std::move(n.id);
  o["videoId"] = std::move(n.video_id);
  const bool cancelled = job.status == core::JobStatus::cancelled;
  o["error"] = cancelled ? std::string("Job cancelled") : job.last_error.value_or("Job failed");
  o["message"] = cancelled ? "Job cancelled" : "Job failed";
  o["failedAt"] = time_or(job.finished_at, now);
  return o;
}

std::vector<AddressedMessage> job_progress_hub_messages(const progress::JobEvent& event,
                                                        core::TimePoint now) {
  std::vector<AddressedMessage> out;
  auto update = [&](const core::Job& job, std::string key = {}) {
    out.push_back({job_group(progress::hub_job_id(job.id)),
                   {"JobProgressUpdate", {job_progress_update(job, now)}, std::move(key)}});
  };
  auto broadcast = [&](const core::Job& job, const char* type, std::string_view verb, bool to_owner) {
    if (!progress::is_external(job)) return;  // queue-internal jobs are too many to announce
    const JobNames n = names_of(job);
    if (job.created_by) {
      if (!to_owner) return;
      out.push_back({user_group(*job.created_by),
                     {"UserNotification",
                      {notification(type, n.job_type + " job " + n.id + std::string(verb),
                                    queue_notification_data(job), now)},
                      {}}});
      return;
    }
    out.push_back({{}, {"BroadcastNotification",
                        {notification(type, n.job_type + " job " + n.id + std::string(verb),
                                      queue_notification_data(job), now)},
                        {}}});
  };
  std::visit(
      [&](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, progress::JobCreated>) {
          update(e.job);
        } else if constexpr (std::is_same_v<E, progress::JobStarted>) {
          update(e.job);
          broadcast(e.job, "JobStarted", " started", false);
        } else if constexpr (std::is_same_v<E, progress::JobProgressed>) {
          core::Job job = e.job;
          job.progress = e.progress;
          update(job, "job-progress:" + progress::hub_job_id(job.id));
        } else if constexpr (std::is_same_v<E, progress::JobCompleted>) {
          update(e.job);
          out.push_back({job_group(progress::hub_job_id(e.job.id)),
                         {"JobCompleted", {job_completed(e.job)}, {}}});
          broadcast(e.job, "JobCompleted", " completed", true);
        } else if constexpr (std::is_same_v<E, progress::JobFailed>) {
          update(e.job);
          if (e.will_retry) return;
          out.push_back({job_group(progress::hub_job_id(e.job.id)),
                         {"JobFailed", {job_failed(e.job, now)}, {}}});
          broadcast(e.job, "JobFailed", " failed", true);
        } else if constexpr (std::is_same_v<E, progress::JobsCancelled>) {
          for (core::JobId id : e.ids) {
            core::Job job;
            job.id = id;
            job.status = core::JobStatus::cancelled;
            job.finished_at = now;
            out.push_back({job_group(progress::hub_job_id(id)), {"JobFailed", {job_failed(job, now)}, {}}});
          }
        }
      },
      event);
  return out;
}

std::vector<HubMessage> job_progress_snapshot(const core::Job& job, core::TimePoint now) {
  std::vector<HubMessage> out;
  out.push_back({"JobProgressUpdate", {job_progress_update(job, now)}, {}});
  if (job.status == core::JobStatus::completed) {
    out.push_back({"JobCompleted", {job_completed(job)}, {}});
  } else if (job.status == core::JobStatus::failed || job.status == core::JobStatus::cancelled) {
    out.push_back({"JobFailed", {job_failed(job, now)}, {}});
  }
  return out;
}

}  // namespace scanhub::hubs
