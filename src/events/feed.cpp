#include "events/feed.hpp"

#include "events/job_messages.hpp"
#include "store/store.hpp"

#include <spdlog/spdlog.h>

namespace scanhub::events {

LibraryLookup store_library_lookup(store::Store& store) {
  return [&store](core::LibraryId id) {
    return store.read([&](store::Connection& c) { return c.libraries.get(id); });
  };
}

EventFeed::EventFeed(progress::EventBus& bus, EventHistory& history, EventFeedOptions options)
    : bus_(bus), history_(history), options_(std::move(options)) {
  if (options_.timer) timer_ = std::thread([this] { run_timer(); });
  scan_listener_ = bus_.subscribe([this](const progress::Event& e) { on_scan_event(e); });
  job_listener_ = bus_.subscribe_jobs([this](const progress::JobEvent& e) { on_job_event(e); });
}

EventFeed::~EventFeed() {
  bus_.unsubscribe(scan_listener_);
  bus_.unsubscribe(job_listener_);
  {
    std::lock_guard lock(timer_mutex_);
    stopping_ = true;
  }
  timer_wake_.notify_all();
  if (timer_.joinable()) timer_.join();
}

void EventFeed::add_sink(std::shared_ptr<EventSink> sink) {
  bus_.run_exclusive([&] { sinks_.push_back(std::move(sink)); });
}

void EventFeed::remove_sink(const EventSink* sink) {
  bus_.run_exclusive([&] {
    std::erase_if(sinks_, [&](const auto& s) { return s.get() == sink; });
  });
}

std::uint64_t EventFeed::stats_sent() const {
  return bus_.run_exclusive([&] { return stats_sent_; });
}

std::uint64_t EventFeed::stats_coalesced() const {
  return bus_.run_exclusive([&] { return stats_coalesced_; });
}

void EventFeed::send(const Message& message) {
  SharedRecord record = make_record(message, history_.next_sequence());
  history_.append(record);
  for (const auto& sink : sinks_) sink->deliver(record);
}

std::optional<core::Library> EventFeed::library(core::LibraryId id) {
  if (!options_.library_lookup) return std::nullopt;
  auto it = libraries_.find(id);
  if (it == libraries_.end()) it = libraries_.emplace(id, options_.library_lookup(id)).first;
  return it->second;
}

void EventFeed::on_scan_event(const progress::Event& event) {
  try {
    // A finished scan changed its libraries (last scan time): read them again.
    if (std::holds_alternative<progress::ScanFinished>(event)) {
      for (const auto& l : progress::scan_of(event).libraries) libraries_.erase(l.id);
    }
    const LibraryLookup cached = [this](core::LibraryId id) { return library(id); };
    for (const Message& m : scan_messages(event, options_.library_lookup ? cached : LibraryLookup{},
                                          options_.now())) {
      send(m);
    }
  } catch (const std::exception& e) {
    // A listener must not throw into the bus; a lost event is logged (the store is the truth).
    spdlog::error("events: scan {} event not sent: {}", progress::scan_of(event).id, e.what());
  }
}

void EventFeed::on_job_event(const progress::JobEvent& event) {
  try {
    const core::TimePoint now = options_.now();
    if (const auto* stats = std::get_if<progress::QueueStatsChanged>(&event)) {
      on_stats(stats->stats, now);
      return;
    }
    remember_owner(event);
    if (!in_lifecycle_order(event, now)) return;
    for (Message& m : job_messages(event, now)) {
      // A cancellation names ids only: its records keep the owner the job was seen with (a
      // job unseen since the start of the process is told to everyone, as before).
      if (!m.job_owner && m.job_id && std::holds_alternative<progress::JobsCancelled>(event)) {
        if (auto it = owners_.find(*m.job_id); it != owners_.end()) m.job_owner = it->second;
      }
      send(m);
    }
    forget_owner(event);
  } catch (const std::exception& e) {
    spdlog::error("events: job event not sent: {}", e.what());
  }
}

void EventFeed::remember_owner(const progress::JobEvent& event) {
  const core::Job* job = nullptr;
  if (const auto* created = std::get_if<progress::JobCreated>(&event)) job = &created->job;
  if (const auto* started = std::get_if<progress::JobStarted>(&event)) job = &started->job;
  if (job && progress::is_external(*job)) owners_.try_emplace(job->id, job->created_by.value_or(std::string()));
}

void EventFeed::forget_owner(const progress::JobEvent& event) {
  if (const auto* completed = std::get_if<progress::JobCompleted>(&event)) {
    owners_.erase(completed->job.id);
  } else if (const auto* failed = std::get_if<progress::JobFailed>(&event)) {
    if (!failed->will_retry) owners_.erase(failed->job.id);
  } else if (const auto* cancelled = std::get_if<progress::JobsCancelled>(&event)) {
    for (core::JobId id : cancelled->ids) owners_.erase(id);
  }
}

bool EventFeed::in_lifecycle_order(const progress::JobEvent& event, core::TimePoint now) {
  if (const auto* created = std::get_if<progress::JobCreated>(&event)) {
    if (early_.erase(created->job.id)) return false;  // announced already, when it started
    announced_.insert(created->job.id);
    return true;
  }
  if (const auto* started = std::get_if<progress::JobStarted>(&event)) {
    if (announced_.insert(started->job.id).second) {
      core::Job as_created = started->job;
      as_created.status = core::JobStatus::pending;
      as_created.attempts = std::max(0, as_created.attempts - 1);
      as_created.started_at.reset();
      for (const Message& m : job_messages(progress::JobCreated{std::move(as_created)}, now)) send(m);
      early_.insert(started->job.id);
      early_order_.push_back(started->job.id);
      while (early_order_.size() > options_.max_early) {
        early_.erase(early_order_.front());
        early_order_.pop_front();
      }
    }
    return true;
  }
  if (const auto* completed = std::get_if<progress::JobCompleted>(&event)) {
    announced_.erase(completed->job.id);
  } else if (const auto* failed = std::get_if<progress::JobFailed>(&event)) {
    if (!failed->will_retry) announced_.erase(failed->job.id);
  } else if (const auto* cancelled = std::get_if<progress::JobsCancelled>(&event)) {
    for (core::JobId id : cancelled->ids) announced_.erase(id);
  }
  return true;
}

void EventFeed::on_stats(const core::QueueStats& stats, core::TimePoint now) {
  const auto interval = options_.stats_interval;
  if (!last_stats_ || now - *last_stats_ >= interval) {
    if (held_stats_) ++stats_coalesced_;  // the held one is superseded by this newer one
    held_stats_.reset();
    last_stats_ = now;
    ++stats_sent_;
    send(queue_stats(stats, now));
    return;
  }
  if (held_stats_) ++stats_coalesced_;
  held_stats_ = stats;
  schedule(*last_stats_ + interval - now);
}

void EventFeed::schedule(core::Clock::duration wait) {
  if (!options_.timer) return;
  {
    std::lock_guard lock(timer_mutex_);
    timer_due_ = std::chrono::steady_clock::now() +
                 std::chrono::duration_cast<std::chrono::steady_clock::duration>(wait);
  }
  timer_wake_.notify_all();
}

void EventFeed::tick() {
  bus_.run_exclusive([&] {
    if (!held_stats_) return;
    const core::TimePoint now = options_.now();
    if (last_stats_ && now - *last_stats_ < options_.stats_interval) {
      schedule(*last_stats_ + options_.stats_interval - now);  // woken early: wait for the rest
      return;
    }
    try {
      const core::QueueStats stats = std::move(*held_stats_);
      held_stats_.reset();
      last_stats_ = now;
      ++stats_sent_;
      send(queue_stats(stats, now));
    } catch (const std::exception& e) {
      spdlog::error("events: queue:stats not sent: {}", e.what());
    }
  });
}

void EventFeed::run_timer() {
  std::unique_lock lock(timer_mutex_);
  while (!stopping_) {
    if (!timer_due_) {
      timer_wake_.wait(lock);
      continue;
    }
    const auto due = *timer_due_;
    if (timer_wake_.wait_until(lock, due, [&] { return stopping_ || timer_due_ != due; })) continue;
    timer_due_.reset();
    // tick() takes the bus lock: never while holding timer_mutex_ (lock order bus, then timer).
    lock.unlock();
    tick();
    lock.lock();
  }
}

}  // namespace scanhub::events
