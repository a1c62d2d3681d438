#include "store/schema.hpp"

#include "lib/sqlite/statement.hpp"
#include "lib/sqlite/transaction.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace scanhub::store {

namespace {

struct Migration {
  std::string_view sql;
  /// Rebuilds tables that others reference (sqlite.org/lang_altertable.html section 7):
  /// foreign keys are off while it runs, since a DROP TABLE with them on deletes (ON DELETE
  /// CASCADE) or nulls the referencing rows, and PRAGMA foreign_keys cannot change inside a
  /// transaction; PRAGMA foreign_key_check must find nothing before the commit.
  bool rebuilds_tables = false;
};

// Append only: a released migration never changes; fix mistakes with a new one.
constexpr std::array<Migration, 11> kMigrations{{
    // 1: foundation (libraries, scans with seed 002's counters, tracks, scan errors)
    {R"sql(
CREATE TABLE libraries (
  id            INTEGER PRIMARY KEY,
  path          TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  type          TEXT NOT NULL CHECK (type IN ('music', 'movie')),
  created_at    TEXT NOT NULL,
  last_scan_at  TEXT
);

CREATE TABLE scans (
  id                      INTEGER PRIMARY KEY,
  library_id              INTEGER REFERENCES libraries(id) ON DELETE CASCADE,
  trigger                 TEXT NOT NULL DEFAULT 'manual',
  status                  TEXT NOT NULL DEFAULT 'discovering' CHECK (status IN
                            ('discovering', 'scanning', 'caching', 'enriching',
                             'completed', 'failed', 'cancelled')),
  directories_total       INTEGER NOT NULL DEFAULT 0,
  directories_queued      INTEGER NOT NULL DEFAULT 0,
  directories_scanned     INTEGER NOT NULL DEFAULT 0,
  tracks_found            INTEGER NOT NULL DEFAULT 0,
  tracks_new              INTEGER NOT NULL DEFAULT 0,
  tracks_updated          INTEGER NOT NULL DEFAULT 0,
  tracks_removed          INTEGER NOT NULL DEFAULT 0,
  movies_found            INTEGER NOT NULL DEFAULT 0,
  movies_new              INTEGER NOT NULL DEFAULT 0,
  movies_updated          INTEGER NOT NULL DEFAULT 0,
  assets_queued           INTEGER NOT NULL DEFAULT 0,
  assets_cached           INTEGER NOT NULL DEFAULT 0,
  enrichment_queued       INTEGER NOT NULL DEFAULT 0,
  enrichment_completed    INTEGER NOT NULL DEFAULT 0,
  errors_count            INTEGER NOT NULL DEFAULT 0,
  last_error              TEXT,
  failure                 TEXT,
  current_operation       TEXT,
  options                 TEXT NOT NULL DEFAULT '{}',
  started_at              TEXT NOT NULL,
  discovery_completed_at  TEXT,
  scanning_completed_at   TEXT,
  caching_completed_at    TEXT,
  completed_at            TEXT
);
CREATE INDEX idx_scans_library ON scans(library_id);
CREATE INDEX idx_scans_status ON scans(status);

CREATE TABLE scan_libraries (
  scan_id     INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
  library_id  INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
  PRIMARY KEY (scan_id, library_id)
) WITHOUT ROWID;

CREATE TABLE tracks (
  id            INTEGER PRIMARY KEY,
  library_id    INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
  path          TEXT NOT NULL,
  size          INTEGER NOT NULL,
  mtime_ns      INTEGER NOT NULL,
  title         TEXT,
  artist        TEXT,
  album         TEXT,
  album_artist  TEXT,
  track_number  INTEGER,
  disc_number   INTEGER,
  year          INTEGER,
  genre         TEXT,
  duration_ms   INTEGER NOT NULL,
  codec         TEXT NOT NULL,
  bitrate_kbps  INTEGER NOT NULL,
  sample_rate   INTEGER NOT NULL,
  channels      INTEGER NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  UNIQUE (library_id, path)
);

CREATE TABLE scan_errors (
  id          INTEGER PRIMARY KEY,
  scan_id     INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
  path        TEXT NOT NULL,
  reason      TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX idx_scan_errors_scan ON scan_errors(scan_id);
)sql"},
    // 2: the persistent job queue (issue 4 item 1). run_after and lease_expires are Unix epoch
    // milliseconds so the claim compares integers. Few indexes, since every status change
    // rewrites their pages: the partial one serves the claim (pending, one type, ORDER BY
    // priority, id); (status, type) serves the stats and finds processing jobs for recovery.
    {R"sql(
CREATE TABLE jobs (
  id             INTEGER PRIMARY KEY,
  type           TEXT NOT NULL,
  payload        TEXT NOT NULL DEFAULT '{}',
  priority       INTEGER NOT NULL DEFAULT 5,
  status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                   ('pending', 'processing', 'completed', 'failed', 'cancelled')),
  attempts       INTEGER NOT NULL DEFAULT 0,
  max_attempts   INTEGER NOT NULL DEFAULT 1 CHECK (max_attempts >= 1),
  parent_id      INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
  scan_id        INTEGER REFERENCES scans(id) ON DELETE CASCADE,
  run_after      INTEGER NOT NULL DEFAULT 0,
  lease_owner    TEXT,
  lease_expires  INTEGER,
  stalled_count  INTEGER NOT NULL DEFAULT 0,
  created_at     TEXT NOT NULL,
  started_at     TEXT,
  finished_at    TEXT,
  last_error     TEXT,
  progress       TEXT
);
CREATE INDEX idx_jobs_claim ON jobs(type, priority, id) WHERE status = 'pending';
CREATE INDEX idx_jobs_status_type ON jobs(status, type);
CREATE INDEX idx_jobs_parent ON jobs(parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX idx_jobs_scan ON jobs(scan_id) WHERE scan_id IS NOT NULL;
)sql"},
    // 3: movie libraries and local assets (issue 4 "Movie libraries", seed 002 phases 2 and 3).
    // movies: one row per movie directory (Kodi: one movie per directory). Stream lists are
    // JSON arrays (ffprobe's field names in camelCase), since nothing queries inside them.
    // assets: content-addressed files of the asset cache, one row per SHA-256 however many
    // items share the bytes. item_assets: which item has which local file (owner_kind names the
    // table owner_id points into, so no foreign key; a trigger removes a movie's rows with it);
    // sha256 stays NULL until a cache-asset job has cached the file.
    {R"sql(
CREATE TABLE movies (
  id                INTEGER PRIMARY KEY,
  library_id        INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
  directory         TEXT NOT NULL,
  video_path        TEXT NOT NULL,
  size              INTEGER NOT NULL,
  mtime_ns          INTEGER NOT NULL,
  title             TEXT NOT NULL,
  original_title    TEXT,
  sort_title        TEXT,
  year              INTEGER,
  premiered         TEXT,
  plot              TEXT,
  runtime_minutes   INTEGER,
  genres            TEXT NOT NULL DEFAULT '[]',
  tmdb_id           TEXT,
  imdb_id           TEXT,
  nfo_path          TEXT,
  nfo_mtime_ns      INTEGER,
  nfo_error         TEXT,
  container         TEXT,
  duration_ms       INTEGER,
  bitrate           INTEGER,
  video_codec       TEXT,
  video_width       INTEGER,
  video_height      INTEGER,
  video_fps         REAL,
  video_hdr         TEXT,
  audio_streams     TEXT NOT NULL DEFAULT '[]',
  subtitle_streams  TEXT NOT NULL DEFAULT '[]',
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  UNIQUE (library_id, directory)
);
CREATE INDEX idx_movies_tmdb ON movies(tmdb_id) WHERE tmdb_id IS NOT NULL;

CREATE TABLE assets (
  sha256         TEXT PRIMARY KEY CHECK (length(sha256) = 64),
  size           INTEGER NOT NULL,
  cache_path     TEXT NOT NULL,
  mime_type      TEXT,
  extension      TEXT NOT NULL,
  first_seen_at  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE item_assets (
  id           INTEGER PRIMARY KEY,
  owner_kind   TEXT NOT NULL CHECK (owner_kind IN ('movie', 'track', 'album')),
  owner_id     INTEGER NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('poster', 'fanart', 'landscape', 'thumb',
                 'clearlogo', 'clearart', 'banner', 'discart', 'keyart', 'extrafanart',
                 'trailer', 'subtitle', 'album_art')),
  source_path  TEXT NOT NULL,
  size         INTEGER NOT NULL,
  mtime_ns     INTEGER NOT NULL,
  language     TEXT,
  forced       INTEGER NOT NULL DEFAULT 0,
  sha256       TEXT REFERENCES assets(sha256),
  UNIQUE (owner_kind, owner_id, source_path)
);
CREATE INDEX idx_item_assets_sha256 ON item_assets(sha256) WHERE sha256 IS NOT NULL;
CREATE INDEX idx_item_assets_uncached ON item_assets(id) WHERE sha256 IS NULL;

CREATE TRIGGER movies_delete_item_assets AFTER DELETE ON movies BEGIN
  DELETE FROM item_assets WHERE owner_kind = 'movie' AND owner_id = OLD.id;
END;
)sql"},
    // 4: the scan as a tree of jobs (issue 4 items 2 and 3). A phase ends when every unit of
    // work it emitted is done, however it ended: a cache-asset or enrichment job that failed for
    // good, or an item an enricher skipped, is counted here so that
    // cached + failed = queued (and completed + skipped + failed = queued) closes the phase.
    {R"sql(
ALTER TABLE scans ADD COLUMN assets_failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scans ADD COLUMN enrichment_skipped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scans ADD COLUMN enrichment_failed INTEGER NOT NULL DEFAULT 0;
)sql"},
    // 5: audio embeddings (issue 5 item 3; store/embedding_store.hpp). One vector per track and
    // model: float32 little-endian, 4 x dimension bytes; version says which variant of the model
    // made it (a newer version recomputes). Gone with its track.
    {R"sql(
CREATE TABLE track_embeddings (
  track_id    INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  model       TEXT NOT NULL,
  version     INTEGER NOT NULL,
  dimension   INTEGER NOT NULL CHECK (dimension > 0),
  vector      BLOB NOT NULL CHECK (length(vector) = 4 * dimension),
  created_at  TEXT NOT NULL,
  PRIMARY KEY (track_id, model)
);
CREATE INDEX idx_track_embeddings_model ON track_embeddings(model, version);
)sql"},
    // 6: albums (issue 4 "Music libraries ... plus album art as assets"; store/album_store.hpp).
    // An album is the tracks of one directory (the Jellyfin/Kodi folder convention), so it is
    // keyed by (library, directory); tracks point at theirs, and an album whose last track is
    // deleted goes with it (remove-missing deletes tracks, not directories), taking its
    // item_assets along. item_assets is rebuilt (SQLite cannot change a CHECK) to admit the
    // album art kinds cover, back and disc, and gains `source`: 'file', or 'embedded' for a
    // picture inside the audio file named by source_path (cached by extracting its bytes).
    {R"sql(
CREATE TABLE albums (
  id            INTEGER PRIMARY KEY,
  library_id    INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
  directory     TEXT NOT NULL,
  title         TEXT,
  album_artist  TEXT,
  year          INTEGER,
  track_count   INTEGER NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  UNIQUE (library_id, directory)
);

ALTER TABLE tracks ADD COLUMN album_id INTEGER REFERENCES albums(id) ON DELETE SET NULL;
CREATE INDEX idx_tracks_album ON tracks(album_id) WHERE album_id IS NOT NULL;

DROP TRIGGER movies_delete_item_assets;
CREATE TABLE item_assets_v6 (
  id           INTEGER PRIMARY KEY,
  owner_kind   TEXT NOT NULL CHECK (owner_kind IN ('movie', 'track', 'album')),
  owner_id     INTEGER NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('poster', 'fanart', 'landscape', 'thumb',
                 'clearlogo', 'clearart', 'banner', 'discart', 'keyart', 'extrafanart',
                 'trailer', 'subtitle', 'album_art', 'cover', 'back', 'disc')),
  source_path  TEXT NOT NULL,
  size         INTEGER NOT NULL,
  mtime_ns     INTEGER NOT NULL,
  language     TEXT,
  forced       INTEGER NOT NULL DEFAULT 0,
  sha256       TEXT REFERENCES assets(sha256),
  source       TEXT NOT NULL DEFAULT 'file' CHECK (source IN ('file', 'embedded')),
  UNIQUE (owner_kind, owner_id, source_path)
);
INSERT INTO item_assets_v6 (id, owner_kind, owner_id, kind, source_path, size, mtime_ns,
                            language, forced, sha256)
  SELECT id, owner_kind, owner_id, kind, source_path, size, mtime_ns, language, forced, sha256
  FROM item_assets;
DROP TABLE item_assets;
ALTER TABLE item_assets_v6 RENAME TO item_assets;
CREATE INDEX idx_item_assets_sha256 ON item_assets(sha256) WHERE sha256 IS NOT NULL;
CREATE INDEX idx_item_assets_uncached ON item_assets(id) WHERE sha256 IS NULL;

CREATE TRIGGER movies_delete_item_assets AFTER DELETE ON movies BEGIN
  DELETE FROM item_assets WHERE owner_kind = 'movie' AND owner_id = OLD.id;
END;
CREATE TRIGGER albums_delete_item_assets AFTER DELETE ON albums BEGIN
  DELETE FROM item_assets WHERE owner_kind = 'album' AND owner_id = OLD.id;
END;
CREATE TRIGGER tracks_delete_empty_album AFTER DELETE ON tracks WHEN OLD.album_id IS NOT NULL BEGIN
  DELETE FROM albums WHERE id = OLD.album_id
    AND NOT EXISTS (SELECT 1 FROM tracks WHERE album_id = OLD.album_id);
END;
)sql"},
    // 7: directory fingerprints (store/directory_store.hpp): what each directory looked like
    // when its last complete directory-scan ran, so that a rescan skips unchanged directories.
    {R"sql(
CREATE TABLE directory_fingerprints (
  library_id   INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
  path         TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  scanned_at   TEXT NOT NULL,
  PRIMARY KEY (library_id, path)
) WITHOUT ROWID;
)sql"},
    // 8: ids are never reused (issue 14 "Ids are never reused"). Without AUTOINCREMENT SQLite
    // gives a new row max(id) + 1, so deleting a library (and with it its scans) handed the
    // next library and scan the old ids, and a stale client's subscribe or cancel reached a
    // different object. Every table whose ids reach clients (REST, hubs) is rebuilt with
    // AUTOINCREMENT as sqlite.org/lang_altertable.html section 7 describes: the runner turns
    // foreign keys off around the transaction (so DROP TABLE deletes no referencing row) and
    // runs foreign_key_check before the commit; rows and ids are copied as they are (the
    // sequence starts at each table's largest id), then the indexes and triggers of migrations
    // 1-7 are made again. The triggers go first: one naming a dropped table would fail the
    // renames.
    {R"sql(
DROP TRIGGER movies_delete_item_assets;
DROP TRIGGER albums_delete_item_assets;
DROP TRIGGER tracks_delete_empty_album;

CREATE TABLE libraries_v8 (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  path          TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  type          TEXT NOT NULL CHECK (type IN ('music', 'movie')),
  created_at    TEXT NOT NULL,
  last_scan_at  TEXT
);
INSERT INTO libraries_v8 (id, path, name, type, created_at, last_scan_at)
  SELECT id, path, name, type, created_at, last_scan_at FROM libraries;
DROP TABLE libraries;
ALTER TABLE libraries_v8 RENAME TO libraries;

CREATE TABLE scans_v8 (
  id                      INTEGER PRIMARY KEY AUTOINCREMENT,
  library_id              INTEGER REFERENCES libraries(id) ON DELETE CASCADE,
  trigger                 TEXT NOT NULL DEFAULT 'manual',
  status                  TEXT NOT NULL DEFAULT 'discovering' CHECK (status IN
                            ('discovering', 'scanning', 'caching', 'enriching',
                             'completed', 'failed', 'cancelled')),
  directories_total       INTEGER NOT NULL DEFAULT 0,
  directories_queued      INTEGER NOT NULL DEFAULT 0,
  directories_scanned     INTEGER NOT NULL DEFAULT 0,
  tracks_found            INTEGER NOT NULL DEFAULT 0,
  tracks_new              INTEGER NOT NULL DEFAULT 0,
  tracks_updated          INTEGER NOT NULL DEFAULT 0,
  tracks_removed          INTEGER NOT NULL DEFAULT 0,
  movies_found            INTEGER NOT NULL DEFAULT 0,
  movies_new              INTEGER NOT NULL DEFAULT 0,
  movies_updated          INTEGER NOT NULL DEFAULT 0,
  assets_queued           INTEGER NOT NULL DEFAULT 0,
  assets_cached           INTEGER NOT NULL DEFAULT 0,
  enrichment_queued       INTEGER NOT NULL DEFAULT 0,
  enrichment_completed    INTEGER NOT NULL DEFAULT 0,
  errors_count            INTEGER NOT NULL DEFAULT 0,
  last_error              TEXT,
  failure                 TEXT,
  current_operation       TEXT,
  options                 TEXT NOT NULL DEFAULT '{}',
  started_at              TEXT NOT NULL,
  discovery_completed_at  TEXT,
  scanning_completed_at   TEXT,
  caching_completed_at    TEXT,
  completed_at            TEXT,
  assets_failed           INTEGER NOT NULL DEFAULT 0,
  enrichment_skipped      INTEGER NOT NULL DEFAULT 0,
  enrichment_failed       INTEGER NOT NULL DEFAULT 0
);
INSERT INTO scans_v8 SELECT id, library_id, trigger, status, directories_total,
  directories_queued, directories_scanned, tracks_found, tracks_new, tracks_updated,
  tracks_removed, movies_found, movies_new, movies_updated, assets_queued, assets_cached,
  enrichment_queued, enrichment_completed, errors_count, last_error, failure,
  current_operation, options, started_at, discovery_completed_at, scanning_completed_at,
  caching_completed_at, completed_at, assets_failed, enrichment_skipped, enrichment_failed
  FROM scans;
DROP TABLE scans;
ALTER TABLE scans_v8 RENAME TO scans;

CREATE TABLE jobs_v8 (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  type           TEXT NOT NULL,
  payload        TEXT NOT NULL DEFAULT '{}',
  priority       INTEGER NOT NULL DEFAULT 5,
  status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                   ('pending', 'processing', 'completed', 'failed', 'cancelled')),
  attempts       INTEGER NOT NULL DEFAULT 0,
  max_attempts   INTEGER NOT NULL DEFAULT 1 CHECK (max_attempts >= 1),
  parent_id      INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
  scan_id        INTEGER REFERENCES scans(id) ON DELETE CASCADE,
  run_after      INTEGER NOT NULL DEFAULT 0,
  lease_owner    TEXT,
  lease_expires  INTEGER,
  stalled_count  INTEGER NOT NULL DEFAULT 0,
  created_at     TEXT NOT NULL,
  started_at     TEXT,
  finished_at    TEXT,
  last_error     TEXT,
  progress       TEXT
);
INSERT INTO jobs_v8 SELECT id, type, payload, priority, status, attempts, max_attempts,
  parent_id, scan_id, run_after, lease_owner, lease_expires, stalled_count, created_at,
  started_at, finished_at, last_error, progress FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v8 RENAME TO jobs;

CREATE TABLE albums_v8 (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  library_id    INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
  directory     TEXT NOT NULL,
  title         TEXT,
  album_artist  TEXT,
  year          INTEGER,
  track_count   INTEGER NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  UNIQUE (library_id, directory)
);
INSERT INTO albums_v8 SELECT id, library_id, directory, title, album_artist, year, track_count,
  created_at, updated_at FROM albums;
DROP TABLE albums;
ALTER TABLE albums_v8 RENAME TO albums;

CREATE TABLE tracks_v8 (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  library_id    INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
  path          TEXT NOT NULL,
  size          INTEGER NOT NULL,
  mtime_ns      INTEGER NOT NULL,
  title         TEXT,
  artist        TEXT,
  album         TEXT,
  album_artist  TEXT,
  track_number  INTEGER,
  disc_number   INTEGER,
  year          INTEGER,
  genre         TEXT,
  duration_ms   INTEGER NOT NULL,
  codec         TEXT NOT NULL,
  bitrate_kbps  INTEGER NOT NULL,
  sample_rate   INTEGER NOT NULL,
  channels      INTEGER NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  album_id      INTEGER REFERENCES albums(id) ON DELETE SET NULL,
  UNIQUE (library_id, path)
);
INSERT INTO tracks_v8 SELECT id, library_id, path, size, mtime_ns, title, artist, album,
  album_artist, track_number, disc_number, year, genre, duration_ms, codec, bitrate_kbps,
  sample_rate, channels, created_at, updated_at, album_id FROM tracks;
DROP TABLE tracks;
ALTER TABLE tracks_v8 RENAME TO tracks;

CREATE TABLE movies_v8 (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  library_id        INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
  directory         TEXT NOT NULL,
  video_path        TEXT NOT NULL,
  size              INTEGER NOT NULL,
  mtime_ns          INTEGER NOT NULL,
  title             TEXT NOT NULL,
  original_title    TEXT,
  sort_title        TEXT,
  year              INTEGER,
  premiered         TEXT,
  plot              TEXT,
  runtime_minutes   INTEGER,
  genres            TEXT NOT NULL DEFAULT '[]',
  tmdb_id           TEXT,
  imdb_id           TEXT,
  nfo_path          TEXT,
  nfo_mtime_ns      INTEGER,
  nfo_error         TEXT,
  container         TEXT,
  duration_ms       INTEGER,
  bitrate           INTEGER,
  video_codec       TEXT,
  video_width       INTEGER,
  video_height      INTEGER,
  video_fps         REAL,
  video_hdr         TEXT,
  audio_streams     TEXT NOT NULL DEFAULT '[]',
  subtitle_streams  TEXT NOT NULL DEFAULT '[]',
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  UNIQUE (library_id, directory)
);
INSERT INTO movies_v8 SELECT id, library_id, directory, video_path, size, mtime_ns, title,
  original_title, sort_title, year, premiered, plot, runtime_minutes, genres, tmdb_id, imdb_id,
  nfo_path, nfo_mtime_ns, nfo_error, container, duration_ms, bitrate, video_codec, video_width,
  video_height, video_fps, video_hdr, audio_streams, subtitle_streams, created_at, updated_at
  FROM movies;
DROP TABLE movies;
ALTER TABLE movies_v8 RENAME TO movies;

CREATE TABLE item_assets_v8 (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  owner_kind   TEXT NOT NULL CHECK (owner_kind IN ('movie', 'track', 'album')),
  owner_id     INTEGER NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('poster', 'fanart', 'landscape', 'thumb',
                 'clearlogo', 'clearart', 'banner', 'discart', 'keyart', 'extrafanart',
                 'trailer', 'subtitle', 'album_art', 'cover', 'back', 'disc')),
  source_path  TEXT NOT NULL,
  size         INTEGER NOT NULL,
  mtime_ns     INTEGER NOT NULL,
  language     TEXT,
  forced       INTEGER NOT NULL DEFAULT 0,
  sha256       TEXT REFERENCES assets(sha256),
  source       TEXT NOT NULL DEFAULT 'file' CHECK (source IN ('file', 'embedded')),
  UNIQUE (owner_kind, owner_id, source_path)
);
INSERT INTO item_assets_v8 SELECT id, owner_kind, owner_id, kind, source_path, size, mtime_ns,
  language, forced, sha256, source FROM item_assets;
DROP TABLE item_assets;
ALTER TABLE item_assets_v8 RENAME TO item_assets;

CREATE INDEX idx_scans_library ON scans(library_id);
CREATE INDEX idx_scans_status ON scans(status);
CREATE INDEX idx_jobs_claim ON jobs(type, priority, id) WHERE status = 'pending';
CREATE INDEX idx_jobs_status_type ON jobs(status, type);
CREATE INDEX idx_jobs_parent ON jobs(parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX idx_jobs_scan ON jobs(scan_id) WHERE scan_id IS NOT NULL;
CREATE INDEX idx_tracks_album ON tracks(album_id) WHERE album_id IS NOT NULL;
CREATE INDEX idx_movies_tmdb ON movies(tmdb_id) WHERE tmdb_id IS NOT NULL;
CREATE INDEX idx_item_assets_sha256 ON item_assets(sha256) WHERE sha256 IS NOT NULL;
CREATE INDEX idx_item_assets_uncached ON item_assets(id) WHERE sha256 IS NULL;

CREATE TRIGGER movies_delete_item_assets AFTER DELETE ON movies BEGIN
  DELETE FROM item_assets WHERE owner_kind = 'movie' AND owner_id = OLD.id;
END;
CREATE TRIGGER albums_delete_item_assets AFTER DELETE ON albums BEGIN
  DELETE FROM item_assets WHERE owner_kind = 'album' AND owner_id = OLD.id;
END;
CREATE TRIGGER tracks_delete_empty_album AFTER DELETE ON tracks WHEN OLD.album_id IS NOT NULL BEGIN
  DELETE FROM albums WHERE id = OLD.album_id
    AND NOT EXISTS (SELECT 1 FROM tracks WHERE album_id = OLD.album_id);
END;
)sql", true},
    // 9: symbolic links that leave a library (scan/walker.hpp). A library follows them only
    // when it says so (follow_symlinks, off by default: a link to / would make the whole disk
    // part of it); a scan counts those it did not follow.
    {R"sql(
ALTER TABLE libraries ADD COLUMN follow_symlinks INTEGER NOT NULL DEFAULT 0
  CHECK (follow_symlinks IN (0, 1));
ALTER TABLE scans ADD COLUMN symlinks_skipped INTEGER NOT NULL DEFAULT 0;
)sql"},
    // 10: local users and API keys (auth/; issue 16). A user's name is unique whatever its
    // case; the password is an Argon2id PHC string. An API key is stored only as the SHA-256 of
    // its text (hex); removing its owner removes it.
    {R"sql(
CREATE TABLE users (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  name           TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash  TEXT NOT NULL,
  admin          INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
  created_at     TEXT NOT NULL
);

CREATE TABLE api_keys (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
  key_hash    TEXT NOT NULL UNIQUE,
  user_id     INTEGER REFERENCES users(id) ON DELETE CASCADE,
  admin       INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
  created_at  TEXT NOT NULL
);
)sql"},
    // 11: who created a job (external jobs: the signed-in user reporting it), so each user sees
    // only their own; the external jobs of one video (seed 004's VideoProgressUpdate), found
    // by the videoId their payload carries.
    {R"sql(
ALTER TABLE jobs ADD COLUMN created_by TEXT;
CREATE INDEX idx_jobs_created_by ON jobs(created_by) WHERE created_by IS NOT NULL;
CREATE INDEX idx_jobs_external_video ON jobs(json_extract(payload, '$.videoId')) WHERE type = 'external';
)sql"},
}};

// PRAGMA foreign_keys = OFF for a scope, outside any transaction (inside one it is a no-op);
// back ON at scope exit, as lib/sqlite's Database opens every connection.
class ForeignKeysOff {
 public:
  explicit ForeignKeysOff(sqlite::Database& db) : db_(db) { db_.exec("PRAGMA foreign_keys = OFF"); }
  ~ForeignKeysOff() noexcept {
    try {
      db_.exec("PRAGMA foreign_keys = ON");
    } catch (...) {
      // Only a closed or broken connection fails here; the next statement reports it.
    }
  }
  ForeignKeysOff(const ForeignKeysOff&) = delete;
  ForeignKeysOff& operator=(const ForeignKeysOff&) = delete;

 private:
  sqlite::Database& db_;
};

// Throws (so the migration's transaction rolls back) when a row references one that is not
// there: a rebuild that lost or renumbered rows.
void check_foreign_keys(sqlite::Database& db, int version) {
  sqlite::Statement check(db, "PRAGMA foreign_key_check");
  if (check.step()) {
    throw std::runtime_error("migration " + std::to_string(version) + " left table " +
                             check.column_string(0) + " row " +
                             std::to_string(check.column_int64(1)) +
                             " referencing a missing row of " + check.column_string(2));
  }
}

int user_version(sqlite::Database& db) {
  sqlite::Statement statement(db, "PRAGMA user_version");
  statement.step();
  return statement.column_int(0);
}

}  // namespace

int schema_version() noexcept { return static_cast<int>(kMigrations.size()); }

namespace {

void migrate_to(sqlite::Database& db, int target) {
  const int current = user_version(db);
  if (current > schema_version()) {
    throw std::runtime_error("database schema version " + std::to_string(current) +
                             " is newer than this scanhub understands (" +
                             std::to_string(schema_version()) + ")");
  }
  for (int version = current + 1; version <= std::min(target, schema_version()); ++version) {
    const Migration& migration = kMigrations[static_cast<std::size_t>(version - 1)];
    std::optional<ForeignKeysOff> foreign_keys_off;
    if (migration.rebuilds_tables) foreign_keys_off.emplace(db);
    sqlite::Transaction transaction(db);
    db.exec(migration.sql);
    if (migration.rebuilds_tables) check_foreign_keys(db, version);
    db.exec("PRAGMA user_version = " + std::to_string(version));
    transaction.commit();
  }
}

}  // namespace

void migrate(sqlite::Database& db) { migrate_to(db, schema_version()); }

void migrate_for_test(sqlite::Database& db, int version) { migrate_to(db, version); }

}  // namespace scanhub::store
