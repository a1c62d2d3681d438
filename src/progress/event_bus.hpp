#pragma once
// In-process publish/subscribe of progress events, in one global order.
//
// Thread-safety: all members may be called from any thread. publish() calls every listener
// synchronously, in subscription order, while holding the bus lock, so every listener sees
// every event in the same order. Listeners must be quick (serialize and enqueue) and must not
// publish. A later backplane (Redis) plugs in beside this interface.

#include "progress/events.hpp"
#include "progress/job_events.hpp"

#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace scanhub::progress {

class EventBus {
 public:
  using Listener = std::function<void(const Event&)>;
  using ListenerId = std::uint64_t;
  /// Job lifecycle events (progress/job_events.hpp) have listeners of their own, so scan
  /// listeners need not know them; both kinds share the one lock and so the one global order.
  using JobListener = std::function<void(const JobEvent&)>;

  ListenerId subscribe(Listener listener);
  ListenerId subscribe_jobs(JobListener listener);
  /// After it returns, the listener (of either kind) is not called again (also safe from
  /// within a listener).
  void unsubscribe(ListenerId id);
  void publish(const Event& event);
  void publish(const JobEvent& event);

  /// Runs `fn` while no event can be published: a listener that must read a snapshot and join
  /// a group atomically (so it neither misses nor reorders an event) does it in here.
  template <typename F>
  decltype(auto) run_exclusive(F&& fn) {
    std::lock_guard lock(mutex_);
    return std::forward<F>(fn)();
  }

 private:
  std::recursive_mutex mutex_;
  std::vector<std::pair<ListenerId, Listener>> listeners_;
  std::vector<std::pair<ListenerId, JobListener>> job_listeners_;
  ListenerId next_id_ = 1;
};

}  // namespace scanhub::progress
