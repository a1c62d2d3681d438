#include "events/job_messages.hpp"

#include "core/time.hpp"

#include <boost/json/value.hpp>

#include <cmath>

namespace scanhub::events {

namespace {

boost::json::value optional_id(const std::optional<std::int64_t>& id) {
  return id ? boost::json::value(*id) : boost::json::value(nullptr);
}

std::string job_type_of(const core::Job& job) {
  return progress::is_external(job) ? progress::external_job_info(job).job_type : job.type;
}

// The fields every job message starts with.
Message job_message(std::string_view type, const core::Job& job, core::TimePoint now,
                    Delivery delivery = Delivery::lifecycle, std::string key = {}) {
  Message m = make_message(type, now, delivery, std::move(key));
  m.job_id = job.id;
  m.scan_id = job.scan_id;
  if (progress::is_external(job)) m.job_owner = job.created_by.value_or(std::string());
  m.body["jobId"] = job.id;
  m.body["jobType"] = job_type_of(job);
  m.body["scanId"] = optional_id(job.scan_id);
  return m;
}

boost::json::value percentage_value(double p) {
  if (!std::isfinite(p)) return 0;
  return p == std::floor(p) ? boost::json::value(static_cast<std::int64_t>(p)) : boost::json::value(p);
}

boost::json::object counts_json(const core::QueueCounts& c) {
  return {{"pending", c.pending}, {"processing", c.processing}, {"completed", c.completed},
          {"failed", c.failed},   {"cancelled", c.cancelled}};
}

struct Builder {
  core::TimePoint now;
  std::vector<Message>& out;

  void operator()(const progress::JobCreated& e) {
    Message m = job_message("job:created", e.job, now);
    m.body["status"] = core::to_string(e.job.status);
    m.body["priority"] = e.job.priority;
    m.body["attempts"] = e.job.attempts;
    m.body["maxAttempts"] = e.job.max_attempts;
    m.body["parentId"] = optional_id(e.job.parent_id);
    m.body["createdAt"] = core::format_iso8601(e.job.created_at);
    out.push_back(std::move(m));
  }
  void operator()(const progress::JobStarted& e) {
    Message m = job_message("job:started", e.job, now);
    m.body["attempt"] = e.job.attempts;
    m.body["maxAttempts"] = e.job.max_attempts;
    m.body["startedAt"] = core::format_iso8601(e.job.started_at.value_or(now));
    out.push_back(std::move(m));
  }
  void operator()(const progress::JobProgressed& e) {
    Message m = job_message("job:progress", e.job, now, Delivery::progress, job_progress_key(e.job.id));
    m.body["progress"] = {{"current", e.progress.current},
                          {"total", e.progress.total},
                          {"percentage", percentage_value(e.progress.percentage)},
                          {"message", e.progress.message},
                          {"detail", e.progress.detail}};
    out.push_back(std::move(m));
  }
  void operator()(const progress::JobCompleted& e) {
    Message m = job_message("job:completed", e.job, now);
    m.body["completedAt"] = core::format_iso8601(e.job.finished_at.value_or(now));
    out.push_back(std::move(m));
  }
  void operator()(const progress::JobFailed& e) {
    Message m = job_message("job:failed", e.job, now);
    m.body["error"] = e.error;
    m.body["attempt"] = e.attempt;
    m.body["maxAttempts"] = e.max_attempts;
    m.body["willRetry"] = e.will_retry;
    m.body["retryAt"] = e.will_retry ? boost::json::value(core::format_iso8601(e.retry_at))
                                     : boost::json::value(nullptr);
    out.push_back(std::move(m));
  }
  void operator()(const progress::JobsCancelled& e) {
    for (core::JobId id : e.ids) {
      Message m = make_message("job:failed", now);
      m.job_id = id;
      m.body["jobId"] = id;
      m.body["jobType"] = nullptr;
      m.body["scanId"] = nullptr;
      m.body["error"] = "Job cancelled";
      m.body["cancelled"] = true;
      m.body["attempt"] = nullptr;
      m.body["maxAttempts"] = nullptr;
      m.body["willRetry"] = false;
      m.body["retryAt"] = nullptr;
      out.push_back(std::move(m));
    }
  }
  void operator()(const progress::QueueStatsChanged& e) { out.push_back(queue_stats(e.stats, now)); }
};

}  // namespace

std::string job_progress_key(core::JobId id) { return "job:" + std::to_string(id); }

std::vector<Message> job_messages(const progress::JobEvent& event, core::TimePoint now) {
  std::vector<Message> out;
  std::visit(Builder{now, out}, event);
  return out;
}

Message queue_stats(const core::QueueStats& stats, core::TimePoint now) {
  Message m = make_message("queue:stats", now, Delivery::progress, std::string(kQueueStatsKey));
  for (auto& [key, value] : counts_json(stats.total)) m.body[key] = value;
  boost::json::object by_type;
  for (const auto& [type, counts] : stats.by_type) by_type[type] = counts_json(counts);
  m.body["byType"] = std::move(by_type);
  return m;
}

}  // namespace scanhub::events
