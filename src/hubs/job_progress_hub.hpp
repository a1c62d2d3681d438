#pragma once
// Seed 004's JobProgressHub at /hubs/job-progress, as an adapter over the progress core. A
// scan is a job here (hubs/job_progress_payloads.hpp: jobId = scan id, stages = phases), and
// so is a queue job, external jobs reported over HTTP among them (jobId "job-{id}": their
// lifecycle events from the bus, EventBus::subscribe_jobs; their snapshot from the store).
//
// Connections: one with a user id (auth::Principal::user_id) joins group user-{userId} when it
// connects (seed 004 section 10). Connects, disconnects and subscriptions are logged with the
// connection id as the correlation id (seed 004 section 12: connections at info, group
// subscriptions at debug).
//
// Methods (names case-insensitive, as in ASP.NET Core; ids are strings of at most
// hubs::kMaxIdLength bytes, numbers accepted; a connection is in at most
// HubOptions::max_groups_per_connection groups, a join past it completes with an error):
//   SubscribeToJob(jobId)        join group job-{jobId}; the job's current JobProgressUpdate
//                                (and, for an ended job, JobCompleted/JobFailed) is sent first.
//                                A queue job the caller may not see (progress/job_access.hpp:
//                                another user's external job) is refused, and for a caller who
//                                is not an admin so is a "job-{id}" that does not exist (else
//                                they would receive the job someone creates under that id).
//                                Other ids may be joined (nothing is ever sent for an id that
//                                is neither a scan nor "job-{queue job id}").
//   UnsubscribeFromJob(jobId)    leave the group
//   SubscribeToVideo(videoId)    join group video-{videoId}; its VideoProgressUpdate first when
//                                external jobs carry it. A caller who is not an admin is
//                                refused a video carried by another user's job, and one that
//                                no job of theirs carries.
//   UnsubscribeFromVideo(videoId) leave it
//   GetJobProgress(jobId) -> JobProgressUpdate | null   refused as SubscribeToJob refuses;
//                                null and Error NOT_FOUND (no error completion) for a job that
//                                does not exist, asked by an admin
//   GetVideoProgress(videoId) -> VideoProgressUpdate | null   from the external jobs carrying
//                                the id (hubs/video_progress.hpp); refused as SubscribeToVideo
//                                refuses; null and Error NOT_FOUND when no job carries it
// A refusal and NOT_FOUND send Error {code: "NOT_FOUND"} to the caller (seed 004 sections 4
// and 9; another user's job is "not found" so that its existence is not revealed) and complete
// the invocation with an error. A client's mistake (wrong arity, argument type, id too long,
// too many groups) sends Error {code: "VALIDATION_ERROR"} and completes with the same text;
// an unknown method only completes with an error (ASP.NET Core's text). A method that fails
// unexpectedly sends Error "INTERNAL_ERROR" and completes with an error; its exception text
// reaches the client only with JobProgressHubOptions::detailed_errors.
//
// Events: JobProgressUpdate, JobCompleted, JobFailed to job-{id}; VideoProgressUpdate to
// video-{videoId} whenever an external job carrying it changes; BroadcastNotification to all
// when a scan or an external job without a user starts and ends; UserNotification to user-{id}
// when that user's external job completes or fails, and from notify_user(); Error to a caller.
// kEvents lists them.
//
// Thread-safety: invoke(), on_connected() and on_disconnected() run on connection strands;
// the bus listeners on publishing threads (under the bus lock; a change of an external job
// carrying a videoId reads that video's jobs from the store there); notify_user() any thread.
// Source: seed 004, sections 3 (hub methods), 4 (events), 9 (error handling), 10 (groups),
// 11 (security), 12 (logging).

#include "hubs/scan_progress.hpp"
#include "progress/tracker.hpp"
#include "signalr/hub.hpp"
#include "store/store.hpp"

#include <array>
#include <optional>
#include <string_view>

namespace scanhub::hubs {

struct JobProgressHubOptions {
  /// What a scan's progress weighs (hubs/scan_progress.hpp).
  ScanProgressModel progress;
  /// Seed 004's EnableDetailedErrors (ASP.NET Core's HubOptions.EnableDetailedErrors): the
  /// text of an unexpected exception is sent to the caller in the Error event and the
  /// completion. Off by default: it may name files and databases.
  bool detailed_errors = false;
};

class JobProgressHub : public signalr::Hub {
 public:
  static constexpr std::string_view kPath = "/hubs/job-progress";
  /// Every event this hub sends (GET /api/signalr/connection-info lists them).
  static constexpr std::array<std::string_view, 7> kEvents{
      "JobProgressUpdate", "JobCompleted",          "JobFailed", "VideoProgressUpdate",
      "UserNotification",  "BroadcastNotification", "Error"};

  /// `store` answers for jobs the tracker no longer holds (ended long ago or before a restart).
  JobProgressHub(progress::ProgressTracker& tracker, store::Store& store, JobProgressHubOptions options = {});
  ~JobProgressHub() override;
  JobProgressHub(const JobProgressHub&) = delete;
  JobProgressHub& operator=(const JobProgressHub&) = delete;

  /// Starts forwarding the tracker's events to `clients` (the context map_hub returned for this
  /// hub). Call once, before clients connect.
  void attach(signalr::HubContext& clients);
  /// Stops forwarding events; after it returns the context is not used again.
  void detach();

  /// Sends UserNotification {type, message, data, timestamp: now} to group user-{user_id}
  /// (POST /api/notifications). Any thread, after attach().
  void notify_user(std::string_view user_id, std::string_view type, std::string_view message,
                   boost::json::object data);

  void invoke(const signalr::CallerContext& caller, std::string_view target,
              const boost::json::array& arguments, signalr::Completion complete) override;
  void on_connected(const signalr::CallerContext& caller) override;
  void on_disconnected(const signalr::CallerContext& caller) override;

 private:
  std::optional<core::ScanSnapshot> find_job(std::string_view job_id);
  std::optional<core::Job> find_queue_job(core::JobId id);
  std::vector<core::Job> video_jobs(const std::string& video_id);
  std::optional<core::Job> visible_queue_job(const signalr::CallerContext& caller, std::string_view job_id,
                                             core::JobId id);
  void check_video(const signalr::CallerContext& caller, const std::vector<core::Job>& jobs,
                   std::string_view video_id);
  void subscribe_to_queue_job(const signalr::CallerContext& caller, std::string_view job_id, core::JobId id);
  void subscribe_to_job(const signalr::CallerContext& caller, const std::string& job_id);
  void subscribe_to_video(const signalr::CallerContext& caller, const std::string& video_id);
  void send_video_progress(const core::Job& changed);
  void send_video_progress(const progress::JobEvent& event);
  boost::json::value dispatch(const signalr::CallerContext& caller, std::string_view target,
                              const boost::json::array& arguments);
  void send_error(const signalr::CallerContext& caller, std::string_view code, std::string_view message);
  // Error NOT_FOUND to the caller, and null for the completion.
  boost::json::value not_found_null(const signalr::CallerContext& caller, std::string_view what,
                                    std::string_view id);

  signalr::HubContext* clients_ = nullptr;
  progress::ProgressTracker& tracker_;
  store::Store& store_;
  const JobProgressHubOptions options_;
  std::optional<progress::EventBus::ListenerId> listener_;
  std::optional<progress::EventBus::ListenerId> job_listener_;
  // What clients are shown of each running scan's progress, so it never goes backwards.
  ScanProgressMeter meter_;
};

}  // namespace scanhub::hubs
