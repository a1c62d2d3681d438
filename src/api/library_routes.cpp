#include "api/library_routes.hpp"

#include "api/job_json.hpp"
#include "api/scan_json.hpp"
#include "http/json_response.hpp"
#include "scan/library_root.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <system_error>

namespace scanhub::api {

namespace {

using http::Status;

constexpr std::size_t kMaxNameBytes = 200;

core::LibraryId library_id_param(const http::PathParams& params) {
  const std::string& text = params.at("id");
  const auto id = core::parse_id(text);
  if (!id) throw http::HttpError(Status::not_found, "no library " + text);
  return *id;
}

// The running scan that covers `library`, from the tracker (which holds every live scan).
std::optional<core::ScanId> active_scan_of(progress::ProgressTracker& tracker,
                                           core::LibraryId library) {
  for (const auto& scan : tracker.active()) {
    for (const auto& l : scan.libraries) {
      if (l.id == library) return scan.id;
    }
  }
  return std::nullopt;
}

boost::json::object library_row_json(const Services& s, const LibraryRouteHooks& hooks,
                                     store::Connection& c, const core::Library& library) {
  boost::json::object o = library_json(library, c.tracks.count(library.id));
  o["movieCount"] = c.movies.count(library.id);
  o["watched"] = hooks.is_watched ? hooks.is_watched(library.id) : false;
  const auto active = active_scan_of(s.tracker, library.id);
  o["activeScanId"] = active ? boost::json::value(std::to_string(*active)) : boost::json::value(nullptr);
  boost::json::value last = nullptr;
  if (const auto id = c.libraries.last_scan_id(library.id)) {
    auto scan = s.tracker.snapshot(*id);
    if (!scan) scan = c.scans.get(*id);
    if (scan) {
      const boost::json::object full = scan_json(*scan);
      boost::json::object brief;
      for (const char* key : {"scanId", "status", "startedAt", "completedAt", "tracksFound",
                              "moviesFound", "errorsCount"}) {
        brief[key] = full.at(key);
      }
      last = std::move(brief);
    }
  }
  o["lastScan"] = std::move(last);
  return o;
}

struct NewLibrary {
  std::string path;  // canonical
  core::LibraryType type = core::LibraryType::music;
  std::string name;
  bool follow_symlinks = false;
};

NewLibrary parse_new_library(const boost::json::object& body, const LibraryRoots& roots) {
  for (const auto& field : body) {
    if (field.key() != "path" && field.key() != "type" && field.key() != "name" &&
        field.key() != "followSymlinks") {
      throw std::invalid_argument("unknown field '" + std::string(field.key()) +
                                  "' (expected path, type and optionally name and followSymlinks)");
    }
  }
  NewLibrary out;
  const auto* path = body.if_contains("path");
  if (!path || !path->is_string() || path->as_string().empty()) {
    throw std::invalid_argument("path is required: the library's directory as an absolute path");
  }
  const std::string requested(path->as_string());
  if (requested.find('\0') != std::string::npos || requested.front() != '/') {
    throw std::invalid_argument("path must be an absolute path (starting with /): " + requested);
  }
  const auto* type = body.if_contains("type");
  if (!type || !type->is_string()) {
    throw std::invalid_argument("type is required: \"music\" or \"movie\"");
  }
  const auto parsed = core::parse_library_type(type->as_string());
  if (!parsed) {
    throw std::invalid_argument("type must be \"music\" or \"movie\", not \"" +
                                std::string(type->as_string()) + "\"");
  }
  out.type = *parsed;
  if (const auto* name = body.if_contains("name"); name && !name->is_null()) {
    if (!name->is_string()) throw std::invalid_argument("name must be a string");
    if (name->as_string().size() > kMaxNameBytes) {
      throw std::invalid_argument("name is longer than " + std::to_string(kMaxNameBytes) + " bytes");
    }
    out.name = std::string(name->as_string());
  }
  if (const auto* follow = body.if_contains("followSymlinks"); follow && !follow->is_null()) {
    if (!follow->is_bool()) throw std::invalid_argument("followSymlinks must be true or false");
    out.follow_symlinks = follow->as_bool();
  }

  // The roots first, on the path with its links resolved as far as it exists: a path outside
  // them learns nothing of the server's files (not even whether it exists).
  std::error_code ec;
  const auto resolved = std::filesystem::weakly_canonical(requested, ec);
  if (auto refusal = outside_library_roots(ec ? std::filesystem::path(requested) : resolved, roots)) {
    throw std::invalid_argument(std::move(*refusal));
  }
  auto root = scan::check_library_root(requested);
  if (!root) throw std::invalid_argument(std::move(root.error()));
  // Again on the canonical path: a link may have changed between the two.
  if (auto refusal = outside_library_roots(*root, roots)) {
    throw std::invalid_argument(std::move(*refusal));
  }
  out.path = std::move(*root);
  if (out.name.empty()) out.name = std::filesystem::path(out.path).filename().string();
  if (out.name.empty()) out.name = out.path;
  return out;
}

// Starts a scan of `library`; throws HttpError 409 when another scan covers it.
scan::ScanService::Started start_scan(const Services& s, const core::Library& library,
                                      core::ScanTrigger trigger, const core::ScanOptions& options) {
  try {
    return s.scans.start({library}, trigger, options);
  } catch (const scan::ScanConflict& e) {
    throw http::HttpError(Status::conflict, e.what());
  }
}

// 409 for DELETE while `scan` covers the library; the page reads scanId to offer cancelling it.
http::Response busy_response(core::ScanId scan) {
  const std::string id = std::to_string(scan);
  return http::json_response(Status::conflict,
                             {{"error", "scan " + id + " is scanning this library: cancel it first"},
                              {"scanId", id}});
}

}  // namespace

std::optional<std::string> outside_library_roots(const std::filesystem::path& path,
                                                 const LibraryRoots& roots) {
  if (!roots.restricted) return std::nullopt;
  if (roots.roots.empty()) {
    return "libraries cannot be added here: the server has no --library-root (with "
           "authentication on, libraries may only lie under the configured library roots)";
  }
  const auto normal = path.lexically_normal();
  std::string listed;
  for (const auto& root : roots.roots) {
    // Whole components: /srv/music does not contain /srv/music2.
    const auto relative = normal.lexically_relative(root.lexically_normal());
    if (!relative.empty() && *relative.begin() != "..") return std::nullopt;
    if (!listed.empty()) listed += ", ";
    listed += root.string();
  }
  return path.string() + " is not under a library root (" + listed +
         "); with authentication on, libraries may only lie under the configured library roots";
}

void add_library_routes(http::Router& router, Services s, LibraryRouteHooks hooks,
                        LibraryRoots roots) {
  router.add(http::Verb::get, "/api/libraries", [s, hooks](const http::Request&, const http::PathParams&) {
    boost::json::array out;
    s.store.read([&](store::Connection& c) {
      for (const auto& library : c.libraries.list()) out.push_back(library_row_json(s, hooks, c, library));
      return 0;
    });
    return http::json_response(Status::ok, out);
  });

  router.add(http::Verb::post, "/api/libraries", [s, hooks, roots](const http::Request& request, const http::PathParams&) {
    const NewLibrary wanted = parse_new_library(parse_body_object(request.body(), false), roots);
    // The check and the insert run together on the writer thread, so two requests for the same
    // directory cannot both add it.
    std::optional<core::Library> added;
    s.store.write_sync([&](store::Connection& c) {
      if (c.libraries.find_by_path(wanted.path)) return;
      core::Library library;
      library.path = wanted.path;
      library.name = wanted.name;
      library.type = wanted.type;
      library.follow_symlinks = wanted.follow_symlinks;
      library.created_at = core::Clock::now();
      added = c.libraries.add(library);
    });
    if (!added) throw http::HttpError(Status::conflict, wanted.path + " is a library already");

    // Watched before its scan starts: a file written after the scan passed its directory is
    // then seen by the watcher, one written before by the scan.
    if (hooks.on_library_added) {
      try {
        hooks.on_library_added(*added);
      } catch (const std::exception& e) {
        spdlog::warn("library {} added, but not watched for changes: {}", added->path, e.what());
      }
    }

    boost::json::value scan_id = nullptr;
    std::string scan_error;
    try {
      scan_id = std::to_string(start_scan(s, *added, core::ScanTrigger::library_added, {}).id);
    } catch (const std::exception& e) {
      // The library is added either way; the page shows why no scan started.
      scan_error = e.what();
      spdlog::warn("library {} added, but no scan started: {}", added->path, scan_error);
    }
    auto body = s.store.read([&](store::Connection& c) { return library_row_json(s, hooks, c, *added); });
    body["scanId"] = std::move(scan_id);
    body["scanError"] = scan_error.empty() ? boost::json::value(nullptr) : boost::json::value(scan_error);
    return http::json_response(Status::created, body);
  }, http::Access::kAdmin);

  router.add(http::Verb::delete_, "/api/libraries/{id}",
             [s, hooks](const http::Request& request, const http::PathParams& params) {
               const core::LibraryId id = library_id_param(params);
               if (const auto active = active_scan_of(s.tracker, id)) return busy_response(*active);
               const auto library = s.store.read([&](store::Connection& c) { return c.libraries.get(id); });
               if (!library) throw http::HttpError(Status::not_found, "no library " + std::to_string(id));
               if (hooks.on_library_removed) hooks.on_library_removed(id);
               // The watcher may have started a scan of it between the check above and the
               // unwatch: then the library stays, watched again, and the answer is the same 409.
               if (const auto active = active_scan_of(s.tracker, id)) {
                 if (hooks.on_library_added) {
                   try {
                     hooks.on_library_added(*library);
                   } catch (const std::exception& e) {
                     spdlog::warn("library {} no longer watched: {}", library->path, e.what());
                   }
                 }
                 return busy_response(*active);
               }
               bool removed = false;
               s.store.write_sync([&](store::Connection& c) { removed = c.libraries.remove(id); });
               if (!removed) throw http::HttpError(Status::not_found, "no library " + std::to_string(id));
               // Its scans went with it: GET, cancel and subscribe of their ids find nothing.
               s.tracker.forget_finished_of(id);
               http::Response response{Status::no_content, request.version()};
               response.set(boost::beast::http::field::cache_control, "no-store");
               response.prepare_payload();
               return response;
             },
             http::Access::kAdmin);

  router.add(http::Verb::post, "/api/libraries/{id}/scan",
             [s](const http::Request& request, const http::PathParams& params) {
               const core::LibraryId id = library_id_param(params);
               const boost::json::object body = parse_body_object(request.body(), true);
               const core::ScanOptions options =
                   body.empty() ? core::ScanOptions{}
                                : core::ScanOptions::from_json(boost::json::serialize(body));
               const auto library = s.store.read([&](store::Connection& c) { return c.libraries.get(id); });
               if (!library) throw http::HttpError(Status::not_found, "no library " + std::to_string(id));
               const auto started = start_scan(s, *library, core::ScanTrigger::manual, options);
               return http::json_response(Status::accepted, {{"scanId", std::to_string(started.id)},
                                                             {"alreadyRunning", started.already_running}});
             },
             http::Access::kAdmin);
}

}  // namespace scanhub::api
