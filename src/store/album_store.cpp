#include "store/album_store.hpp"

#include "lib/sqlite/error.hpp"

#include <sqlite3.h>

#include <utility>

namespace scanhub::store {

namespace {

constexpr const char* kSelectAlbum =
    "SELECT id, library_id, directory, title, album_artist, year, track_count FROM albums ";

// The tracks directly in directory ?2 of library ?1: '0' is the byte after '/', so
// [dir/, dir0) is everything below dir in BINARY order (TrackStore's directory index range).
constexpr const char* kInDirectory =
    "library_id = ?1 AND path >= ?2 || '/' AND path < ?2 || '0' "
    "AND instr(substr(path, length(?2) + 2), '/') = 0";
constexpr const char* kInRoot = "library_id = ?1 AND instr(path, '/') = 0";

Album read_album(const sqlite::Statement& s) {
  Album album;
  album.id = s.column_int64(0);
  album.library_id = s.column_int64(1);
  album.directory = s.column_string(2);
  album.title = s.column_optional_string(3);
  album.album_artist = s.column_optional_string(4);
  album.year = s.column_optional_int64(5);
  album.track_count = s.column_int64(6);
  return album;
}

void run(sqlite::Statement& s) {
  while (s.step()) {
  }
}

}  // namespace

std::string_view to_string(AssetSource source) noexcept {
  return source == AssetSource::embedded ? "embedded" : "file";
}

std::vector<AlbumArt> AlbumStore::art_of(AlbumId id) {
  if (!art_) {
    art_.emplace(db_,
                 "SELECT i.id, i.kind, i.source_path, i.size, i.mtime_ns, i.sha256, a.cache_path, "
                 "i.source FROM item_assets i LEFT JOIN assets a ON a.sha256 = i.sha256 "
                 "WHERE i.owner_kind = 'album' AND i.owner_id = ? ORDER BY i.source_path");
  }
  sqlite::Statement::Scope scope(*art_);
  art_->bind(1, id);
  std::vector<AlbumArt> art;
  while (art_->step()) {
    AlbumArt piece;
    piece.asset.id = art_->column_int64(0);
    piece.asset.owner_kind = core::AssetOwnerKind::album;
    piece.asset.owner_id = id;
    // The CHECK constraint admits only kinds parse_asset_kind knows.
    piece.asset.kind = core::parse_asset_kind(art_->column_text(1)).value_or(core::AssetKind::cover);
    piece.asset.source_path = art_->column_string(2);
    piece.asset.stamp = {art_->column_int64(3), art_->column_int64(4)};
    piece.asset.sha256 = art_->column_optional_string(5);
    piece.asset.cache_path = art_->column_optional_string(6);
    piece.source = art_->column_text(7) == "embedded" ? AssetSource::embedded : AssetSource::file;
    art.push_back(std::move(piece));
  }
  return art;
}

std::optional<StoredAlbum> AlbumStore::find(core::LibraryId library, const std::string& directory) {
  if (!find_) {
    find_.emplace(db_, std::string(kSelectAlbum) + "WHERE library_id = ? AND directory = ?");
  }
  std::optional<StoredAlbum> found;
  {
    sqlite::Statement::Scope scope(*find_);
    find_->bind(1, library).bind(2, directory);
    if (!find_->step()) return std::nullopt;
    found.emplace();
    found->album = read_album(*find_);
  }
  found->art = art_of(found->album.id);
  return found;
}

std::optional<StoredAlbum> AlbumStore::get(AlbumId id) {
  sqlite::Statement s(db_, std::string(kSelectAlbum) + "WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  StoredAlbum found{read_album(s), {}};
  found.art = art_of(id);
  return found;
}

std::vector<Album> AlbumStore::list(core::LibraryId library) {
  sqlite::Statement s(db_, std::string(kSelectAlbum) + "WHERE library_id = ? ORDER BY directory");
  s.bind(1, library);
  std::vector<Album> albums;
  while (s.step()) albums.push_back(read_album(s));
  return albums;
}

std::vector<AlbumTrackTags> AlbumStore::directory_tracks(core::LibraryId library,
                                                         const std::string& directory) {
  auto& statement = directory.empty() ? root_tracks_ : tracks_;
  if (!statement) {
    statement.emplace(db_, std::string("SELECT album, artist, album_artist, year FROM tracks WHERE ") +
                               (directory.empty() ? kInRoot : kInDirectory) + " ORDER BY path");
  }
  sqlite::Statement::Scope scope(*statement);
  statement->bind(1, library);
  if (!directory.empty()) statement->bind(2, directory);
  std::vector<AlbumTrackTags> tracks;
  while (statement->step()) {
    tracks.push_back({statement->column_optional_string(0), statement->column_optional_string(1),
                      statement->column_optional_string(2), statement->column_optional_int64(3)});
  }
  return tracks;
}

AlbumId AlbumStore::upsert(const Album& album, core::TimePoint now) {
  if (!upsert_) {
    // DO UPDATE ... WHERE skips identical rows (a rescan rewrites nothing); RETURNING then
    // yields no row, and the id is read instead.
    upsert_.emplace(
        db_,
        "INSERT INTO albums (library_id, directory, title, album_artist, year, track_count, "
        "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) "
        "ON CONFLICT (library_id, directory) DO UPDATE SET title = excluded.title, "
        "album_artist = excluded.album_artist, year = excluded.year, "
        "track_count = excluded.track_count, updated_at = excluded.updated_at "
        "WHERE albums.title IS NOT excluded.title OR albums.album_artist IS NOT "
        "excluded.album_artist OR albums.year IS NOT excluded.year OR "
        "albums.track_count IS NOT excluded.track_count RETURNING id");
  }
  {
    sqlite::Statement::Scope scope(*upsert_);
    upsert_->bind(1, album.library_id).bind(2, album.directory).bind(3, album.title);
    upsert_->bind(4, album.album_artist).bind(5, album.year).bind(6, album.track_count);
    upsert_->bind(7, core::format_iso8601(now));
    if (upsert_->step()) {
      const AlbumId id = upsert_->column_int64(0);
      run(*upsert_);
      return id;
    }
  }
  sqlite::Statement s(db_, "SELECT id FROM albums WHERE library_id = ? AND directory = ?");
  s.bind(1, album.library_id).bind(2, album.directory);
  if (!s.step()) throw sqlite::Error(SQLITE_INTERNAL, "album upsert returned no id");
  return s.column_int64(0);
}

void AlbumStore::assign_tracks(const Album& album) {
  auto& statement = album.directory.empty() ? assign_root_ : assign_;
  if (!statement) {
    statement.emplace(db_, std::string("UPDATE tracks SET album_id = ?3 WHERE ") +
                               (album.directory.empty() ? kInRoot : kInDirectory) +
                               " AND album_id IS NOT ?3");
  }
  sqlite::Statement::Scope scope(*statement);
  statement->bind(1, album.library_id).bind(2, album.directory).bind(3, album.id);
  run(*statement);
}

void AlbumStore::adopt_new_tracks(core::LibraryId library, const std::string& directory) {
  auto& statement = directory.empty() ? adopt_root_ : adopt_;
  if (!statement) {
    // ?2 is bound for the root too (kInRoot does not use it): the album's directory is "".
    statement.emplace(db_, std::string("UPDATE tracks SET album_id = (SELECT id FROM albums "
                                       "WHERE library_id = ?1 AND directory = ?2) WHERE ") +
                               (directory.empty() ? kInRoot : kInDirectory) +
                               " AND album_id IS NULL AND EXISTS (SELECT 1 FROM albums WHERE "
                               "library_id = ?1 AND directory = ?2)");
  }
  statement->bind(1, library).bind(2, directory).run();
}

bool AlbumStore::remove(core::LibraryId library, const std::string& directory) {
  sqlite::Statement s(db_, "DELETE FROM albums WHERE library_id = ? AND directory = ?");
  s.bind(1, library).bind(2, directory);
  run(s);
  return db_.changes() > 0;
}

void AlbumStore::set_sources(const std::vector<AlbumArt>& art) {
  std::optional<sqlite::Statement> update;
  for (const auto& piece : art) {
    if (piece.asset.id == 0) continue;
    if (!update) update.emplace(db_, "UPDATE item_assets SET source = ? WHERE id = ? AND source <> ?");
    sqlite::Statement::Scope scope(*update);
    const auto source = to_string(piece.source);
    update->bind(1, source).bind(2, piece.asset.id).bind(3, source);
    run(*update);
  }
}

}  // namespace scanhub::store
