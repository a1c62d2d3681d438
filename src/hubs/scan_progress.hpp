#pragma once
// A scan's overall progress as one number that moves through all of its phases (seed 004's
// JobProgressUpdate.progress, 0-100; seed 002's phases discovering -> scanning -> caching ->
// enriching).
//
// Each phase is weighted by what it costs in time, learned from this scan (nothing is shown
// until the first directory is scanned: before it, nothing measures the rest):
//   work = discovery + directories x s + assets x a + enrichment items x e
// where discovery is its measured duration and s, a, e are seconds per unit measured from this
// scan's own rates (scanning: time since discovery ended / directories scanned; caching: cache
// jobs run beside the scan, so time since discovery ended / assets done; enriching: time since
// caching ended / items enriched; skipped items cost nothing). A unit whose cost is not
// measured yet takes a prior relative to the scanning cost (kPriorAssetCost, kPriorItemCost).
// Counts not known yet are projected: assets from those queued per directory scanned so far;
// enrichment items (queued only once caching ends) from the tracks and movies found, and only
// when the scan expects enrichment (ScanProgressModel::enrichment and the scan's options).
//
// An estimate can fall when a cost is learned or a count appears; ScanProgressMeter keeps what
// clients see from going backwards without stalling: after a fall it maps the rest of the
// estimate (from where it fell to 1) onto the rest of the bar (from what was shown to 100).
//
// Pure functions are thread-safe; ScanProgressMeter locks its own mutex (any thread).

#include "core/scan.hpp"

#include <map>
#include <mutex>

namespace scanhub::hubs {

/// What the server knows about every scan it runs.
struct ScanProgressModel {
  /// True when the server has an enricher (scans may have an enriching phase).
  bool enrichment = false;
};

/// Seconds of caching one asset, relative to scanning one directory, until measured.
inline constexpr double kPriorAssetCost = 0.5;
/// Seconds of enriching one item, relative to scanning one directory, until measured.
inline constexpr double kPriorItemCost = 1.0;

/// The estimated fraction of the scan's work done at `now`, in [0, 1]; 1 only when it
/// completed. A failed or cancelled scan keeps the fraction of its work it reached.
double scan_work_fraction(const core::ScanSnapshot& scan, core::TimePoint now,
                          const ScanProgressModel& model) noexcept;

/// Shown progress per scan: never decreases while the scan runs, at most 99 until it
/// completed, 100 when it did.
class ScanProgressMeter {
 public:
  explicit ScanProgressMeter(ScanProgressModel model = {}) : model_(model) {}

  /// The percentage to show for `scan` at `now` (0-100). Forgets the scan once it has ended.
  int percent(const core::ScanSnapshot& scan, core::TimePoint now);

  /// The same mapping, without the clock and the store of state: `raw` is the new estimate.
  struct Anchor {
    double raw = 0.0;    ///< the estimate where the mapping starts
    double shown = 0.0;  ///< what was shown there
    double last = 0.0;   ///< the most shown so far
    double previous = 0.0;  ///< the estimate last given
  };
  static double advance(Anchor& anchor, double raw) noexcept;

  std::size_t tracked_for_test() const;

 private:
  const ScanProgressModel model_;
  mutable std::mutex mutex_;
  std::map<core::ScanId, Anchor> anchors_;
};

}  // namespace scanhub::hubs
