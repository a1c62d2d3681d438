#pragma once
// The feed from scanhub's canonical events to Metarr's messages: subscribes to the EventBus
// (scan and job listeners), builds each event's messages once (events/scan_messages.hpp,
// events/job_messages.hpp), serializes each once into a shared EventRecord with the next
// sequence, appends it to the EventHistory (SSE resume) and hands it to every EventSink (the
// /ws and SSE transports). queue:stats is coalesced: at most one per `stats_interval` (250 ms:
// four a second), the newest counts winning; one held back leaves when its interval is over
// (the feed's timer thread, or tick()).
//
// Order: records get their sequence and reach the sinks in the bus's one global order (the
// listeners run under the bus lock; so does tick()). One exception keeps seed 003's lifecycle
// in order for every job: the queue tells of a job's creation after the commit that made it,
// and a worker may start the job before that (the same commit can claim it), so a JobStarted
// can come before its JobCreated. The feed then sends job:created (from the started job, as
// it stood when created: pending, no attempt begun) right before job:started, and drops the
// late JobCreated. So a client always sees created, started, then completed or failed. Sinks are called under the bus lock: they
// must only enqueue (never block, never publish, never throw).
//
// Thread-safety: every member may be called from any thread but a sink's deliver() or another
// bus listener. Lock order: bus, then the feed's timer mutex.

#include "core/time.hpp"
#include "events/history.hpp"
#include "events/message.hpp"
#include "events/scan_messages.hpp"
#include "progress/event_bus.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace scanhub::store {
class Store;
}

namespace scanhub::events {

/// Where records go: a transport's fan-out to its connections.
class EventSink {
 public:
  virtual ~EventSink() = default;
  /// Called under the bus lock, in sequence order; must only enqueue.
  virtual void deliver(const SharedRecord& record) noexcept = 0;
};

struct EventFeedOptions {
  /// Library names for scan:progress and the library of libraryChanged; none: a library is
  /// named after its directory and libraryChanged is not sent.
  LibraryLookup library_lookup;
  /// queue:stats at most once per interval (zero: every one).
  std::chrono::milliseconds stats_interval{250};
  /// Runs a timer thread that sends a held-back queue:stats when its interval is over. False:
  /// no thread; call tick() (tests, with an injected clock).
  bool timer = true;
  std::function<core::TimePoint()> now = [] { return core::Clock::now(); };
  /// Jobs announced ahead of their JobCreated that are remembered (a job started after a
  /// restart was created by the process before: its JobCreated never comes).
  std::size_t max_early = 4096;
};

/// Libraries read from `store` (which must outlive the lookup), one read per call.
LibraryLookup store_library_lookup(store::Store& store);

class EventFeed {
 public:
  /// Subscribes to `bus`; `bus` and `history` must outlive the feed.
  EventFeed(progress::EventBus& bus, EventHistory& history, EventFeedOptions options = {});
  /// Unsubscribes and stops the timer; a held-back queue:stats is not sent.
  ~EventFeed();
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  /// From the next event on, `sink` gets every record (kept alive until removed).
  void add_sink(std::shared_ptr<EventSink> sink);
  void remove_sink(const EventSink* sink);

  /// Sends the held-back queue:stats if its interval is over at now().
  void tick();

  /// queue:stats records sent and held back in favour of a newer one (for tests and counters).
  std::uint64_t stats_sent() const;
  std::uint64_t stats_coalesced() const;

 private:
  void on_scan_event(const progress::Event& event);
  void on_job_event(const progress::JobEvent& event);
  void on_stats(const core::QueueStats& stats, core::TimePoint now);  // under the bus lock
  /// Keeps created before started (see above); false: drop the event. Under the bus lock.
  bool in_lifecycle_order(const progress::JobEvent& event, core::TimePoint now);
  void send(const Message& message);                                 // under the bus lock
  void remember_owner(const progress::JobEvent& event);  // owners_, under the bus lock
  void forget_owner(const progress::JobEvent& event);    // a job ended, under the bus lock
  void schedule(core::Clock::duration wait);  // the timer sends held stats after `wait`
  void run_timer();
  std::optional<core::Library> library(core::LibraryId id);         // under the bus lock

  progress::EventBus& bus_;
  EventHistory& history_;
  EventFeedOptions options_;

  // Under the bus lock.
  std::vector<std::shared_ptr<EventSink>> sinks_;
  std::map<core::LibraryId, std::optional<core::Library>> libraries_;  // names, cached
  std::unordered_set<core::JobId> announced_;  // job:created sent, job not ended yet
  std::unordered_set<core::JobId> early_;      // announced ahead of their JobCreated
  std::deque<core::JobId> early_order_;        // oldest first, to bound early_
  // External jobs not ended yet: their creator (job_owner), for the ids-only JobsCancelled.
  std::unordered_map<core::JobId, std::string> owners_;
  std::optional<core::QueueStats> held_stats_;
  std::optional<core::TimePoint> last_stats_;
  std::uint64_t stats_sent_ = 0;
  std::uint64_t stats_coalesced_ = 0;

  std::mutex timer_mutex_;
  std::condition_variable timer_wake_;
  std::optional<std::chrono::steady_clock::time_point> timer_due_;  // under timer_mutex_
  bool stopping_ = false;                                           // under timer_mutex_
  std::thread timer_;

  progress::EventBus::ListenerId scan_listener_ = 0;
  progress::EventBus::ListenerId job_listener_ = 0;
};

}  // namespace scanhub::events
