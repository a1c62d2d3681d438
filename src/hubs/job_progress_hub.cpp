#include "hubs/job_progress_hub.hpp"

#include "hubs/hub_arguments.hpp"
#include "hubs/job_progress_payloads.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <cassert>

namespace scanhub::hubs {

namespace {

// Thrown by dispatch() for a target the hub does not have.
struct UnknownMethod {};

}  // namespace

JobProgressHub::JobProgressHub(progress::ProgressTracker& tracker, store::Store& store)
    : tracker_(tracker), store_(store) {}

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
  listener_ = tracker_.bus().subscribe([send](const progress::Event& event) {
    send(job_progress_hub_messages(event, core::Clock::now()));
  });
  job_listener_ = tracker_.bus().subscribe_jobs([send](const progress::JobEvent& event) {
    send(job_progress_hub_messages(event, core::Clock::now()));
  });
}

void JobProgressHub::detach() {
  if (listener_) tracker_.bus().unsubscribe(*listener_);
  if (job_listener_) tracker_.bus().unsubscribe(*job_listener_);
  listener_.reset();
  job_listener_.reset();
}

std::optional<core::Job> JobProgressHub::find_queue_job(core::JobId id) {
  return store_.read([&](store::Connection& c) { return c.jobs.get(id); });
}

void JobProgressHub::subscribe_to_queue_job(const signalr::CallerContext& caller, core::JobId id) {
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

void JobProgressHub::send_error(const signalr::CallerContext& caller, std::string_view code,
                                std::string_view message) {
  clients_->send_connection(caller.connection_id, "Error", {error_payload(code, message)});
}

void JobProgressHub::subscribe_to_job(const signalr::CallerContext& caller, const std::string& job_id) {
  if (const auto queue_id = progress::parse_hub_job_id(job_id)) {
    subscribe_to_queue_job(caller, *queue_id);
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
    for (auto& m : job_progress_snapshot(*scan, core::Clock::now())) {
      clients_->send_connection(caller.connection_id, m.target, std::move(m.arguments));
    }
    sent = true;
  });
  if (sent) return;
  // Not tracked any more: a job that ended long ago or before a restart.
  const auto stored = store_.read([&](store::Connection& c) { return c.scans.get(*id); });
  if (stored && core::is_terminal(stored->status)) {
    for (auto& m : job_progress_snapshot(*stored, core::Clock::now())) {
      clients_->send_connection(caller.connection_id, m.target, std::move(m.arguments));
    }
  }
}

boost::json::value JobProgressHub::dispatch(const signalr::CallerContext& caller,
                                            std::string_view target,
                                            const boost::json::array& arguments) {
  if (same_method(target, "SubscribeToJob")) {
    subscribe_to_job(caller, id_argument(arguments, "SubscribeToJob", "jobId"));
    return nullptr;
  }
  if (same_method(target, "UnsubscribeFromJob")) {
    clients_->remove_from_group(caller.connection_id,
                                job_group(id_argument(arguments, "UnsubscribeFromJob", "jobId")));
    return nullptr;
  }
  if (same_method(target, "SubscribeToVideo")) {
    clients_->add_to_group(caller.connection_id,
                           video_group(id_argument(arguments, "SubscribeToVideo", "videoId")));
    return nullptr;
  }
  if (same_method(target, "UnsubscribeFromVideo")) {
    clients_->remove_from_group(caller.connection_id,
                                video_group(id_argument(arguments, "UnsubscribeFromVideo", "videoId")));
    return nullptr;
  }
  if (same_method(target, "GetJobProgress")) {
    const std::string job_id = id_argument(arguments, "GetJobProgress", "jobId");
    if (const auto queue_id = progress::parse_hub_job_id(job_id)) {
      const auto job = find_queue_job(*queue_id);
      if (!job) {
        send_error(caller, "NOT_FOUND", "Job " + job_id + " not found");
        return nullptr;
      }
      return job_progress_update(*job, core::Clock::now());
    }
    const auto scan = find_job(job_id);
    if (!scan) {
      send_error(caller, "NOT_FOUND", "Job " + job_id + " not found");
      return nullptr;
    }
    return job_progress_update(*scan, core::Clock::now());
  }
  if (same_method(target, "GetVideoProgress")) {
    const std::string video_id = id_argument(arguments, "GetVideoProgress", "videoId");
    send_error(caller, "NOT_FOUND", "Video " + video_id + " not found");
    return nullptr;
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
  } catch (const signalr::HubError& e) {
    complete(std::unexpected(std::string(e.what())));
  } catch (const std::exception& e) {
    spdlog::error("JobProgressHub.{} failed: {}", target, e.what());
    send_error(caller, "INTERNAL_ERROR", "An error occurred on the server");
    complete(std::unexpected("Failed to invoke '" + std::string(target) +
                             "' due to an error on the server."));
  }
}

}  // namespace scanhub::hubs
