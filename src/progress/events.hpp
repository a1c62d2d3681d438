#pragma once
// Canonical progress events: what happened to a scan, independent of any wire format. The hub
// adapters (src/hubs) and the CLI map them to their own events and payloads.

#include "core/scan.hpp"

#include <variant>

namespace scanhub::progress {

/// A scan was created (seed 000's status "Started"). Never coalesced.
struct ScanStarted {
  core::ScanSnapshot scan;
};
/// Counters or the current operation changed. Coalesced: at most one per scan per interval,
/// always carrying the newest snapshot.
struct ScanProgressed {
  core::ScanSnapshot scan;
};
/// The scan entered a new running phase (e.g. discovering -> scanning). Never coalesced.
struct ScanPhaseChanged {
  core::ScanSnapshot scan;
  core::ScanStatus from;
};
/// The scan ended: completed, failed or cancelled (see scan.status). Never coalesced; the last
/// event of a scan.
struct ScanFinished {
  core::ScanSnapshot scan;
};

using Event = std::variant<ScanStarted, ScanProgressed, ScanPhaseChanged, ScanFinished>;

/// The snapshot carried by any event.
const core::ScanSnapshot& scan_of(const Event& event) noexcept;

}  // namespace scanhub::progress
