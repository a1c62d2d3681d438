#include "hubs/progress_hub.hpp"

#include "hubs/hub_arguments.hpp"
#include "hubs/progress_payloads.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <cassert>

namespace scanhub::hubs {

namespace {

void send(signalr::HubContext& clients, std::string_view connection_id, const HubMessage& m) {
  clients.send_connection(connection_id, m.target, m.arguments, {m.conflation_key});
}

}  // namespace

std::string scan_id_argument(const boost::json::array& arguments, std::string_view method) {
  return id_argument(arguments, method, "scanId");
}

ProgressHub::ProgressHub(progress::ProgressTracker& tracker, store::Store& store)
    : tracker_(tracker), store_(store) {}

void ProgressHub::attach(signalr::HubContext& clients) {
  clients_ = &clients;
  listener_ = tracker_.bus().subscribe([this](const progress::Event& event) {
    const std::string group = scan_group(std::to_string(progress::scan_of(event).id));
    for (const HubMessage& m : progress_hub_messages(event)) {
      clients_->send_group(group, m.target, m.arguments, {m.conflation_key});
    }
  });
}

void ProgressHub::detach() {
  if (listener_) tracker_.bus().unsubscribe(*listener_);
  listener_.reset();
}

ProgressHub::~ProgressHub() { detach(); }

std::optional<core::ScanSnapshot> ProgressHub::find_scan(std::string_view scan_id) {
  const auto id = core::parse_id(scan_id);
  if (!id) return std::nullopt;
  if (auto scan = tracker_.snapshot(*id)) return scan;
  return store_.read([&](store::Connection& c) { return c.scans.get(*id); });
}

boost::json::value ProgressHub::subscribe(const signalr::CallerContext& caller,
                                          const std::string& scan_id) {
  const auto id = core::parse_id(scan_id);
  if (!id) {
    // Seed 000 joins any group name; a scan with such an id can never exist here.
    clients_->add_to_group(caller.connection_id, scan_group(scan_id));
    return nullptr;
  }
  bool sent = false;
  // Snapshot and group join under the bus lock: no event can fall between them, and none can
  // arrive before the snapshot (counts never go backwards).
  tracker_.with_snapshot(*id, [&](const std::optional<core::ScanSnapshot>& scan) {
    clients_->add_to_group(caller.connection_id, scan_group(scan_id));
    if (!scan) return;
    for (const auto& m : progress_hub_snapshot(*scan)) send(*clients_, caller.connection_id, m);
    sent = true;
  });
  if (!sent) {
    // Not tracked any more: a scan that ended long ago or before a restart.
    const auto stored = store_.read([&](store::Connection& c) { return c.scans.get(*id); });
    if (stored && core::is_terminal(stored->status)) {
      for (const auto& m : progress_hub_snapshot(*stored)) send(*clients_, caller.connection_id, m);
    }
  }
  return nullptr;
}

void ProgressHub::invoke(const signalr::CallerContext& caller, std::string_view target,
                         const boost::json::array& arguments, signalr::Completion complete) {
  assert(clients_ && "ProgressHub::attach() must be called before clients connect");
  try {
    if (same_method(target, "SubscribeToScan")) {
      return complete(subscribe(caller, scan_id_argument(arguments, "SubscribeToScan")));
    }
    if (same_method(target, "UnsubscribeFromScan")) {
      const std::string scan_id = scan_id_argument(arguments, "UnsubscribeFromScan");
      clients_->remove_from_group(caller.connection_id, scan_group(scan_id));
      return complete(nullptr);
    }
    if (same_method(target, "GetActiveScans")) {
      expect_arity(arguments, 0, "GetActiveScans", "no arguments");
      boost::json::array scans;
      for (const auto& scan : tracker_.active()) scans.push_back(scan_progress_dto(scan, "InProgress"));
      return complete(std::move(scans));
    }
    if (same_method(target, "GetScanProgress")) {
      const auto scan = find_scan(scan_id_argument(arguments, "GetScanProgress"));
      if (!scan) return complete(nullptr);
      const std::string_view status =
          !core::is_terminal(scan->status)                   ? "InProgress"
          : scan->status == core::ScanStatus::completed ? "Completed"
                                                             : "Failed";
      return complete(scan_progress_dto(*scan, status));
    }
    complete(std::unexpected("Failed to invoke '" + std::string(target) +
                             "' due to an error on the server. HubException: Method does not exist."));
  } catch (const signalr::HubError& e) {
    complete(std::unexpected(std::string(e.what())));
  } catch (const std::exception& e) {
    spdlog::error("ProgressHub.{} failed: {}", target, e.what());
    complete(std::unexpected("Failed to invoke '" + std::string(target) +
                             "' due to an error on the server."));
  }
}

}  // namespace scanhub::hubs
