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
// progress (integer 0-100): the scan's work done through all of its phases, each weighted by
// its cost measured in this scan (hubs/scan_progress.hpp), floored, at most 99 while the job
// runs (0 while discovering); 100 exactly when it completed. A failed or cancelled job keeps
// the value it reached. Through a ScanProgressMeter it never decreases within a job.
// A cancelled scan ends with JobProgressUpdate (status "Cancelled") and JobFailed (error
// "Job cancelled"), so a client waiting for JobCompleted or JobFailed always gets an end.
//
// Queue jobs (progress/job_events.hpp; external jobs reported over HTTP among them) are jobs
// here too, with jobId "job-{id}" (so group "job-job-{id}") since decimal ids name scans:
// jobType = the external program's jobType (else the queue type), videoId = the external
// job's videoId (else null), status "Pending" | "Running" | "Completed" | "Failed" |
// "Cancelled", progress = seed 003's percentage floored to an integer 0-100 (100 once
// completed), currentStage = seed 003's progress message, statusMessage = its detail (the
// message when there is no detail), errorMessage = last_error, metadata = {current, total,
// percentage, message, detail, attempts, maxAttempts, type, queueJobId}.

#include "core/job.hpp"
#include "core/scan.hpp"
#include "hubs/progress_payloads.hpp"
#include "hubs/scan_progress.hpp"
#include "progress/events.hpp"
#include "progress/job_events.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace scanhub::hubs {

/// "job-{id}", "video-{id}" and "user-{id}", seed 004's group names.
std::string job_group(std::string_view job_id);
std::string video_group(std::string_view video_id);
std::string user_group(std::string_view user_id);

/// "Running", "Completed", "Failed" or "Cancelled".
std::string_view job_status(core::ScanStatus status) noexcept;
/// The job's overall progress at `now`, 0-100 (see above), from this snapshot alone (no meter:
/// it may fall when an estimate does).
int job_progress_percent(const core::ScanSnapshot& scan, core::TimePoint now,
                         const ScanProgressModel& model = {}) noexcept;

/// JobProgressUpdate: jobId, videoId, jobType, status, progress, currentStage, statusMessage,
/// errorMessage, updatedAt, metadata. `progress` as the caller's meter gives it.
boost::json::object job_progress_update(const core::ScanSnapshot& scan, core::TimePoint now, int progress);
/// The same with job_progress_percent(scan, now).
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
/// Every JobProgressUpdate's progress comes from `meter`.
std::vector<AddressedMessage> job_progress_hub_messages(const progress::Event& event,
                                                        core::TimePoint now, ScanProgressMeter& meter);

/// Queue jobs (see above).
std::string_view job_status(core::JobStatus status) noexcept;
int job_progress_percent(const core::Job& job) noexcept;
boost::json::object job_progress_update(const core::Job& job, core::TimePoint now);
/// JobCompleted: completedAt = finished_at; message = the final progress message, or
/// "Job completed successfully".
boost::json::object job_completed(const core::Job& job);
/// JobFailed: error = last_error (or `error`), failedAt = finished_at (now when unknown).
boost::json::object job_failed(const core::Job& job, core::TimePoint now);

/// What JobProgressHub sends for a queue job `event`, in order:
///   JobCreated, JobStarted  JobProgressUpdate to job-job-{id}; JobStarted of an external job
///                           without a creator also BroadcastNotification "JobStarted" to all
///   JobProgressed           JobProgressUpdate, conflation key "job-progress:job-{id}"
///   JobCompleted            JobProgressUpdate, JobCompleted; an external job: UserNotification
///                           "JobCompleted" to user-{creator}, or without a creator
///                           BroadcastNotification to all
///   JobFailed               JobProgressUpdate (status "Pending" while it will be retried, with
///                           errorMessage); for good: then JobFailed, and for an external job
///                           UserNotification "JobFailed" to user-{creator}, or without a
///                           creator BroadcastNotification
/// (Another user's external job is not announced to all: issue 16's per-user jobs.)
///   JobsCancelled           JobFailed (error "Job cancelled") to each job-job-{id}
///   QueueStatsChanged       nothing (seed 004 has no queue event)
std::vector<AddressedMessage> job_progress_hub_messages(const progress::JobEvent& event,
                                                        core::TimePoint now);

/// What a subscriber to queue job `job` receives first: its JobProgressUpdate; for an ended
/// job also JobCompleted or JobFailed.
std::vector<HubMessage> job_progress_snapshot(const core::Job& job, core::TimePoint now);

/// What a subscriber to `scan` receives first: its JobProgressUpdate; for an ended scan also
/// JobCompleted or JobFailed.
std::vector<HubMessage> job_progress_snapshot(const core::ScanSnapshot& scan, core::TimePoint now,
                                              ScanProgressMeter& meter);

}  // namespace scanhub::hubs
