#pragma once
// Seed 004's JobProgressHub at /hubs/job-progress, as an adapter over the progress core. A
// scan is a job here (hubs/job_progress_payloads.hpp: jobId = scan id, stages = phases), and
// so is a queue job, external jobs reported over HTTP among them (jobId "job-{id}": their
// lifecycle events from the bus, EventBus::subscribe_jobs; their snapshot from the store).
//
// Methods (names case-insensitive, as in ASP.NET Core; ids are strings of at most
// hubs::kMaxIdLength bytes, numbers accepted; a connection is in at most
// HubOptions::max_groups_per_connection groups, a join past it completes with an error):
//   SubscribeToJob(jobId)        join group job-{jobId}; the job's current JobProgressUpdate
//                                (and, for an ended job, JobCompleted/JobFailed) is sent first.
//                                Any id may be joined (nothing is ever sent for an id that is
//                                neither a scan nor "job-{queue job id}").
//   UnsubscribeFromJob(jobId)    leave the group
//   SubscribeToVideo(videoId)    join group video-{videoId}
//   UnsubscribeFromVideo(videoId) leave it
//   GetJobProgress(jobId) -> JobProgressUpdate | null   null (and an Error event NOT_FOUND to
//                                the caller, seed 004 section 9) for an unknown job
//   GetVideoProgress(videoId) -> null   scanhub has no videos yet: always null, with an Error
//                                event NOT_FOUND; the video groups exist so seed clients work,
//                                and VideoProgressUpdate is never sent.
// Events: JobProgressUpdate, JobCompleted, JobFailed to job-{id}; BroadcastNotification to all
// when a job starts and ends; Error to a caller. UserNotification and the user-{userId} groups
// wait for authentication: they need the user seed 004 takes from its JWT, and
// scanhub has no authentication yet. A method that fails unexpectedly sends Error
// INTERNAL_ERROR to the caller and completes with an error.
//
// Thread-safety: invoke() runs on connection strands; the bus listener on publishing threads.
// Source: seed 004, sections 3 (hub methods), 4 (events), 9 (error handling), 10 (groups).

#include "progress/tracker.hpp"
#include "signalr/hub.hpp"
#include "store/store.hpp"

#include <optional>
#include <string_view>

namespace scanhub::hubs {

class JobProgressHub : public signalr::Hub {
 public:
  static constexpr std::string_view kPath = "/hubs/job-progress";

  /// `store` answers for jobs the tracker no longer holds (ended long ago or before a restart).
  JobProgressHub(progress::ProgressTracker& tracker, store::Store& store);
  ~JobProgressHub() override;
  JobProgressHub(const JobProgressHub&) = delete;
  JobProgressHub& operator=(const JobProgressHub&) = delete;

  /// Starts forwarding the tracker's events to `clients` (the context map_hub returned for this
  /// hub). Call once, before clients connect.
  void attach(signalr::HubContext& clients);
  /// Stops forwarding events; after it returns the context is not used again.
  void detach();

  void invoke(const signalr::CallerContext& caller, std::string_view target,
              const boost::json::array& arguments, signalr::Completion complete) override;

 private:
  std::optional<core::ScanSnapshot> find_job(std::string_view job_id);
  std::optional<core::Job> find_queue_job(core::JobId id);
  void subscribe_to_queue_job(const signalr::CallerContext& caller, core::JobId id);
  void subscribe_to_job(const signalr::CallerContext& caller, const std::string& job_id);
  boost::json::value dispatch(const signalr::CallerContext& caller, std::string_view target,
                              const boost::json::array& arguments);
  void send_error(const signalr::CallerContext& caller, std::string_view code, std::string_view message);

  signalr::HubContext* clients_ = nullptr;
  progress::ProgressTracker& tracker_;
  store::Store& store_;
  std::optional<progress::EventBus::ListenerId> listener_;
  std::optional<progress::EventBus::ListenerId> job_listener_;
};

}  // namespace scanhub::hubs
