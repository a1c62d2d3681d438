#pragma once
// The albums table (schema migration 6) and what a music directory scan needs to keep it:
// issue 4 "Music libraries: ... plus album art (cover.jpg, folder.jpg, embedded pictures) as
// assets". An album is the tracks of one directory (the folder convention of Jellyfin and
// Kodi), keyed by (library, directory); its art lives in item_assets with owner_kind 'album'
// (AssetStore::sync_owner writes the rows, set_sources marks the embedded ones). Deleting an
// album deletes its item_assets (trigger); deleting its last track deletes the album (trigger).
// Not thread-safe: one instance per connection (see store/store.hpp). Throws sqlite::Error.

#include "core/ids.hpp"
#include "core/movie.hpp"
#include "core/time.hpp"
#include "lib/sqlite/statement.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scanhub::store {

using AlbumId = std::int64_t;

/// One album: the tracks directly in one directory of a music library.
struct Album {
  AlbumId id = 0;  ///< 0 until stored
  core::LibraryId library_id = 0;
  std::string directory;  ///< relative to the library root, '/'-separated; "" is the root
  std::optional<std::string> title;         ///< most common ALBUM tag of its tracks
  std::optional<std::string> album_artist;  ///< most common album artist (see scan/album_art.hpp)
  std::optional<std::int64_t> year;         ///< most common year
  std::int64_t track_count = 0;

  bool operator==(const Album&) const = default;
};

/// Where an asset's bytes come from (item_assets.source).
enum class AssetSource {
  file,      ///< source_path is the image file
  embedded,  ///< source_path is an audio file; the picture is inside it (ID3v2 APIC, ...)
};

/// One piece of an album's art: an item asset (kind cover, back or disc) and its source.
struct AlbumArt {
  core::ItemAsset asset;
  AssetSource source = AssetSource::file;

  bool operator==(const AlbumArt&) const = default;
};

/// A stored album and its art rows ordered by source_path (cache_path filled when cached).
struct StoredAlbum {
  Album album;
  std::vector<AlbumArt> art;
};

/// The tags of one track that make up its album.
struct AlbumTrackTags {
  std::optional<std::string> album;
  std::optional<std::string> artist;
  std::optional<std::string> album_artist;
  std::optional<std::int64_t> year;
};

class AlbumStore {
 public:
  explicit AlbumStore(sqlite::Database& db) : db_(db) {}

  /// The album of `directory` in `library` with its art, if stored.
  std::optional<StoredAlbum> find(core::LibraryId library, const std::string& directory);
  std::optional<StoredAlbum> get(AlbumId id);
  /// Every album of `library` ordered by directory (without art).
  std::vector<Album> list(core::LibraryId library);

  /// Tags of the stored tracks directly in `directory` (not below it), ordered by path.
  std::vector<AlbumTrackTags> directory_tracks(core::LibraryId library, const std::string& directory);

  /// Inserts the album or updates the one of its (library, directory); returns its id. The
  /// row is rewritten only when a field differs.
  AlbumId upsert(const Album& album, core::TimePoint now);
  /// Points the tracks directly in the album's directory at it (only rows that differ).
  void assign_tracks(const Album& album);
  /// Tracks directly in `directory` that have no album yet join the directory's stored album,
  /// if there is one. A directory-scan commit calls it after inserting new tracks and before
  /// removing gone ones: the delete trigger drops an album left without tracks, so an album
  /// whose every file was renamed would otherwise come back with a new id (and its art rows
  /// and cached art links gone with the old one).
  void adopt_new_tracks(core::LibraryId library, const std::string& directory);
  /// Deletes the album of `directory` (its art rows go with it); false when there was none.
  bool remove(core::LibraryId library, const std::string& directory);

  /// Sets item_assets.source of each art row (by asset id) where it differs.
  void set_sources(const std::vector<AlbumArt>& art);

 private:
  std::vector<AlbumArt> art_of(AlbumId id);

  sqlite::Database& db_;
  std::optional<sqlite::Statement> find_;
  std::optional<sqlite::Statement> tracks_;
  std::optional<sqlite::Statement> root_tracks_;
  std::optional<sqlite::Statement> upsert_;
  std::optional<sqlite::Statement> assign_;
  std::optional<sqlite::Statement> assign_root_;
  std::optional<sqlite::Statement> adopt_;
  std::optional<sqlite::Statement> adopt_root_;
  std::optional<sqlite::Statement> art_;
};

/// "file", "embedded".
std::string_view to_string(AssetSource source) noexcept;

}  // namespace scanhub::store
