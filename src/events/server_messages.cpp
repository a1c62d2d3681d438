#include "events/server_messages.hpp"

#include "core/time.hpp"

#include <boost/json/array.hpp>

namespace scanhub::events {

namespace {

void add_request_id(Message& m, const boost::json::value& request_id) {
  if (!request_id.is_null()) m.body["requestId"] = request_id;
}

}  // namespace

Message welcome(std::string_view server_id, std::string_view server_version, core::TimePoint now) {
  Message m = make_message("welcome", now);
  m.body["serverId"] = server_id;
  m.body["serverVersion"] = server_version;
  boost::json::array capabilities;
  for (std::string_view c : kCapabilities) capabilities.emplace_back(c);
  m.body["capabilities"] = std::move(capabilities);
  return m;
}

Message pong(const boost::json::value& request_id, core::TimePoint now) {
  Message m = make_message("pong", now);
  m.body["serverTime"] = core::format_iso8601(now);
  add_request_id(m, request_id);
  return m;
}

Message ack(std::string_view original_type, bool success, std::string_view message,
            const boost::json::value& request_id, core::TimePoint now, boost::json::object extra) {
  Message m = make_message("ack", now);
  m.body["originalType"] = original_type;
  m.body["success"] = success;
  m.body["message"] = message;
  for (auto& [key, value] : extra) m.body[key] = std::move(value);
  add_request_id(m, request_id);
  return m;
}

Message error(std::string_view original_type, std::string_view error, std::string_view code,
              const boost::json::value& request_id, core::TimePoint now) {
  Message m = make_message("error", now);
  if (!original_type.empty()) m.body["originalType"] = original_type;
  m.body["error"] = error;
  m.body["code"] = code;
  add_request_id(m, request_id);
  return m;
}

boost::json::object library_json(const core::Library& library) {
  const std::string created = core::format_iso8601(library.created_at);
  return {{"id", library.id},
          {"name", library.name},
          {"type", library.type == core::LibraryType::movie ? "movies" : "music"},
          {"path", library.path},
          {"enabled", true},
          {"createdAt", created},
          {"updatedAt", library.last_scan_at ? core::format_iso8601(*library.last_scan_at) : created}};
}

std::string_view metarr_scan_status(core::ScanStatus status) noexcept {
  return core::is_terminal(status) ? core::to_string(status) : std::string_view("running");
}

boost::json::object scan_job_json(const core::ScanSnapshot& scan) {
  boost::json::object o;
  o["id"] = scan.id;
  o["libraryId"] = scan.libraries.empty() ? boost::json::value(nullptr)
                                          : boost::json::value(scan.libraries.front().id);
  boost::json::array ids;
  for (const auto& library : scan.libraries) ids.emplace_back(library.id);
  o["libraryIds"] = std::move(ids);
  o["status"] = metarr_scan_status(scan.status);
  o["phase"] = core::to_string(scan.status);
  o["progressCurrent"] = scan.counters.directories_scanned;
  o["progressTotal"] = scan.counters.directories_total;
  if (!core::is_terminal(scan.status)) {
    const std::string& current =
        scan.current_directory.empty() ? scan.current_operation : scan.current_directory;
    if (!current.empty()) o["currentFile"] = current;
  }
  o["errorsCount"] = scan.counters.errors_count;
  o["startedAt"] = core::format_iso8601(scan.times.started_at);
  if (core::is_terminal(scan.status) && scan.times.completed_at) {
    o["completedAt"] = core::format_iso8601(*scan.times.completed_at);
  }
  return o;
}

Message resync_data(ResyncScope scope, std::span<const core::Library> libraries,
                    std::span<const core::ScanSnapshot> scans,
                    const boost::json::value& request_id, core::TimePoint now) {
  Message m = make_message("resyncData", now);
  m.body["scope"] = to_string(scope);
  boost::json::object data;
  if (scope != ResyncScope::scans) {
    boost::json::array out;
    for (const auto& library : libraries) out.emplace_back(library_json(library));
    data["libraries"] = std::move(out);
  }
  if (scope != ResyncScope::libraries) {
    boost::json::array out;
    for (const auto& scan : scans) out.emplace_back(scan_job_json(scan));
    data["scans"] = std::move(out);
  }
  m.body["data"] = std::move(data);
  add_request_id(m, request_id);
  return m;
}

}  // namespace scanhub::events
