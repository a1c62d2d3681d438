#include "hubs/scan_progress.hpp"

#include <algorithm>
#include <cmath>

namespace scanhub::hubs {

namespace {

// No unit costs less than this (seconds): keeps a phase measured in no time from weighing
// nothing, and every division defined.
constexpr double kMinCost = 1e-3;

// Running scans tracked at once; past it the oldest is forgotten (it then restarts from its
// estimate, which may show less). Scans run one at a time per library, so this is never met
// in practice.
constexpr std::size_t kMaxTracked = 1024;

double seconds(core::TimePoint from, core::TimePoint to) noexcept {
  return std::max(0.0, std::chrono::duration<double>(to - from).count());
}

double per_unit(double elapsed, std::int64_t units, double prior) noexcept {
  if (units <= 0) return std::max(prior, kMinCost);
  return std::max(elapsed / static_cast<double>(units), kMinCost);
}

bool expects_enrichment(const core::ScanSnapshot& scan, const ScanProgressModel& model) noexcept {
  return model.enrichment && scan.options.enable_enrichment && scan.options.enrichment_mode != "none";
}

}  // namespace

double scan_work_fraction(const core::ScanSnapshot& scan, core::TimePoint now,
                          const ScanProgressModel& model) noexcept {
  using core::ScanStatus;
  if (scan.status == ScanStatus::completed) return 1.0;
  if (scan.status == ScanStatus::discovering) return 0.0;
  const core::ScanCounters& c = scan.counters;
  const core::ScanTimes& t = scan.times;
  // An ended scan is measured up to its end, so its value stays put.
  const core::TimePoint end = core::is_terminal(scan.status) ? t.completed_at.value_or(now) : now;
  const core::TimePoint discovered = t.discovery_completed_at.value_or(t.started_at);
  const double discovery = seconds(t.started_at, discovered);
  const bool scanning = scan.status == ScanStatus::scanning;

  // Scanning: directories.
  const std::int64_t dirs_total = std::max<std::int64_t>(0, c.directories_total);
  const std::int64_t dirs_done = std::clamp<std::int64_t>(c.directories_scanned, 0, dirs_total);
  // Until a directory is done nothing says what the rest will take against the discovery:
  // nothing is shown yet (discovery's weight alone would make it nearly all).
  if (dirs_done == 0 && dirs_total > 0) return 0.0;
  const double scan_elapsed = seconds(discovered, t.scanning_completed_at.value_or(end));
  const double dir_cost = per_unit(scan_elapsed, dirs_done, kMinCost);
  // Counts still growing while directories are scanned are projected to the whole library.
  const double projection = scanning && dirs_done > 0
                                ? static_cast<double>(dirs_total) / static_cast<double>(dirs_done)
                                : 1.0;

  // Caching: assets, queued by the directory scans and cached beside them.
  const std::int64_t assets_done = std::max<std::int64_t>(0, c.assets_cached + c.assets_failed);
  const double assets_total =
      std::max(static_cast<double>(c.assets_queued) * projection, static_cast<double>(assets_done));
  const double asset_cost = per_unit(seconds(discovered, t.caching_completed_at.value_or(end)),
                                     assets_done, dir_cost * kPriorAssetCost);

  // Enriching: items queued once caching ends; skipped items cost nothing.
  const bool enrichment_known = scan.status == ScanStatus::enriching || t.caching_completed_at ||
                                c.enrichment_queued > 0;
  const std::int64_t items_done = std::max<std::int64_t>(0, c.enrichment_completed + c.enrichment_failed);
  double items_total = 0.0;
  if (enrichment_known) {
    items_total = static_cast<double>(std::max(c.enrichment_queued - c.enrichment_skipped, items_done));
  } else if (expects_enrichment(scan, model)) {
    items_total = static_cast<double>(c.tracks_found + c.movies_found) * projection;
  }
  const core::TimePoint enrich_start = t.caching_completed_at.value_or(t.scanning_completed_at.value_or(end));
  const double item_cost = scan.status == ScanStatus::enriching || core::is_terminal(scan.status)
                               ? per_unit(seconds(enrich_start, end), items_done, dir_cost * kPriorItemCost)
                               : dir_cost * kPriorItemCost;

  const double total = discovery + static_cast<double>(dirs_total) * dir_cost + assets_total * asset_cost +
                       items_total * item_cost;
  const double done = discovery + static_cast<double>(dirs_done) * dir_cost +
                      static_cast<double>(assets_done) * asset_cost + static_cast<double>(items_done) * item_cost;
  if (!(total > 0.0)) return 0.0;
  return std::clamp(done / total, 0.0, 1.0);
}

double ScanProgressMeter::advance(Anchor& anchor, double raw) noexcept {
  raw = std::clamp(raw, 0.0, 1.0);
  if (raw < anchor.previous) {
    // The estimate fell: start a new mapping here, from what is shown now.
    anchor.raw = raw;
    anchor.shown = anchor.last;
  }
  anchor.previous = raw;
  const double shown = anchor.raw >= 1.0
                           ? anchor.shown
                           : anchor.shown + (raw - anchor.raw) * (1.0 - anchor.shown) / (1.0 - anchor.raw);
  anchor.last = std::max(anchor.last, shown);
  return anchor.last;
}

int ScanProgressMeter::percent(const core::ScanSnapshot& scan, core::TimePoint now) {
  if (scan.status == core::ScanStatus::completed) {
    std::lock_guard lock(mutex_);
    anchors_.erase(scan.id);
    return 100;
  }
  const double raw = scan_work_fraction(scan, now, model_);
  double shown = raw;
  {
    std::lock_guard lock(mutex_);
    auto it = anchors_.find(scan.id);
    if (core::is_terminal(scan.status)) {
      // A failed or cancelled scan keeps the value it reached.
      if (it != anchors_.end()) {
        shown = std::max(it->second.last, raw);
        anchors_.erase(it);
      }
    } else {
      if (it == anchors_.end()) {
        if (anchors_.size() >= kMaxTracked) anchors_.erase(anchors_.begin());
        it = anchors_.emplace(scan.id, Anchor{}).first;
      }
      shown = advance(it->second, raw);
    }
  }
  return std::min(99, static_cast<int>(std::floor(shown * 100.0)));
}

std::size_t ScanProgressMeter::tracked_for_test() const {
  std::lock_guard lock(mutex_);
  return anchors_.size();
}

}  // namespace scanhub::hubs
