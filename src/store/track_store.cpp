#include "store/track_store.hpp"

namespace scanhub::store {

namespace {

constexpr const char* kSelect =
    "SELECT id, library_id, path, size, mtime_ns, title, artist, album, album_artist, "
    "track_number, disc_number, year, genre, duration_ms, codec, bitrate_kbps, sample_rate, "
    "channels FROM tracks ";

core::Track read_track(const sqlite::Statement& s) {
  core::Track t;
  t.id = s.column_int64(0);
  t.library_id = s.column_int64(1);
  t.path = s.column_string(2);
  t.stamp = {s.column_int64(3), s.column_int64(4)};
  auto& m = t.metadata;
  m.title = s.column_optional_string(5);
  m.artist = s.column_optional_string(6);
  m.album = s.column_optional_string(7);
  m.album_artist = s.column_optional_string(8);
  m.track_number = s.column_optional_int64(9);
  m.disc_number = s.column_optional_int64(10);
  m.year = s.column_optional_int64(11);
  m.genre = s.column_optional_string(12);
  m.duration_ms = s.column_int64(13);
  m.codec = s.column_string(14);
  m.bitrate_kbps = s.column_int64(15);
  m.sample_rate = s.column_int64(16);
  m.channels = s.column_int64(17);
  return t;
}

// Binds stamp and metadata to parameters first..first+14.
void bind_fields(sqlite::Statement& s, int first, const core::FileStamp& stamp,
                 const core::TrackMetadata& m) {
  s.bind(first, stamp.size).bind(first + 1, stamp.mtime_ns);
  s.bind(first + 2, m.title).bind(first + 3, m.artist).bind(first + 4, m.album);
  s.bind(first + 5, m.album_artist).bind(first + 6, m.track_number);
  s.bind(first + 7, m.disc_number).bind(first + 8, m.year).bind(first + 9, m.genre);
  s.bind(first + 10, m.duration_ms).bind(first + 11, m.codec).bind(first + 12, m.bitrate_kbps);
  s.bind(first + 13, m.sample_rate).bind(first + 14, m.channels);
}

}  // namespace

TrackIndex TrackStore::load_index(core::LibraryId library) {
  sqlite::Statement s(db_, "SELECT id, path, size, mtime_ns FROM tracks WHERE library_id = ?");
  s.bind(1, library);
  TrackIndex index;
  while (s.step()) {
    index.emplace(s.column_string(1),
                  IndexedTrack{s.column_int64(0), {s.column_int64(2), s.column_int64(3)}});
  }
  return index;
}

TrackIndex TrackStore::load_directory_index(core::LibraryId library, const std::string& directory) {
  sqlite::Statement* s = nullptr;
  if (directory.empty()) {
    if (!root_index_) {
      root_index_.emplace(db_, "SELECT id, path, size, mtime_ns FROM tracks "
                               "WHERE library_id = ? AND instr(path, '/') = 0");
    }
    s = &*root_index_;
    s->bind(1, library);
  } else {
    if (!directory_index_) {
      // '0' is the byte after '/': [dir/, dir0) is everything below dir, in BINARY order.
      directory_index_.emplace(db_, "SELECT id, path, size, mtime_ns FROM tracks "
                                    "WHERE library_id = ?1 AND path >= ?2 || '/' AND path < ?2 || '0' "
                                    "AND instr(substr(path, length(?2) + 2), '/') = 0");
    }
    s = &*directory_index_;
    s->bind(1, library).bind(2, directory);
  }
  sqlite::Statement::Scope scope(*s);
  TrackIndex index;
  while (s->step()) {
    index.emplace(s->column_string(1),
                  IndexedTrack{s->column_int64(0), {s->column_int64(2), s->column_int64(3)}});
  }
  return index;
}

core::TrackId TrackStore::insert(core::LibraryId library, const std::string& path,
                                 const core::FileStamp& stamp, const core::TrackMetadata& metadata,
                                 core::TimePoint now) {
  if (!insert_) {
    insert_.emplace(db_,
                    "INSERT INTO tracks (library_id, path, size, mtime_ns, title, artist, album, "
                    "album_artist, track_number, disc_number, year, genre, duration_ms, codec, "
                    "bitrate_kbps, sample_rate, channels, created_at, updated_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  }
  sqlite::Statement::Scope scope(*insert_);
  insert_->bind(1, library).bind(2, path);
  bind_fields(*insert_, 3, stamp, metadata);
  const std::string time = core::format_iso8601(now);
  insert_->bind(18, time).bind(19, time);
  while (insert_->step()) {
  }
  return db_.last_insert_rowid();
}

void TrackStore::update(core::TrackId id, const core::FileStamp& stamp,
                        const core::TrackMetadata& metadata, core::TimePoint now) {
  if (!update_) {
    update_.emplace(db_,
                    "UPDATE tracks SET size = ?, mtime_ns = ?, title = ?, artist = ?, album = ?, "
                    "album_artist = ?, track_number = ?, disc_number = ?, year = ?, genre = ?, "
                    "duration_ms = ?, codec = ?, bitrate_kbps = ?, sample_rate = ?, channels = ?, "
                    "updated_at = ? WHERE id = ?");
  }
  sqlite::Statement::Scope scope(*update_);
  bind_fields(*update_, 1, stamp, metadata);
  update_->bind(16, core::format_iso8601(now)).bind(17, id);
  while (update_->step()) {
  }
}

void TrackStore::remove(core::TrackId id) {
  if (!remove_) remove_.emplace(db_, "DELETE FROM tracks WHERE id = ?");
  sqlite::Statement::Scope scope(*remove_);
  remove_->bind(1, id);
  while (remove_->step()) {
  }
}

std::vector<core::Track> TrackStore::list(core::LibraryId library) {
  sqlite::Statement s(db_, std::string(kSelect) + "WHERE library_id = ? ORDER BY path");
  s.bind(1, library);
  std::vector<core::Track> tracks;
  while (s.step()) tracks.push_back(read_track(s));
  return tracks;
}

std::optional<core::Track> TrackStore::get(core::TrackId id) {
  sqlite::Statement s(db_, std::string(kSelect) + "WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_track(s);
}

std::int64_t TrackStore::count(core::LibraryId library) {
  sqlite::Statement s(db_, "SELECT COUNT(*) FROM tracks WHERE library_id = ?");
  s.bind(1, library);
  s.step();
  return s.column_int64(0);
}

}  // namespace scanhub::store
