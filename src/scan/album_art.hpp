#pragma once
// Albums and album art of a music directory (issue 4 "Music libraries: ... plus album art
// (cover.jpg, folder.jpg, embedded pictures) as assets"; seed 002 "Discover local assets ...
// For each asset found -> Emit 'cache-asset' job"). An album is the tracks of one directory (the
// folder convention of Jellyfin and Kodi). Its art:
//
//   cover.*, folder.*, front.*, album.*   kind cover   (.jpg, .jpeg or .png; names compared
//   back.*                                kind back     case-insensitively; Kodi, MPD and
//   disc.*, cd.*                          kind disc     Jellyfin read these names)
//   the first picture embedded in the directory's first track (by name) that has one, as
//   kind cover with source "embedded", only when no cover file exists. Of a track's pictures
//   the first front cover (ID3v2 picture type 3) is taken, else the first.
//
// The directory-scan job of a music directory calls scan_album_directory on its worker
// thread, and AlbumDirectoryResult::apply in its completion transaction, which also enqueues
// the returned cache-asset jobs and counts them as assets_queued (so a crash and a retry never
// count twice). A cache-asset job of an embedded picture calls cache_embedded_picture.

#include "core/job.hpp"
#include "core/movie.hpp"
#include "core/scan.hpp"
#include "media/read_limits.hpp"
#include "scan/asset_cache.hpp"
#include "scan/walker.hpp"
#include "store/album_store.hpp"
#include "store/store.hpp"

#include <cstddef>
#include <expected>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::scan {

/// The kind of album art a file name stands for (cover, back or disc), or nullopt.
std::optional<core::AssetKind> album_art_kind(std::string_view file_name) noexcept;

/// The album's title, album artist, year and track count from its tracks' tags: the most
/// common non-empty value of each (ties: the first in path order); the album artist falls back
/// to the artist, and is "Various Artists" when no track has an album artist tag and the
/// tracks' artists differ. library_id and directory are left to the caller.
store::Album summarize_album(std::span<const store::AlbumTrackTags> tracks);

/// What scan_album_directory found; apply() writes it.
struct AlbumDirectoryResult {
  core::LibraryId library_id = 0;
  std::string library_root;  ///< absolute
  std::string directory;     ///< relative to the library root ("" = the root)
  std::optional<store::StoredAlbum> stored;
  /// The art found (file art best first, then the embedded picture). Meaningful only when
  /// art_discovered (false with skipAssetDiscovery: stored art is left alone).
  std::vector<store::AlbumArt> art;
  bool art_discovered = false;
  /// No track changed and the art equals the stored art: apply() writes nothing.
  bool unchanged = false;
  /// Art files behind a symbolic link out of the library that the LinkRule does not follow:
  /// left out of `art`, and counted by the caller in the scan's symlinks_skipped.
  std::int64_t symlinks_skipped = 0;

  /// In the directory-scan job's completion transaction, after the directory's tracks are
  /// written: upserts the album from the stored tracks' tags (or deletes it when the
  /// directory holds no track), points the tracks at it, syncs its item_assets (rows of art
  /// no longer found are deleted; an unchanged file keeps its hash) and returns one
  /// cache-asset job (child of `job`, of scan `scan`) per art row without a hash, none when
  /// `caching` is off. May run more than once (a retried savepoint): it reads, never changes,
  /// this result. Throws sqlite::Error.
  std::vector<core::NewJob> apply(store::Connection& connection, core::ScanId scan,
                                  core::JobId job, bool caching, core::TimePoint now) const;
};

/// Finds the album art of `directory` (relative to `library_root`) whose audio files are
/// `audio_files` (names, sorted, as list_audio_files returns them). `stored` is the stored
/// album of the directory; `tracks_changed` says whether the directory scan inserts, updates
/// or removes a track. Embedded pictures are looked for only when no cover file exists and
/// tracks changed or nothing is stored (TagLib opens the tracks in order until one has a
/// picture); otherwise a stored embedded cover is kept as it is. An art file that is a symbolic
/// link `links` does not follow (walker.hpp) is not art: not stat'ed, listed nor cached, only
/// counted in symlinks_skipped. Each track is read within
/// `limits` (the per-file time budget and the job's stop token). Never throws for bad input
/// (an unreadable track simply has no picture); throws std::bad_alloc, and
/// media::ReadCancelled when `limits.stop` was requested.
AlbumDirectoryResult scan_album_directory(const std::string& library_root, core::LibraryId library,
                                          const std::string& directory,
                                          std::span<const std::string> audio_files,
                                          std::optional<store::StoredAlbum> stored,
                                          bool tracks_changed, const core::ScanOptions& options,
                                          const LinkRule& links,
                                          const media::ReadLimits& limits = {});

/// The cache-asset work of an embedded picture: reads the picture of the audio file at
/// `track` chosen by the rule above (TagLib, at cache time) and stores its bytes in `cache`
/// with the extension of its content (".jpg", ".png", else by its MIME type, else none).
/// A track that is gone, unreadable or without a picture now is an error with code
/// no_such_file_or_directory (retrying cannot help), as is one whose reading took longer than
/// `limits.time_budget`. Blocks on disk. Throws media::ReadCancelled when `limits.stop` was
/// requested.
std::expected<StoredAsset, crypto::FileError> cache_embedded_picture(
    AssetCache& cache, const std::filesystem::path& track, const media::ReadLimits& limits = {});

}  // namespace scanhub::scan
