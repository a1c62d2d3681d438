#include "hubs/job_progress_payloads.hpp"

#include <algorithm>

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

HubMessage update_message(const core::ScanSnapshot& scan, core::TimePoint now, std::string key = {}) {
  return {"JobProgressUpdate", {job_progress_update(scan, now)}, std::move(key)};
}

HubMessage end_message(const core::ScanSnapshot& scan) {
  if (scan.status == core::ScanStatus::completed) return {"JobCompleted", {job_completed(scan)}, {}};
  return {"JobFailed", {job_failed(scan)}, {}};
}

}  // namespace

std::string job_group(std::string_view job_id) { return "job-" + std::string(job_id); }
std::string video_group(std::string_view video_id) { return "video-" + std::string(video_id); }

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

int job_progress_percent(const core::ScanSnapshot& scan) noexcept {
  const auto& c = scan.counters;
  switch (scan.status) {
    case core::ScanStatus::completed:
      return 100;
    case core::ScanStatus::discovering:
      return 0;
    case core::ScanStatus::caching:
    case core::ScanStatus::enriching:
      return 99;
    default:  // scanning, and the value a failed or cancelled scan reached
      if (c.directories_total <= 0 || c.directories_scanned <= 0) return 0;
      return static_cast<int>(std::min<std::int64_t>(99, c.directories_scanned * 100 / c.directories_total));
  }
}

boost::json::object job_progress_update(const core::ScanSnapshot& scan, core::TimePoint now) {
  boost::json::object o;
  o["jobId"] = id_string(scan.id);
  o["videoId"] = nullptr;
  o["jobType"] = kJobType;
  o["status"] = job_status(scan.status);
  o["progress"] = job_progress_percent(scan);
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
                                                        core::TimePoint now) {
  const core::ScanSnapshot& scan = progress::scan_of(event);
  const std::string id = id_string(scan.id);
  const std::string group = job_group(id);
  std::vector<AddressedMessage> out;
  if (std::holds_alternative<progress::ScanStarted>(event)) {
    out.push_back({group, update_message(scan, now)});
    out.push_back({{}, {"BroadcastNotification",
                        {notification("JobStarted", "Library scan " + id + " started",
                                      notification_data(scan), now)},
                        {}}});
  } else if (std::holds_alternative<progress::ScanProgressed>(event)) {
    out.push_back({group, update_message(scan, now, "job-progress:" + id)});
  } else if (std::holds_alternative<progress::ScanPhaseChanged>(event)) {
    out.push_back({group, update_message(scan, now)});
  } else {
    out.push_back({group, update_message(scan, now)});
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

std::vector<HubMessage> job_progress_snapshot(const core::ScanSnapshot& scan, core::TimePoint now) {
  std::vector<HubMessage> out;
  out.push_back(update_message(scan, now));
  if (core::is_terminal(scan.status)) out.push_back(end_message(scan));
  return out;
}

}  // namespace scanhub::hubs
