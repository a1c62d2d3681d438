#pragma once
// A scan: seed 002's scan_jobs row, as the domain sees it. Statuses, triggers, counters,
// options, timestamps per phase, and the rules between them. No I/O.
//
// Sources: seed 002 (phases discovering -> scanning -> caching -> enriching -> completed, or
// failed / cancelled; the scan_jobs counters; ScanOptions), seed 001 (ScanTrigger).

#include "core/ids.hpp"
#include "core/time.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::core {

/// Seed 002's scan_jobs.status. The first four are phases of a running scan, in order.
enum class ScanStatus { discovering, scanning, caching, enriching, completed, failed, cancelled };

/// "discovering", "scanning", ... exactly as seed 002 spells them.
std::string_view to_string(ScanStatus status) noexcept;
std::optional<ScanStatus> parse_scan_status(std::string_view text) noexcept;
/// completed, failed and cancelled: nothing runs any more.
bool is_terminal(ScanStatus status) noexcept;
/// True when a scan may move from `from` to `to`: forward through the phases (skipping phases
/// without work), or from any running phase to a terminal status.
bool is_valid_transition(ScanStatus from, ScanStatus to) noexcept;

/// Seed 001's ScanTrigger.
enum class ScanTrigger { manual, file_system_event, library_added };
std::string_view to_string(ScanTrigger trigger) noexcept;  ///< "manual", "file-system-event", ...
std::optional<ScanTrigger> parse_scan_trigger(std::string_view text) noexcept;

/// Seed 002's ScanOptions; stored as JSON with the scan. Defaults as the seed gives them.
struct ScanOptions {
  bool enable_caching = true;
  bool enable_enrichment = true;
  bool skip_asset_discovery = false;
  bool skip_ffprobe = false;
  std::optional<std::int64_t> max_directories;  ///< scan at most N directories (testing)
  std::string enrichment_mode = "full";         ///< "none" | "metadata-only" | "full"

  /// {"enableCaching":true,...} (camelCase, as the seed's TypeScript interface).
  std::string to_json() const;
  /// Parses what to_json prints; unknown keys ignored; throws std::invalid_argument with the
  /// offending field for wrong types or an unknown enrichmentMode.
  static ScanOptions from_json(std::string_view json);
};

/// Seed 002's scan_jobs counters (plus tracks_* for music, which the seed spells movies_*).
/// All are counts of items; none ever decreases while a scan runs.
struct ScanCounters {
  std::int64_t directories_total = 0;
  std::int64_t directories_queued = 0;
  std::int64_t directories_scanned = 0;
  std::int64_t tracks_found = 0;    ///< audio files read or confirmed unchanged
  std::int64_t tracks_new = 0;
  std::int64_t tracks_updated = 0;
  std::int64_t tracks_removed = 0;  ///< tracks whose files are gone
  std::int64_t movies_found = 0;
  std::int64_t movies_new = 0;
  std::int64_t movies_updated = 0;
  std::int64_t assets_queued = 0;
  std::int64_t assets_cached = 0;
  std::int64_t enrichment_queued = 0;
  std::int64_t enrichment_completed = 0;
  std::int64_t errors_count = 0;
  /// Units of work that ended without their result (migration 4): a cache-asset job that
  /// failed for good, an enrichment job that failed for good or an item its enricher skipped
  /// (e.g. a track shorter than the embedding model's minimum). A phase ends when
  /// done + failed (+ skipped) reaches queued.
  std::int64_t assets_failed = 0;
  std::int64_t enrichment_skipped = 0;
  std::int64_t enrichment_failed = 0;
  /// Symbolic links out of the library not followed (by the walk, among a movie folder's files,
  /// as album art) because its follow_symlinks is off (migration 9; scan/walker.hpp LinkRule).
  std::int64_t symlinks_skipped = 0;

  ScanCounters& operator+=(const ScanCounters& delta) noexcept;
  bool operator==(const ScanCounters&) const = default;
};

/// When each phase ended (seed 002's timing columns).
struct ScanTimes {
  TimePoint started_at{};
  std::optional<TimePoint> discovery_completed_at;
  std::optional<TimePoint> scanning_completed_at;
  std::optional<TimePoint> caching_completed_at;
  std::optional<TimePoint> completed_at;  ///< also set for failed and cancelled scans
};

/// One library taking part in a scan.
struct ScanLibrary {
  LibraryId id = 0;
  std::string path;
};

/// Everything known about one scan at one moment: what the tracker holds, the store persists
/// and the hubs render.
struct ScanSnapshot {
  ScanId id = 0;
  std::vector<ScanLibrary> libraries;
  ScanTrigger trigger = ScanTrigger::manual;
  ScanStatus status = ScanStatus::discovering;
  ScanCounters counters;
  ScanTimes times;
  ScanOptions options;
  std::string current_operation;   ///< e.g. "Scanning Björk/Homogenic"
  std::string current_directory;   ///< relative to its library; empty outside the walk
  std::optional<LibraryId> current_library_id;
  std::optional<std::string> last_error;
  std::optional<std::string> failure;  ///< why the scan failed (status failed only)
  /// Estimated time until the current phase ends, from its measured rate; none when unknown.
  std::optional<std::chrono::milliseconds> estimated_time_remaining;
  /// Measured rate of the current phase in its own units per second (directories per second
  /// while scanning); 0 when unknown.
  double rate_per_second = 0.0;
  /// Enrichment jobs of this scan running in this process when the snapshot was published
  /// (seed 000's EmbeddingsInProgress); live only, not stored.
  std::int64_t enrichment_in_progress = 0;
};

/// Work done and work known in the current phase: (done, total), e.g. directories scanned of
/// directories_total while scanning. total is 0 when unknown (discovering).
struct PhaseProgress {
  std::int64_t done = 0;
  std::int64_t total = 0;
};
PhaseProgress phase_progress(const ScanSnapshot& scan) noexcept;

/// When the current phase started (started_at for discovering, discovery_completed_at for
/// scanning, ...).
TimePoint phase_started_at(const ScanSnapshot& scan) noexcept;

/// Fills rate_per_second and estimated_time_remaining from the phase's progress and how long
/// it has run at `now`. The ETA needs at least one finished unit and 200 ms of history. While
/// enriching, the rate counts completed items only (seed 000's EstimatedTimeRemaining: elapsed
/// / EmbeddingsCompleted x the items left), as skips cost next to nothing.
void update_rate_and_eta(ScanSnapshot& scan, TimePoint now) noexcept;

}  // namespace scanhub::core
