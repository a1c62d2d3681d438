#pragma once
// Scans (seed 002's scan_jobs), their libraries and their errors. Not thread-safe: one instance
// per connection (see store/store.hpp).

#include "core/scan.hpp"
#include "lib/sqlite/statement.hpp"

#include <optional>
#include <string>
#include <vector>

namespace scanhub::store {

/// One per-file or per-directory failure of a scan.
struct ScanError {
  std::string path;    ///< relative to its library (UTF-8; invalid bytes shown as U+FFFD)
  std::string reason;  ///< one line a person can act on
};

class ScanStore {
 public:
  explicit ScanStore(sqlite::Database& db) : db_(db) {}

  /// Inserts a scan in `discovering` for `scan.libraries`, started at scan.times.started_at.
  /// Returns its id.
  core::ScanId create(const core::ScanSnapshot& scan);

  /// The persisted state of scan `id` (rates and ETA are not persisted); nullopt if none.
  std::optional<core::ScanSnapshot> get(core::ScanId id);
  /// Most recent first. `active_only`: scans whose status is not terminal.
  std::vector<core::ScanSnapshot> list(int limit, bool active_only = false);

  /// Adds `delta` to the counters and sets current_operation (and last_error when given), in
  /// one UPDATE: called in the same transaction as the work it counts, so counts are exact.
  /// Returns the row as the UPDATE left it, without its libraries (nullopt: no such scan).
  std::optional<core::ScanSnapshot> add_counters(core::ScanId id, const core::ScanCounters& delta,
                    const std::string& current_operation,
                    const std::optional<std::string>& last_error);
  /// Sets status and every timestamp and failure of `scan` (a phase change).
  void save_status(const core::ScanSnapshot& scan);

  /// Marks scans left running by a process that died as failed with `reason`; returns their
  /// ids. Called at start-up, before any scan starts.
  std::vector<core::ScanId> fail_interrupted(const std::string& reason, core::TimePoint now);

  void add_error(core::ScanId id, const ScanError& error, core::TimePoint now);
  /// Errors in the order they happened.
  std::vector<ScanError> errors(core::ScanId id, int limit, int offset = 0);

 private:
  std::vector<core::ScanLibrary> libraries_of(core::ScanId id);

  sqlite::Database& db_;
  std::optional<sqlite::Statement> add_counters_;
  std::optional<sqlite::Statement> add_error_;
  std::optional<sqlite::Statement> get_;
  std::optional<sqlite::Statement> libraries_of_;
};

}  // namespace scanhub::store
