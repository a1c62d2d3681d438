#pragma once
// The scanning phase's unit of work for a movie library: one movie directory (seed 002
// "Phase 2: Directory Scanning" and the `directory-scan` job; issue 4 "Movie libraries (Kodi
// conventions)"). It finds the main video (media/movie_files.hpp), reads the .nfo
// (media/nfo.hpp) and the stream details (media/video_probe.hpp), lists the local assets, and
// returns everything as a value: nothing touches the database until apply(), which writes it in
// one call, so a directory-scan job can commit it with its completion (seed 002: counters and
// results in one transaction, never counted twice).
//
// Incremental: a directory whose main video (same path, size and mtime), .nfo (same path and
// mtime) and asset files (same paths, sizes and mtimes) equal the stored movie's is not read
// again (no nfo parse, no probe); it counts as found only. Any difference re-reads it whole, as
// does a scan that probes a movie stored without streams (by a scan with skipFFprobe).
//
// Thread-safety: scan_movie_directory and cache_movie_assets run on worker threads, many
// directories at once; each result belongs to one thread at a time.

#include "core/movie.hpp"
#include "core/scan.hpp"
#include "core/time.hpp"
#include "lib/av/format_context.hpp"
#include "scan/asset_cache.hpp"
#include "scan/walker.hpp"
#include "store/movie_store.hpp"
#include "store/store.hpp"

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::scan {

/// Why part of a movie directory could not be used. The names are make-library's manifest
/// error kinds (tools/make-library/README.md "Movie manifest") plus unreadable and cache-failed.
enum class MovieErrorKind {
  broken_nfo,    ///< the .nfo is not a readable <movie> document; the movie is still found
  not_video,     ///< the main video is not one libavformat can read; no movie
  zero_byte,     ///< the main video is empty; no movie
  no_video,      ///< the directory holds no video file; not a movie, its files are not assets
  unreadable,    ///< the directory or a file could not be listed or stat'ed
  cache_failed,  ///< an asset could not be hashed or copied into the cache
};

/// "broken-nfo", "not-video", "zero-byte", "no-video", "unreadable", "cache-failed".
std::string_view to_string(MovieErrorKind kind) noexcept;

/// Thrown by scan_movie_directory when the scan's cancellation flag cut its work short; the
/// result would be incomplete, so there is none (a job attempt ends without completing).
class ScanCancelled : public std::runtime_error {
 public:
  explicit ScanCancelled(const std::string& directory)
      : std::runtime_error("scan cancelled while reading " + directory) {}
};

struct MovieScanError {
  std::string path;  ///< relative to the library root (the directory itself for no-video)
  MovieErrorKind kind = MovieErrorKind::unreadable;
  std::string reason;  ///< one line a person can act on
};

/// What one directory scan found and what apply() writes.
struct MovieDirectoryResult {
  std::filesystem::path library_root;
  core::LibraryId library_id = 0;
  std::string directory;  ///< relative to the library root

  /// The movie to insert (id 0) or update (stored id); none when the directory is no movie,
  /// when it is unchanged, or when its video could not be read (a stored movie is then kept).
  std::optional<core::Movie> movie;
  /// True when the stored movie was confirmed unchanged (nothing to write).
  bool unchanged = false;
  /// The probe was skipped (skipFFprobe) and the video is the stored one: apply() keeps the
  /// stored stream details instead of clearing them.
  bool keep_stored_streams = false;
  /// A stored movie whose directory no longer holds a video: apply() deletes it.
  std::optional<core::MovieId> removed_movie;

  /// The movie's local assets (poster, fanart, ..., trailers, subtitle files), sha256 unset
  /// until cached. Meaningful only when `assets_discovered` (false with skipAssetDiscovery:
  /// apply() then leaves stored assets alone).
  std::vector<core::ItemAsset> assets;
  bool assets_discovered = false;
  /// Contents cache_movie_assets stored, for apply() to record in the assets table.
  std::vector<store::AssetContent> cached_contents;

  std::vector<MovieScanError> errors;

  /// False when the scan does not cache (enableCaching off): apply() then counts no asset as
  /// queued.
  bool queue_assets = true;

  /// Increments for the scan (seed 002 scan_jobs): directories_scanned 1, movies_found,
  /// movies_new, movies_updated, assets_cached (by cache_movie_assets), errors_count,
  /// symlinks_skipped (links out of the library not followed).
  /// assets_queued is settled by apply(): the assets that still need caching after it.
  core::ScanCounters counters;

  /// Writes the result on `connection` (the caller owns the transaction: put it in the job's
  /// completion transaction): deletes a removed movie, inserts or updates the movie, syncs its
  /// item_assets (cached contents recorded in `assets`), and, when `scan` is given, adds the
  /// errors to scan_errors (reason "<kind>: <reason>") and the counters to the scan. Fills the
  /// movie id, asset ids and the sha256 of assets already cached before, and sets
  /// counters.assets_queued. Call once per result. Throws sqlite::Error.
  void apply(store::Connection& connection, std::optional<core::ScanId> scan, core::TimePoint now);
};

/// Scans `directory` (relative to `library_root`, '/'-separated) of movie library `library`.
/// `stored` is the stored movie of that directory, if any (MovieStore::find_indexed or a
/// load_index entry). Honours options.skip_ffprobe (no probe: streams absent, or kept from the
/// stored movie when its video is unchanged; an unreadable video is not noticed) and
/// options.skip_asset_discovery (stored assets are left alone). A file of the directory reached
/// through a symbolic link that `links` does not follow (walker.hpp: out of the library, and
/// the library does not follow symlinks) is not the movie's: not read, probed, listed as an
/// asset nor cached; each such link the directory would have used (video, .nfo, asset, trailer,
/// subtitle) counts in counters.symlinks_skipped. `limits` bound the probe: its
/// time limit is the per-file time budget (a probe over it is a not-video error with the
/// reason), its stop token the job's. Never throws for bad input: every problem is an entry in
/// `errors`; throws ScanCancelled when `limits.stop` stopped the probe, and std::bad_alloc.
MovieDirectoryResult scan_movie_directory(const std::filesystem::path& library_root,
                                          core::LibraryId library, const std::string& directory,
                                          const store::IndexedMovie* stored,
                                          const core::ScanOptions& options,
                                          const LinkRule& links,
                                          const av::ProbeLimits& limits = {});

/// The inline form of seed 002's cache-asset jobs for one result: stores every asset of
/// `result` without a sha256 in `cache` (hash, copy, dedup), fills sha256 and cache_path, and
/// adds assets_cached; a failure becomes a cache-failed error (the asset stays uncached).
/// Call before apply(). Blocks on disk.
void cache_movie_assets(MovieDirectoryResult& result, AssetCache& cache);

/// What the assets table records for a file stored by AssetCache (size, cache path, MIME type
/// and extension): what a cache-asset job passes to AssetStore::set_cached.
store::AssetContent asset_content(const StoredAsset& stored);

}  // namespace scanhub::scan
