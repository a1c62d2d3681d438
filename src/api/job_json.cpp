#include "api/job_json.hpp"

#include "core/ids.hpp"
#include "core/time.hpp"
#include "progress/job_events.hpp"
#include "text/json_text.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace scanhub::api {

namespace {

boost::json::value optional_time(const std::optional<core::TimePoint>& t) {
  return t ? boost::json::value(core::format_iso8601(*t)) : boost::json::value(nullptr);
}

// The stored payload as JSON (a hand-edited row that is not JSON goes out as its text). A
// scan's payloads hold paths as bytes; the response's serializer makes them UTF-8.
boost::json::value payload_value(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = text::parse_stored_json(text, ec);
  return ec ? boost::json::value(text) : v;
}

boost::json::object counts_json(const core::QueueCounts& c) {
  return {{"pending", c.pending},     {"processing", c.processing}, {"completed", c.completed},
          {"failed", c.failed},       {"cancelled", c.cancelled}};
}

std::string string_field(const boost::json::object& o, std::string_view name, std::size_t max,
                         bool allow_empty) {
  const auto& v = o.at(name);
  if (!v.is_string()) throw std::invalid_argument(std::string(name) + " must be a string");
  const auto& s = v.as_string();
  if (s.size() > max) {
    throw std::invalid_argument(std::string(name) + " is longer than " + std::to_string(max) + " bytes");
  }
  if (!allow_empty && s.empty()) throw std::invalid_argument(std::string(name) + " must not be empty");
  return std::string(s);
}

std::int64_t count_field(const boost::json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (!v) return 0;
  std::int64_t n = 0;
  if (v->is_int64()) {
    n = v->as_int64();
  } else if (v->is_uint64() || !v->is_double() || v->as_double() != std::floor(v->as_double()) ||
             std::abs(v->as_double()) > 9e15) {
    throw std::invalid_argument(std::string(name) + " must be an integer");
  } else {
    n = static_cast<std::int64_t>(v->as_double());
  }
  if (n < 0) throw std::invalid_argument(std::string(name) + " must not be negative");
  return n;
}

bool valid_job_type(std::string_view t) {
  for (char ch : t) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                    ch == ' ' || ch == '_' || ch == '.' || ch == ':' || ch == '-';
    if (!ok) return false;
  }
  return !t.empty();
}

}  // namespace

boost::json::object job_progress_json(const core::JobProgress& p) {
  // 50 rather than 5E1 (Boost.JSON's spelling of a double) when the percentage is whole.
  const boost::json::value percentage =
      p.percentage == std::floor(p.percentage) ? boost::json::value(static_cast<std::int64_t>(p.percentage))
                                               : boost::json::value(p.percentage);
  return {{"current", p.current}, {"total", p.total}, {"percentage", percentage},
          {"message", p.message}, {"detail", p.detail}};
}

boost::json::object job_json(const core::Job& job) {
  boost::json::object o;
  o["jobId"] = job.id;
  o["hubJobId"] = progress::hub_job_id(job.id);
  o["type"] = job.type;
  if (progress::is_external(job)) {
    const auto info = progress::external_job_info(job);
    o["jobType"] = info.job_type;
    o["videoId"] = info.video_id ? boost::json::value(*info.video_id) : boost::json::value(nullptr);
    const boost::json::value stored = payload_value(job.payload);
    const auto* inner = stored.is_object() ? stored.as_object().if_contains("payload") : nullptr;
    o["payload"] = inner ? *inner : boost::json::value(nullptr);
  } else {
    o["jobType"] = job.type;
    o["videoId"] = nullptr;
    o["payload"] = payload_value(job.payload);
  }
  o["status"] = core::to_string(job.status);
  o["priority"] = job.priority;
  o["attempts"] = job.attempts;
  o["maxAttempts"] = job.max_attempts;
  o["parentId"] = job.parent_id ? boost::json::value(*job.parent_id) : boost::json::value(nullptr);
  o["scanId"] = job.scan_id ? boost::json::value(*job.scan_id) : boost::json::value(nullptr);
  o["createdAt"] = core::format_iso8601(job.created_at);
  o["startedAt"] = optional_time(job.started_at);
  o["finishedAt"] = optional_time(job.finished_at);
  o["lastError"] = job.last_error ? boost::json::value(*job.last_error) : boost::json::value(nullptr);
  o["createdBy"] = job.created_by ? boost::json::value(*job.created_by) : boost::json::value(nullptr);
  o["progress"] = job.progress ? boost::json::value(job_progress_json(*job.progress))
                               : boost::json::value(nullptr);
  return o;
}

boost::json::object queue_stats_json(const core::QueueStats& stats) {
  boost::json::object o = counts_json(stats.total);
  boost::json::object by_type;
  for (const auto& [type, counts] : stats.by_type) by_type[type] = counts_json(counts);
  o["byType"] = std::move(by_type);
  return o;
}

boost::json::object parse_body_object(std::string_view body, bool allow_empty) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    if (allow_empty) return {};
    throw std::invalid_argument("the request body must be a JSON object");
  }
  boost::system::error_code ec;
  // Depth limit: untrusted input must not recurse without bound.
  boost::json::parse_options options;
  options.max_depth = 32;
  boost::json::value v = boost::json::parse(body, ec, {}, options);
  if (ec) throw std::invalid_argument("the request body is not JSON: " + ec.message());
  if (!v.is_object()) throw std::invalid_argument("the request body must be a JSON object");
  return std::move(v.as_object());
}

NewExternalJob parse_new_external_job(const boost::json::object& body) {
  NewExternalJob job;
  for (const auto& [key, value] : body) {
    if (key == "jobType") {
      job.job_type = string_field(body, "jobType", kMaxJobTypeLength, false);
      if (!valid_job_type(job.job_type)) {
        throw std::invalid_argument("jobType may hold only letters, digits, space and _ . : -");
      }
    } else if (key == "videoId") {
      if (!value.is_null()) job.video_id = string_field(body, "videoId", kMaxVideoIdLength, false);
    } else if (key == "payload") {
      job.payload = boost::json::serialize(value);
      if (job.payload.size() > kMaxPayloadBytes) {
        throw std::invalid_argument("payload is larger than " + std::to_string(kMaxPayloadBytes) + " bytes");
      }
    } else if (key == "status") {
      const std::string status = string_field(body, "status", 16, false);
      if (status != "pending" && status != "processing") {
        throw std::invalid_argument("status must be \"pending\" or \"processing\"");
      }
      job.start = status == "processing";
    } else if (key == "maxAttempts") {
      if (!value.is_int64() || value.as_int64() < 1 || value.as_int64() > kMaxExternalAttempts) {
        throw std::invalid_argument("maxAttempts must be an integer from 1 to " +
                                    std::to_string(kMaxExternalAttempts));
      }
      job.max_attempts = static_cast<int>(value.as_int64());
    } else if (key == "progress") {
      if (!value.is_object()) throw std::invalid_argument("progress must be an object");
      job.progress = parse_job_progress(value.as_object());
    } else {
      throw std::invalid_argument("unknown field " + boost::json::serialize(boost::json::value(key)));
    }
  }
  if (job.progress && !job.start) {
    throw std::invalid_argument("a pending job has no progress yet: give status \"processing\"");
  }
  return job;
}

core::JobProgress parse_job_progress(const boost::json::object& body) {
  for (const auto& [key, value] : body) {
    if (key != "current" && key != "total" && key != "percentage" && key != "message" && key != "detail") {
      throw std::invalid_argument("unknown field " + boost::json::serialize(boost::json::value(key)));
    }
  }
  if (!body.contains("current") && !body.contains("total") && !body.contains("percentage")) {
    throw std::invalid_argument("progress needs current and total, or percentage");
  }
  core::JobProgress p;
  p.current = count_field(body, "current");
  p.total = count_field(body, "total");
  if (p.current > p.total) throw std::invalid_argument("current must not exceed total");
  if (const auto* v = body.if_contains("percentage")) {
    if (!v->is_number()) throw std::invalid_argument("percentage must be a number");
    p.percentage = v->to_number<double>();
    if (!(p.percentage >= 0 && p.percentage <= 100)) {
      throw std::invalid_argument("percentage must be from 0 to 100");
    }
  } else {
    p.percentage = p.total > 0 ? static_cast<double>(p.current) * 100.0 / static_cast<double>(p.total) : 0.0;
  }
  if (body.contains("message")) p.message = string_field(body, "message", kMaxMessageLength, true);
  if (body.contains("detail")) p.detail = string_field(body, "detail", kMaxDetailLength, true);
  return p;
}

}  // namespace scanhub::api
