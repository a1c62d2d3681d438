#pragma once
// Seed 001's IndexerHub at /hubs/indexer, as an adapter over the progress core and the
// ScanService.
//
// Methods (names case-insensitive, as in ASP.NET Core):
//   GetActiveScans() -> ScanJobProgress[]    scans still running, oldest first (seed 001's
//                                            reconnection support; ended scans are not listed)
//   StartLibraryScan(libraryId) -> string    starts a manual scan of that music library and
//                                            returns its requestId (the scan id), or the id of
//                                            the scan of exactly that library already running.
//                                            Seed 001's method returns nothing (Task); seed
//                                            clients ignore the result, and others need the id
//                                            to match ScanProgress messages.
//                                            Error completions: unknown library (also any id
//                                            that is not a positive integer; seed 001 used
//                                            GUIDs), a movie library, a library being scanned
//                                            by a scan of several libraries (ScanConflict).
// Event ScanProgress to every connection of the hub (seed 001's Clients.All), for every
// canonical event of every scan; progress is coalesced per scan (hubs/indexer_payloads.hpp).
//
// Thread-safety: invoke() runs on connection strands and may block briefly on the database
// (StartLibraryScan writes the scan row, as POST /api/library/scan does); the bus listener runs
// on publishing threads. Source: seed 001, "Create IndexerHub (SignalR)".

#include "progress/tracker.hpp"
#include "scan/scan_service.hpp"
#include "signalr/hub.hpp"
#include "store/store.hpp"

#include <optional>
#include <string_view>

namespace scanhub::hubs {

class IndexerHub : public signalr::Hub {
 public:
  static constexpr std::string_view kPath = "/hubs/indexer";

  IndexerHub(progress::ProgressTracker& tracker, store::Store& store, scan::ScanService& scans);
  ~IndexerHub() override;
  IndexerHub(const IndexerHub&) = delete;
  IndexerHub& operator=(const IndexerHub&) = delete;

  /// Starts forwarding the tracker's events to `clients` (the context map_hub returned for this
  /// hub). Call once, before clients connect.
  void attach(signalr::HubContext& clients);
  /// Stops forwarding events; after it returns the context is not used again.
  void detach();

  void invoke(const signalr::CallerContext& caller, std::string_view target,
              const boost::json::array& arguments, signalr::Completion complete) override;

 private:
  boost::json::value start_library_scan(const std::string& library_id);

  signalr::HubContext* clients_ = nullptr;
  progress::ProgressTracker& tracker_;
  store::Store& store_;
  scan::ScanService& scans_;
  std::optional<progress::EventBus::ListenerId> listener_;
};

}  // namespace scanhub::hubs
