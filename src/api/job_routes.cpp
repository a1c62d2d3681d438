#include "api/job_routes.hpp"

#include "api/job_json.hpp"
#include "http/json_response.hpp"
#include "http/query.hpp"
#include "lib/sqlite/transaction.hpp"
#include "progress/job_access.hpp"

#include <boost/json.hpp>

#include <charconv>

namespace scanhub::api {

namespace {

using http::Status;

constexpr std::int64_t kMaxRetryDelayMs = 24LL * 60 * 60 * 1000;

core::JobId job_id_param(const http::PathParams& params) {
  const std::string& text = params.at("id");
  const auto id = core::parse_id(text);
  if (!id) throw http::HttpError(Status::not_found, "no job " + text);
  return *id;
}

int int_query(const http::QueryParams& query, std::string_view name, int fallback, int max) {
  const auto value = query.get(name);
  if (!value) return fallback;
  int number = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), number);
  if (ec != std::errc() || end != value->data() + value->size() || number < 0) {
    throw std::invalid_argument(std::string(name) + " must be a non-negative integer");
  }
  return std::min(number, max);
}

http::Response job_response(Status status, const core::Job& job) {
  return http::json_response(status, job_json(job));
}

}  // namespace

void add_job_routes(http::Router& router, store::Store& store, ExternalJobs& jobs) {
  router.add(http::Verb::get, "/api/jobs", [&store](const http::Request& request, const http::PathParams&,
                                                    const auth::Principal& caller) {
    const http::QueryParams query(http::split_target(request.target()).query);
    store::JobFilter filter;
    // Seed 003's dashboard fetches /api/jobs for its active jobs: no status = active.
    const std::string_view status = query.get("status").value_or("active");
    if (status == "active") {
      filter.active_only = true;
    } else if (status != "all") {
      filter.status = core::parse_job_status(status);
      if (!filter.status) {
        throw std::invalid_argument(
            "status must be all, active, pending, processing, completed, failed or cancelled");
      }
    }
    if (const auto type = query.get("type")) filter.type = std::string(*type);
    filter.limit = int_query(query, "limit", 100, 500);
    filter.offset = int_query(query, "offset", 0, 1 << 30);
    filter.visible_to = progress::jobs_visible_to(caller);
    const auto list = store.read([&](store::Connection& c) { return c.jobs.list(filter); });
    boost::json::array out;
    for (const auto& job : list) out.push_back(job_json(job));
    return http::json_response(Status::ok, out);
  });

  router.add(http::Verb::get, "/api/jobs/{id}", [&store](const http::Request&, const http::PathParams& params,
                                                         const auth::Principal& caller) {
    const core::JobId id = job_id_param(params);
    const auto job = store.read([&](store::Connection& c) { return c.jobs.get(id); });
    // Another user's job is answered as one that does not exist (see job_routes.hpp).
    if (!job || !progress::may_see_job(caller, *job)) throw http::HttpError(Status::not_found, "no job " + std::to_string(id));
    return job_response(Status::ok, *job);
  });

  router.add(http::Verb::get, "/api/queue", [&store](const http::Request& request, const http::PathParams&,
                                                     const auth::Principal& caller) {
    const http::QueryParams query(http::split_target(request.target()).query);
    const int processing = int_query(query, "processing", 20, 500);
    const int pending = int_query(query, "pending", 5, 500);
    const int failed = int_query(query, "failed", 20, 500);
    const int recent = int_query(query, "recent", 15, 500);
    return store.read([&](store::Connection& c) {
      // One read transaction: the counts and the lists are the same moment of the queue.
      sqlite::Transaction snapshot(c.db, sqlite::Transaction::Mode::deferred);
      const auto list = [&](std::optional<core::JobStatus> status, int limit) {
        store::JobFilter filter;
        filter.status = status;
        filter.limit = limit;
        filter.visible_to = progress::jobs_visible_to(caller);
        boost::json::array out;
        for (const auto& job : c.jobs.list(filter)) out.push_back(job_json(job));
        return out;
      };
      boost::json::object body;
      body["stats"] = queue_stats_json(c.jobs.stats());
      boost::json::array active = list(core::JobStatus::processing, processing);
      for (auto& job : list(core::JobStatus::pending, pending)) active.push_back(std::move(job));
      body["active"] = std::move(active);
      body["failed"] = list(core::JobStatus::failed, failed);
      body["recent"] = list(std::nullopt, recent);
      snapshot.commit();
      return http::json_response(Status::ok, body);
    });
  });

  router.add(http::Verb::get, "/api/queue/stats", [&store](const http::Request&, const http::PathParams&) {
    const auto stats = store.read([](store::Connection& c) { return c.jobs.stats(); });
    return http::json_response(Status::ok, queue_stats_json(stats));
  });

  router.add(http::Verb::post, "/api/jobs", [&jobs](const http::Request& request, const http::PathParams&,
                                                     const auth::Principal& caller) {
    const NewExternalJob job = parse_new_external_job(parse_body_object(request.body(), false));
    return job_response(Status::created, jobs.create(job, caller));
  });

  router.add(http::Verb::post, "/api/jobs/{id}/progress",
             [&jobs](const http::Request& request, const http::PathParams& params,
                     const auth::Principal& caller) {
               const core::JobId id = job_id_param(params);
               const auto progress = parse_job_progress(parse_body_object(request.body(), false));
               return job_response(Status::ok, jobs.report_progress(id, progress, caller));
             });

  router.add(http::Verb::post, "/api/jobs/{id}/complete",
             [&jobs](const http::Request& request, const http::PathParams& params,
                     const auth::Principal& caller) {
               const core::JobId id = job_id_param(params);
               const auto body = parse_body_object(request.body(), true);
               std::string message;
               for (const auto& [key, value] : body) {
                 if (key != "message") {
                   throw std::invalid_argument("unknown field " + boost::json::serialize(boost::json::value(key)));
                 }
                 if (!value.is_string()) throw std::invalid_argument("message must be a string");
                 if (value.as_string().size() > kMaxMessageLength) {
                   throw std::invalid_argument("message is longer than " + std::to_string(kMaxMessageLength) + " bytes");
                 }
                 message = std::string(value.as_string());
               }
               return job_response(Status::ok, jobs.complete(id, message, caller));
             });

  router.add(http::Verb::post, "/api/jobs/{id}/fail",
             [&jobs](const http::Request& request, const http::PathParams& params,
                     const auth::Principal& caller) {
               const core::JobId id = job_id_param(params);
               const auto body = parse_body_object(request.body(), false);
               std::optional<std::string> error;
               bool retry = false;
               std::int64_t delay_ms = 0;
               for (const auto& [key, value] : body) {
                 if (key == "error") {
                   if (!value.is_string() || value.as_string().empty()) {
                     throw std::invalid_argument("error must be a non-empty string");
                   }
                   if (value.as_string().size() > kMaxErrorLength) {
                     throw std::invalid_argument("error is longer than " + std::to_string(kMaxErrorLength) + " bytes");
                   }
                   error = std::string(value.as_string());
                 } else if (key == "retry") {
                   if (!value.is_bool()) throw std::invalid_argument("retry must be true or false");
                   retry = value.as_bool();
                 } else if (key == "retryDelayMs") {
                   if (!value.is_int64() || value.as_int64() < 0 || value.as_int64() > kMaxRetryDelayMs) {
                     throw std::invalid_argument("retryDelayMs must be an integer from 0 to " +
                                                 std::to_string(kMaxRetryDelayMs));
                   }
                   delay_ms = value.as_int64();
                 } else {
                   throw std::invalid_argument("unknown field " + boost::json::serialize(boost::json::value(key)));
                 }
               }
               if (!error) throw std::invalid_argument("error is required");
               return job_response(Status::ok,
                                   jobs.fail(id, *error, retry, std::chrono::milliseconds(delay_ms), caller));
             });
}

}  // namespace scanhub::api
