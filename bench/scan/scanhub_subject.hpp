#pragma once
// scanhub, the system under test: `scanhub scan LIBRARY --db DB --json` as a child process.
// A fresh database file makes a full scan; the same file again makes a no-change rescan.

#include "measurement.hpp"
#include "system_load.hpp"

#include <boost/json/object.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace scanhub::bench {

struct ScanhubOptions {
  std::filesystem::path binary;       ///< the scanhub executable
  std::filesystem::path library;      ///< the music library to scan
  std::filesystem::path runtime_dir;  ///< holds the database and the captured output
  int expected_tracks = 0;
  std::optional<int> workers;       ///< --workers; unset = scanhub's default (one per core)
  const QuietGate* gate = nullptr;  ///< waited on before each timed run; must outlive us
};

/// Checks a finished scan's counts as scanhub reports them (a ScanCompleted summary or a
/// GET /api/scans/{id} answer): `found_field` equals `expected_tracks`, errorsCount is 0, and
/// tracksNew/tracksUpdated/tracksRemoved are all-new for a full scan, all 0 for a rescan.
/// Returns the tracks found; throws VerificationError saying what differs.
int verify_scan_counts(const boost::json::object& scan, std::string_view found_field,
                       int expected_tracks, bool full);

class ScanhubSubject {
 public:
  explicit ScanhubSubject(ScanhubOptions options);

  /// Deletes the database (and its -wal/-shm/-journal files), then times one scan: wall time
  /// from spawn to wait4, peak RSS and CPU time from wait4. Throws VerificationError unless the
  /// scan exits 0 and its ScanCompleted summary says completed, `expected_tracks` indexed, all of
  /// them new, no errors; ProcessError when scanhub cannot be started.
  Measurement full_scan();

  /// Times a scan against the database full_scan() left. Throws VerificationError unless it
  /// completes with `expected_tracks` indexed and nothing new, updated or removed.
  Measurement rescan();

 private:
  enum class Kind { full, rescan };
  Measurement run(Kind kind);

  ScanhubOptions options_;
  std::filesystem::path database_;
};

}  // namespace scanhub::bench
