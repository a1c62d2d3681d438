#pragma once
// Discovery's walks and path rules, for the discover job (scan_service.hpp; foundation and
// issue 4: incremental scans of the watcher's directories, Kodi movie folders). Paths are
// '/'-separated and relative to the library root ("" = the root). Internal to the scan library.

#include "scan/walker.hpp"
#include "store/directory_store.hpp"
#include "store/scan_store.hpp"
#include "store/track_store.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace scanhub::scan::detail {

/// Checks and folds an incremental scan's directories: nested entries go into their ancestor.
/// Throws std::invalid_argument for absolute paths or "", "." or ".." components.
std::vector<std::string> fold_scope(std::vector<std::string> directories);

std::string join_path(const std::string& directory, const std::string& relative);
/// The directory holding `path` ("" for a file at the root).
std::string parent_directory(const std::string& path);
/// True when `path` lies strictly below one of `prefixes`.
bool under_prefix(const std::string& path, const std::vector<std::string>& prefixes);
/// True when `path` is one of `directories` or below one ("" holds everything).
bool in_scope(const std::string& path, const std::vector<std::string>& directories);

/// The discovery walk of an incremental scan: each directory's subtree, with paths relative to
/// the library root. A directory that is gone holds nothing; one that cannot be read is an error
/// whose stored tracks are kept. Links as `links` (the library's rule) says. Throws like
/// walk_library when the library root is unusable.
void walk_scope(const std::string& root, const std::vector<std::string>& directories,
                const std::atomic<bool>& cancelled, const WalkCallbacks& callbacks,
                const LinkRule& links);

/// A movie library's directories (Kodi: one movie per directory): the root's sub-directories,
/// not hidden, not under a `.scanignore`, names valid UTF-8 (others are `errors`); links
/// followed as `links` says, each one not followed counted in `links_skipped`. Throws
/// std::filesystem::filesystem_error when the root cannot be read.
std::vector<std::string> list_movie_directories(const std::string& root, const LinkRule& links,
                                                std::vector<store::ScanError>& errors,
                                                std::int64_t& links_skipped);

/// What a rescan found as its last complete scan left it: directories and their stored tracks.
struct Unchanged {
  std::int64_t directories = 0;
  std::int64_t tracks = 0;
  Unchanged& operator+=(const Unchanged& other) noexcept {
    directories += other.directories;
    tracks += other.tracks;
    return *this;
  }
};

/// Splits a music walk's `directories` (relative to `root`) into unchanged ones, counted with
/// their tracks in `index` (the library's stored tracks), and the rest, appended to `changed` in
/// order: a directory is unchanged when `fingerprints` holds one for it and
/// directory_fingerprint() computes the same now (scan/directory_fingerprint.hpp). Stops early,
/// treating what is left as changed, when `cancelled` is set.
Unchanged skip_unchanged(const std::string& root, const std::vector<std::string>& directories,
                         const store::TrackIndex& index, const store::FingerprintIndex& fingerprints,
                         std::vector<std::string>& changed, const std::atomic<bool>& cancelled);

}  // namespace scanhub::scan::detail
