#pragma once
// Seed 000's ProgressHub at /hubs/progress, as an adapter over the progress core.
//
// Methods (names case-insensitive, as in ASP.NET Core; a scanId has at most hubs::kMaxIdLength
// bytes; a connection is in at most HubOptions::max_groups_per_connection groups, a subscribe
// past it completes with an error):
//   SubscribeToScan(scanId: string)      join group scan_{scanId}; the scan's current snapshot
//                                        (or, if it ended, its end events) is sent first
//   UnsubscribeFromScan(scanId: string)  leave the group
//   GetActiveScans() -> ScanProgressDto[]           (seed 001's reconnection support)
//   GetScanProgress(scanId: string) -> ScanProgressDto | null
// Events: ScanProgress, IndexingCompleted, EmbeddingProgress, EmbeddingCompleted, ScanCompleted,
// ScanFailed (see hubs/progress_payloads.hpp).
//
// Thread-safety: invoke() runs on connection strands; the bus listener on publishing threads.

#include "progress/tracker.hpp"
#include "signalr/hub.hpp"
#include "store/store.hpp"

namespace scanhub::hubs {

class ProgressHub : public signalr::Hub {
 public:
  static constexpr std::string_view kPath = "/hubs/progress";

  /// `store` answers for scans the tracker no longer holds (ended long ago or before a restart).
  ProgressHub(progress::ProgressTracker& tracker, store::Store& store);
  ~ProgressHub() override;
  ProgressHub(const ProgressHub&) = delete;
  ProgressHub& operator=(const ProgressHub&) = delete;

  /// Starts forwarding the tracker's events to `clients` (the context map_hub returned for this
  /// hub). Call once, before clients connect.
  void attach(signalr::HubContext& clients);
  /// Stops forwarding events; after it returns the context is not used again. Call before the
  /// HubHost that owns the context goes away while scans may still publish.
  void detach();

  void invoke(const signalr::CallerContext& caller, std::string_view target,
              const boost::json::array& arguments, signalr::Completion complete) override;

 private:
  std::optional<core::ScanSnapshot> find_scan(std::string_view scan_id);
  boost::json::value subscribe(const signalr::CallerContext& caller, const std::string& scan_id);

  signalr::HubContext* clients_ = nullptr;
  progress::ProgressTracker& tracker_;
  store::Store& store_;
  std::optional<progress::EventBus::ListenerId> listener_;
};

/// The "scanId" argument of `method` as a string (hubs::id_argument: at most kMaxIdLength
/// bytes); throws signalr::HubError otherwise. Seed clients pass strings; numbers are accepted
/// too, since our ids are numeric.
std::string scan_id_argument(const boost::json::array& arguments, std::string_view method);

}  // namespace scanhub::hubs
