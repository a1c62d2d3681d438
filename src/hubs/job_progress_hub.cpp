#include "hubs/job_progress_hub.hpp"

#include "hubs/hub_arguments.hpp"
#include "hubs/job_progress_payloads.hpp"
#include "hubs/video_progress.hpp"
#include "progress/job_access.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <cassert>

namespace scanhub::hubs {

namespace {

// Thrown by dispatch() for a target the hub does not have.
struct UnknownMethod {};

// Thrown by dispatch() to refuse an invocation with seed 004's Error event of `code` and an
// error completion, both with the message.
struct Refusal {
  std::string code;
  std::string message;
};

Refusal not_found(std::string_view what, std::string_view id) {
  return {"NOT_FOUND", std::string(what) + " " + std::string(id) + " not found"};
}

// External jobs of one video read at most (a video has a handful: one per processing stage).
constexpr int kMaxVideoJobs = 64;

// Cancelled jobs looked up for their video at most per event: a cancelled scan cancels its
// many internal jobs, none of them an external job.
constexpr std::size_t kMaxCancelledLookups = 16;

std::string who(const signalr::CallerContext& caller) {
  return caller.user.user_id.empty() ? std::string("anonymous") : caller.user.user_id;
}

}  // namespace

JobProgressHub::JobProgressHub(progress::ProgressTracker& tracker, store::Store& store,
                               JobProgressHubOptions options)
    : tracker_(tracker), store_(store), options_(options), meter_(options.progress) {}

JobProgressHub::~JobProgressHub() { detach(); }

void JobProgressHub::attach(signalr::HubContext& clients) {
  clients_ = &clients;
  auto send = [this](std::vector<AddressedMessage> messages) {
    for (auto& [group, m] : messages) {
      if (group.empty()) {
        clients_->send_all(m.target, std::move(m.arguments), {m.conflation_key});
      } else {
        clients_->send_group(group, m.target, std::move(m.arguments), {m.conflation_key});
      }
    }
  };
  listener_ = tracker_.bus().subscribe([this, send](const progress::Event& event) {
    send(job_progress_hub_messages(event, core::Clock::now(), meter_));
  });
  job_listener_ = tracker_.bus().subscribe_jobs([this, send](const progress::JobEvent& event) {
    send(job_progress_hub_messages(event, core::Clock::now()));
    send_video_progress(event);
  });
}

void JobProgressHub::detach() {
  if (listener_) tracker_.bus().unsubscribe(*listener_);
  if (job_listener_) tracker_.bus().unsubscribe(*job_listener_);
  listener_.reset();
  job_listener_.reset();
}

void JobProgressHub::notify_user(std::string_view user_id, std::string_view type,
                                 std::string_view message, boost::json::object data) {
  assert(clients_ && "JobProgressHub::attach() must be called first");
  clients_->send_group(user_group(user_id), "UserNotification",
                       {notification(type, message, std::move(data), core::Clock::now())});
}

void JobProgressHub::on_connected(const signalr::CallerContext& caller) {
  spdlog::info("JobProgressHub: connection {} connected as {}", caller.connection_id, who(caller));
  if (caller.user.user_id.empty()) return;
  try {
    clients_->add_to_group(caller.connection_id, user_group(caller.user.user_id));
  } catch (const std::exception& e) {
    spdlog::warn("JobProgressHub: connection {} did not join its user group: {}", caller.connection_id,
                 e.what());
  }
}

void JobProgressHub::on_disconnected(const signalr::CallerContext& caller) {
  spdlog::info("JobProgressHub: connection {} of {} disconnected", caller.connection_id, who(caller));
}

std::optional<core::Job> JobProgressHub::find_queue_job(core::JobId id) {
  return store_.read([&](store::Connection& c) { return c.jobs.get(id); });
}

std::vector<core::Job> JobProgressHub::video_jobs(const std::string& video_id) {
  store::JobFilter filter;
  filter.video_id = video_id;
  filter.limit = kMaxVideoJobs;
  return store_.read([&](store::Connection& c) { return c.jobs.list(filter); });
}

std::optional<core::Job> JobProgressHub::visible_queue_job(const signalr::CallerContext& caller,
                                                           std::string_view job_id, core::JobId id) {
  auto job = find_queue_job(id);
  if (job ? !progress::may_see_job(caller.user, *job) : !caller.user.admin) {
    spdlog::info("JobProgressHub: connection {} ({}) refused job {}", caller.connection_id, who(caller), job_id);
    throw not_found("Job", job_id);
  }
  return job;
}

void JobProgressHub::check_video(const signalr::CallerContext& caller, const std::vector<core::Job>& jobs,
                                 std::string_view video_id) {
  if (caller.user.admin) return;
  bool own = false;
  for (const auto& job : jobs) {
    if (!progress::may_see_job(caller.user, job)) {
      own = false;
      break;
    }
    own = true;
  }
  if (!own) {
    spdlog::info("JobProgressHub: connection {} ({}) refused video {}", caller.connection_id, who(caller),
                 video_id);
    throw not_found("Video", video_id);
  }
}

void JobProgressHub::subscribe_to_queue_job(const signalr::CallerContext& caller, std::string_view job_id,
                                            core::JobId id) {
  // Checked before the group is joined, so a refused caller never receives the job's events.
  visible_queue_job(caller, job_id, id);
  // Read and join under the bus lock: a change that committed before the read is in the
  // snapshot, and its event (published after its commit, under this lock) comes after it; so
  // a subscriber misses nothing and never sees progress go backwards.
  tracker_.bus().run_exclusive([&] {
    clients_->add_to_group(caller.connection_id, job_group(progress::hub_job_id(id)));
    const auto job = find_queue_job(id);
    if (!job) return;
    for (auto& m : job_progress_snapshot(*job, core::Clock::now())) {
      clients_->send_connection(caller.connection_id, m.target, std::move(m.arguments));
    }
  });
}

std::optional<core::ScanSnapshot> JobProgressHub::find_job(std::string_view job_id) {
  const auto id = core::parse_id(job_id);
  if (!id) return std::nullopt;
  if (auto scan = tracker_.snapshot(*id)) return scan;
  return store_.read([&](store::Connection& c) { return c.scans.get(*id); });
}

boost::json::value JobProgressHub::not_found_null(const signalr::CallerContext& caller, std::string_view what,
                                                  std::string_view id) {
  const Refusal r = not_found(what, id);
  send_error(caller, r.code, r.message);
  return nullptr;
}

void JobProgressHub::send_error(const signalr::CallerContext& caller, std::string_view code,
                                std::string_view message) {
  clients_->send_connection(caller.connection_id, "Error", {error_payload(code, message)});
}

void JobProgressHub::send_video_progress(const core::Job& changed) {
  if (!progress::is_external(changed)) return;
  const auto video_id = progress::external_job_info(changed).video_id;
  if (!video_id) return;
  auto jobs = video_jobs(*video_id);
  // The event's job is its newest state (a progress report is live first).
  bool found = false;
  for (auto& job : jobs) {
    if (job.id == changed.id) {
      job = changed;
      found = true;
    }
  }
  if (!found) jobs.push_back(changed);
  clients_->send_group(video_group(*video_id), "VideoProgressUpdate",
                       {video_progress_update(*video_id, jobs, core::Clock::now())},
                       {"video-progress:" + *video_id});
}

void JobProgressHub::send_video_progress(const progress::JobEvent& event) {
  try {
    std::visit(
        [&](const auto& e) {
          using E = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<E, progress::JobProgressed>) {
            core::Job job = e.job;
            job.progress = e.progress;
            send_video_progress(job);
          } else if constexpr (std::is_same_v<E, progress::JobsCancelled>) {
            if (e.ids.size() > kMaxCancelledLookups) return;
            for (core::JobId id : e.ids) {
              if (auto job = find_queue_job(id)) send_video_progress(*job);
            }
          } else if constexpr (!std::is_same_v<E, progress::QueueStatsChanged>) {
            send_video_progress(e.job);
          }
        },
        event);
  } catch (const std::exception& e) {
    // Seed 004 section 9: a notification that fails is logged; the job goes on.
    spdlog::warn("JobProgressHub: VideoProgressUpdate not sent: {}", e.what());
  }
}

void JobProgressHub::subscribe_to_job(const signalr::CallerContext& caller, const std::string& job_id) {
  spdlog::debug("JobProgressHub: connection {} subscribes to job {}", caller.connection_id, job_id);
  if (const auto queue_id = progress::parse_hub_job_id(job_id)) {
    subscribe_to_queue_job(caller, job_id, *queue_id);
    return;
  }
  const std::string group = job_group(job_id);
  const auto id = core::parse_id(job_id);
  if (!id) {
    clients_->add_to_group(caller.connection_id, group);
    return;
  }
  bool sent = false;
  // Snapshot and group join under the bus lock: no event falls between them, and none older
  // than the snapshot arrives after it (progress never goes backwards).
  tracker_.with_snapshot(*id, [&](const std::optional<core::ScanSnapshot>& scan) {
    clients_->add_to_group(caller.connection_id, group);
    if (!scan) return;
    for (auto& m : job_progress_snapshot(*scan, core::Clock::now(), meter_)) {
      clients_->send_connection(caller.connection_id, m.target, std::move(m.arguments));
    }
    sent = true;
  });
  if (sent) return;
  // Not tracked any more: a job that ended long ago or before a restart.
  const auto stored = store_.read([&](store::Connection& c) { return c.scans.get(*id); });
  if (stored && core::is_terminal(stored->status)) {
    for (auto& m : job_progress_snapshot(*stored, core::Clock::now(), meter_)) {
      clients_->send_connection(caller.connection_id, m.target, std::move(m.arguments));
    }
  }
}

void JobProgressHub::subscribe_to_video(const signalr::CallerContext& caller, const std::string& video_id) {
  spdlog::debug("JobProgressHub: connection {} subscribes to video {}", caller.connection_id, video_id);
  // Under the bus lock, as for a job: no change of the video's jobs falls between the read
  // and the join.
  tracker_.bus().run_exclusive([&] {
    const auto jobs = video_jobs(video_id);
    check_video(caller, jobs, video_id);
    clients_->add_to_group(caller.connection_id, video_group(video_id));
    if (jobs.empty()) return;
    clients_->send_connection(caller.connection_id, "VideoProgressUpdate",
                              {video_progress_update(video_id, jobs, core::Clock::now())});
  });
}

boost::json::value JobProgressHub::dispatch(const signalr::CallerContext& caller,
                                            std::string_view target,
                                            const boost::json::array& arguments) {
  if (same_method(target, "SubscribeToJob")) {
    subscribe_to_job(caller, id_argument(arguments, "SubscribeToJob", "jobId"));
    return nullptr;
  }
  if (same_method(target, "UnsubscribeFromJob")) {
    const std::string job_id = id_argument(arguments, "UnsubscribeFromJob", "jobId");
    spdlog::debug("JobProgressHub: connection {} unsubscribes from job {}", caller.connection_id, job_id);
    clients_->remove_from_group(caller.connection_id, job_group(job_id));
    return nullptr;
  }
  if (same_method(target, "SubscribeToVideo")) {
    subscribe_to_video(caller, id_argument(arguments, "SubscribeToVideo", "videoId"));
    return nullptr;
  }
  if (same_method(target, "UnsubscribeFromVideo")) {
    const std::string video_id = id_argument(arguments, "UnsubscribeFromVideo", "videoId");
    spdlog::debug("JobProgressHub: connection {} unsubscribes from video {}", caller.connection_id, video_id);
    clients_->remove_from_group(caller.connection_id, video_group(video_id));
    return nullptr;
  }
  if (same_method(target, "GetJobProgress")) {
    const std::string job_id = id_argument(arguments, "GetJobProgress", "jobId");
    if (const auto queue_id = progress::parse_hub_job_id(job_id)) {
      const auto job = visible_queue_job(caller, job_id, *queue_id);
      if (!job) return not_found_null(caller, "Job", job_id);
      return job_progress_update(*job, core::Clock::now());
    }
    const auto scan = find_job(job_id);
    if (!scan) return not_found_null(caller, "Job", job_id);
    const auto now = core::Clock::now();
    return job_progress_update(*scan, now, meter_.percent(*scan, now));
  }
  if (same_method(target, "GetVideoProgress")) {
    const std::string video_id = id_argument(arguments, "GetVideoProgress", "videoId");
    const auto jobs = video_jobs(video_id);
    check_video(caller, jobs, video_id);
    if (jobs.empty()) return not_found_null(caller, "Video", video_id);
    return video_progress_update(video_id, jobs, core::Clock::now());
  }
  throw UnknownMethod{};
}

void JobProgressHub::invoke(const signalr::CallerContext& caller, std::string_view target,
                            const boost::json::array& arguments, signalr::Completion complete) {
  assert(clients_ && "JobProgressHub::attach() must be called before clients connect");
  try {
    complete(dispatch(caller, target, arguments));
  } catch (const UnknownMethod&) {
    complete(std::unexpected(signalr::unknown_method_error(target)));
  } catch (const Refusal& r) {
    send_error(caller, r.code, r.message);
    complete(std::unexpected(r.message));
  } catch (const signalr::HubError& e) {
    // Seed 004 section 9: validation errors are sent via the Error event.
    send_error(caller, "VALIDATION_ERROR", e.what());
    complete(std::unexpected(std::string(e.what())));
  } catch (const std::exception& e) {
    spdlog::error("JobProgressHub.{} failed for connection {}: {}", target, caller.connection_id, e.what());
    std::string message = "Failed to invoke '" + std::string(target) + "' due to an error on the server.";
    if (options_.detailed_errors) message += std::string(" ") + e.what();
    send_error(caller, "INTERNAL_ERROR",
               options_.detailed_errors ? std::string(e.what()) : std::string("An error occurred on the server"));
    complete(std::unexpected(std::move(message)));
  }
}

}  // namespace scanhub::hubs
