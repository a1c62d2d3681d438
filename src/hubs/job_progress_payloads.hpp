#pragma once
// Seed 004's wire shapes for /hubs/job-progress, built from scan snapshots. Pure functions;
// `now` is passed in so tests are exact.
//
// Source: seed 004, section 4 "SignalR Events" (JobProgressUpdate, JobCompleted, JobFailed,
// BroadcastNotification, Error) and section 10 (groups job-{jobId}, video-{videoId}).
// A scan is a job: jobId = the scan id in decimal, jobType "LibraryScan", videoId null,
// currentStage = seed 002's phase ("discovering", "scanning", ...), statusMessage = the scan's
// current operation, metadata = its counters (camelCase). Times ISO 8601 UTC with Z.
//
// status: "Running" for every running phase (a scan exists only once it runs, so never
// "Pending"), then "Completed", "Failed" or "Cancelled".
// progress (integer 0-100): directories scanned of directories_total, floored, at most 99
// while the job runs (0 while discovering; the phases after scanning, not run by ScanService
// yet, hold 99); 100 exactly when it completed. A failed or cancelled job keeps the value it
// reached. It never decreases within a job.
// A cancelled scan ends with JobProgressUpdate (status "Cancelled") and JobFailed (error
// "Job cancelled"), so a client waiting for JobCompleted or JobFailed always gets an end.

#include "core/scan.hpp"
#include "hubs/progress_payloads.hpp"
#include "progress/events.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace scanhub::hubs {

/// "job-{id}" and "video-{id}", seed 004's group names.
std::string job_group(std::string_view job_id);
std::string video_group(std::string_view video_id);

/// "Running", "Completed", "Failed" or "Cancelled".
std::string_view job_status(core::ScanStatus status) noexcept;
/// The job's overall progress, 0-100 (see above).
int job_progress_percent(const core::ScanSnapshot& scan) noexcept;

/// JobProgressUpdate: jobId, videoId, jobType, status, progress, currentStage, statusMessage,
/// errorMessage, updatedAt, metadata.
boost::json::object job_progress_update(const core::ScanSnapshot& scan, core::TimePoint now);
/// JobCompleted: jobId, videoId, status "Completed", message, completedAt (the scan's end).
boost::json::object job_completed(const core::ScanSnapshot& scan);
/// JobFailed: jobId, videoId, error, message, failedAt (the scan's end).
boost::json::object job_failed(const core::ScanSnapshot& scan);
/// BroadcastNotification / UserNotification: type, message, data, timestamp.
boost::json::object notification(std::string_view type, std::string_view message,
                                 boost::json::object data, core::TimePoint now);
/// Error: code ("NOT_FOUND" | "INTERNAL_ERROR"), message.
boost::json::object error_payload(std::string_view code, std::string_view message);

/// A message and who receives it.
struct AddressedMessage {
  std::string group;  ///< the group to send to; empty: every connection of the hub
  HubMessage message;
};

/// What JobProgressHub sends for `event`, in order:
///   ScanStarted      JobProgressUpdate to job-{id}; BroadcastNotification "JobStarted" to all
///   ScanProgressed   JobProgressUpdate to job-{id}, conflation key "job-progress:{id}"
///   ScanPhaseChanged JobProgressUpdate to job-{id}
///   ScanFinished     JobProgressUpdate, then JobCompleted or JobFailed, to job-{id}; then
///                    BroadcastNotification "JobCompleted" | "JobFailed" | "JobCancelled" to all
std::vector<AddressedMessage> job_progress_hub_messages(const progress::Event& event,
                                                        core::TimePoint now);

/// What a subscriber to `scan` receives first: its JobProgressUpdate; for an ended scan also
/// JobCompleted or JobFailed.
std::vector<HubMessage> job_progress_snapshot(const core::ScanSnapshot& scan, core::TimePoint now);

}  // namespace scanhub::hubs
