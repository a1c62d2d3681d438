#pragma once
// The scanning phase's unit of work for a music library: one directory. Stats each listed
// entry, skips files whose size and mtime match the stored track (incremental rescan), reads
// tags of new and changed files, and reports per-file errors. Pure with respect to the
// database: the caller commits the result (one transaction with the scan's counters).
//
// Runs on a worker thread, many directories in parallel.

#include "core/track.hpp"
#include "media/tag_reader.hpp"
#include "scan/walker.hpp"
#include "store/scan_store.hpp"
#include "store/track_store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace scanhub::scan {

struct DirectoryResult {
  std::vector<core::Track> inserts;  ///< new tracks (id 0)
  std::vector<core::Track> updates;  ///< changed tracks (stored id)
  /// Stored tracks confirmed present: unchanged, updated, or kept because reading failed
  /// (bad input loses nothing; only a file that is gone removes its track).
  std::vector<core::TrackId> seen;
  std::int64_t unchanged = 0;
  std::vector<store::ScanError> errors;

  std::int64_t tracks_found() const noexcept {
    return unchanged + static_cast<std::int64_t>(inserts.size() + updates.size());
  }
};

/// Scans `work` in the library rooted at `root`. `index` is the library's stored tracks (read
/// only here). Each file is read within `limits` (the per-file time budget and the job's stop
/// token): a file over the budget is an error with budget_exceeded_reason, its stored track
/// kept. Never throws for bad input: every problem becomes an entry in `errors`. Throws
/// media::ReadCancelled when `limits.stop` is requested (between files or inside a read): the
/// result would be incomplete, so there is none.
DirectoryResult scan_music_directory(const std::string& root, core::LibraryId library,
                                     const DirectoryWork& work, const store::TrackIndex& index,
                                     const media::TagReader& reader,
                                     const media::ReadLimits& limits);

}  // namespace scanhub::scan
