#include "hubs/indexer_hub.hpp"

#include "hubs/hub_arguments.hpp"
#include "hubs/indexer_payloads.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <cassert>

namespace scanhub::hubs {

IndexerHub::IndexerHub(progress::ProgressTracker& tracker, store::Store& store,
                       scan::ScanService& scans)
    : tracker_(tracker), store_(store), scans_(scans) {}

IndexerHub::~IndexerHub() { detach(); }

void IndexerHub::attach(signalr::HubContext& clients) {
  clients_ = &clients;
  listener_ = tracker_.bus().subscribe([this](const progress::Event& event) {
    HubMessage m = indexer_hub_message(event);
    clients_->send_all(m.target, std::move(m.arguments), {m.conflation_key});
  });
}

void IndexerHub::detach() {
  if (listener_) tracker_.bus().unsubscribe(*listener_);
  listener_.reset();
}

boost::json::value IndexerHub::start_library_scan(const std::string& library_id) {
  std::optional<core::Library> library;
  if (const auto id = core::parse_id(library_id)) {
    library = store_.read([&](store::Connection& c) { return c.libraries.get(*id); });
  }
  if (!library) throw signalr::HubError("Library " + library_id + " not found.");
  if (library->type != core::LibraryType::music) {
    throw signalr::HubError("Library " + library_id + " is not a music library.");
  }
  try {
    const auto started = scans_.start({*library}, core::ScanTrigger::manual);
    spdlog::info("IndexerHub: scan {} of library {} ({})", started.id, library->id,
                 started.already_running ? "already running" : "started");
    return boost::json::value(std::to_string(started.id));
  } catch (const scan::ScanConflict& e) {
    throw signalr::HubError(e.what());
  }
}

void IndexerHub::invoke(const signalr::CallerContext& caller, std::string_view target,
                        const boost::json::array& arguments, signalr::Completion complete) {
  assert(clients_ && "IndexerHub::attach() must be called before clients connect");
  try {
    if (same_method(target, "GetActiveScans")) {
      expect_arity(arguments, 0, "GetActiveScans", "no arguments");
      boost::json::array scans;
      for (const auto& scan : tracker_.active()) scans.push_back(scan_job_progress(scan));
      return complete(std::move(scans));
    }
    if (same_method(target, "StartLibraryScan")) {
      // Starting scans is the admin's (issue 16's roles); worded as ASP.NET Core words a hub
      // method whose [Authorize(Roles = ...)] the caller fails.
      if (!caller.user.admin) {
        return complete(std::unexpected(
            std::string("Failed to invoke 'StartLibraryScan' because user is unauthorized")));
      }
      return complete(start_library_scan(id_argument(arguments, "StartLibraryScan", "libraryId")));
    }
    complete(std::unexpected(signalr::unknown_method_error(target)));
  } catch (const signalr::HubError& e) {
    complete(std::unexpected(std::string(e.what())));
  } catch (const std::exception& e) {
    spdlog::error("IndexerHub.{} failed: {}", target, e.what());
    complete(std::unexpected("Failed to invoke '" + std::string(target) +
                             "' due to an error on the server."));
  }
}

}  // namespace scanhub::hubs
