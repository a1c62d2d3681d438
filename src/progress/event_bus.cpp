#include "progress/event_bus.hpp"

#include <algorithm>
#include <spdlog/spdlog.h>

namespace scanhub::progress {

const core::ScanSnapshot& scan_of(const Event& event) noexcept {
  return std::visit([](const auto& e) -> const core::ScanSnapshot& { return e.scan; }, event);
}

EventBus::ListenerId EventBus::subscribe(Listener listener) {
  std::lock_guard lock(mutex_);
  const ListenerId id = next_id_++;
  listeners_.emplace_back(id, std::move(listener));
  return id;
}

EventBus::ListenerId EventBus::subscribe_jobs(JobListener listener) {
  std::lock_guard lock(mutex_);
  const ListenerId id = next_id_++;
  job_listeners_.emplace_back(id, std::move(listener));
  return id;
}

void EventBus::unsubscribe(ListenerId id) {
  std::lock_guard lock(mutex_);
  std::erase_if(listeners_, [id](const auto& entry) { return entry.first == id; });
  std::erase_if(job_listeners_, [id](const auto& entry) { return entry.first == id; });
}

void EventBus::publish(const Event& event) {
  std::lock_guard lock(mutex_);
  // Copy: a listener may unsubscribe while we iterate.
  const auto listeners = listeners_;
  for (const auto& [id, listener] : listeners) {
    try {
      listener(event);
    } catch (const std::exception& e) {
      // One broken listener must not starve the others of lifecycle events.
      spdlog::error("progress: listener {} threw: {}", id, e.what());
    }
  }
}

void EventBus::publish(const JobEvent& event) {
  std::lock_guard lock(mutex_);
  const auto listeners = job_listeners_;  // a listener may unsubscribe while we iterate
  for (const auto& [id, listener] : listeners) {
    try {
      listener(event);
    } catch (const std::exception& e) {
      spdlog::error("progress: job listener {} threw: {}", id, e.what());
    }
  }
}

}  // namespace scanhub::progress
