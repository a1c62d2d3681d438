#include "api/routes.hpp"

#include "api/scan_json.hpp"
#include "http/json_response.hpp"
#include "http/query.hpp"

#include <boost/json.hpp>

#include <charconv>

namespace scanhub::api {

namespace {

using http::Status;

std::optional<std::string> query_value(const http::Request& request, std::string_view name) {
  const http::QueryParams query(http::split_target(request.target()).query);
  const auto value = query.get(name);
  if (!value) return std::nullopt;
  return std::string(*value);
}

core::ScanId scan_id_param(const http::PathParams& params) {
  const std::string& text = params.at("id");
  const auto id = core::parse_id(text);
  if (!id) throw http::HttpError(Status::not_found, "no scan " + text);
  return *id;
}

int int_query(const http::Request& request, std::string_view name, int fallback, int max) {
  const auto value = query_value(request, name);
  if (!value) return fallback;
  int number = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), number);
  if (ec != std::errc() || end != value->data() + value->size() || number < 0) {
    throw std::invalid_argument(std::string(name) + " must be a non-negative integer");
  }
  return std::min(number, max);
}

// The live snapshot while the tracker has it, else the stored row.
std::optional<core::ScanSnapshot> find_scan(const Services& s, core::ScanId id) {
  if (auto live = s.tracker.snapshot(id)) return live;
  return s.store.read([&](store::Connection& c) { return c.scans.get(id); });
}

}  // namespace

void add_routes(http::Router& router, Services s) {
  router.add(http::Verb::post, "/api/library/scan", [s](const http::Request&, const http::PathParams&) {
    auto libraries = s.store.read([](store::Connection& c) { return c.libraries.list(); });
    std::erase_if(libraries, [](const core::Library& l) { return l.type != core::LibraryType::music; });
    if (libraries.empty()) {
      throw http::HttpError(Status::conflict,
                            "no music library to scan: start scanhub serve with --library PATH");
    }
    try {
      const auto started = s.scans.start(libraries, core::ScanTrigger::manual);
      return http::json_response(Status::ok, {{"scanId", std::to_string(started.id)},
                                              {"alreadyRunning", started.already_running}});
    } catch (const scan::ScanConflict& e) {
      throw http::HttpError(Status::conflict, e.what());
    }
  }, http::Access::kAdmin);

  router.add(http::Verb::get, "/api/scans", [s](const http::Request& request, const http::PathParams&) {
    const bool active = query_value(request, "active").value_or("") == "true";
    auto scans = s.store.read([&](store::Connection& c) { return c.scans.list(50, active); });
    boost::json::array out;
    for (auto& scan : scans) {
      if (auto live = s.tracker.snapshot(scan.id)) scan = *live;
      out.push_back(scan_json(scan));
    }
    return http::json_response(Status::ok, out);
  });

  router.add(http::Verb::get, "/api/scans/{id}", [s](const http::Request&, const http::PathParams& params) {
    const core::ScanId id = scan_id_param(params);
    const auto scan = find_scan(s, id);
    if (!scan) throw http::HttpError(Status::not_found, "no scan " + std::to_string(id));
    return http::json_response(Status::ok, scan_json(*scan));
  });

  router.add(http::Verb::get, "/api/scans/{id}/errors",
             [s](const http::Request& request, const http::PathParams& params) {
               const core::ScanId id = scan_id_param(params);
               const int limit = int_query(request, "limit", 100, 1000);
               const int offset = int_query(request, "offset", 0, 1 << 30);
               const auto errors = s.store.read([&](store::Connection& c) {
                 return c.scans.get(id) ? std::optional(c.scans.errors(id, limit, offset)) : std::nullopt;
               });
               if (!errors) throw http::HttpError(Status::not_found, "no scan " + std::to_string(id));
               boost::json::array out;
               for (const auto& e : *errors) out.push_back({{"path", e.path}, {"reason", e.reason}});
               return http::json_response(Status::ok, out);
             });

  router.add(http::Verb::post, "/api/scans/{id}/cancel",
             [s](const http::Request&, const http::PathParams& params) {
               const core::ScanId id = scan_id_param(params);
               if (!s.scans.cancel(id)) {
                 // As GET answers: an id that names no scan is 404; 409 is for one that ended.
                 if (!find_scan(s, id)) {
                   throw http::HttpError(Status::not_found, "no scan " + std::to_string(id));
                 }
                 throw http::HttpError(Status::conflict, "scan " + std::to_string(id) + " is not running");
               }
               return http::json_response(Status::accepted, {{"scanId", std::to_string(id)}});
             },
             http::Access::kAdmin);

  // 503 while the job queue is paused by a storage fault or has met a damaged database file,
  // so a supervisor or a load balancer sees it; the reason names the database and the fault.
  router.add(http::Verb::get, "/healthz", [s](const http::Request&, const http::PathParams&) {
    const auto storage = s.scans.queue().storage_status();
    if (storage.state == queue::StorageStatus::State::ok) {
      return http::json_response(Status::ok, {{"status", "ok"}});
    }
    boost::json::object body{{"status", "degraded"},
                             {"storage", queue::to_string(storage.state)},
                             {"reason", storage.reason},
                             {"since", core::format_iso8601(storage.since)}};
    if (storage.retry_at) body["retryAt"] = core::format_iso8601(*storage.retry_at);
    return http::json_response(Status::service_unavailable, std::move(body));
  }, http::Access::kOpen);
}

}  // namespace scanhub::api
