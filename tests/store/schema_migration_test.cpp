// Migration 8 (ids never reused) on a database as scanhub left it at schema 7, with a row in
// every table: nothing is lost or renumbered, indexes and triggers are as before, foreign keys
// still act, and an id once given is never given again.
#include "lib/sqlite/statement.hpp"
#include "store/schema.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

using namespace scanhub;

namespace {

// Rows of schema 7 with ids that are not 1, 2, 3 (as after deletions), so a renumbering shows.
constexpr const char* kSchema7Rows = R"sql(
INSERT INTO libraries (id, path, name, type, created_at, last_scan_at) VALUES
  (3, '/music', 'Music', 'music', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'),
  (7, '/movies', 'Movies', 'movie', '2024-01-01T00:00:00Z', NULL);
INSERT INTO scans (id, library_id, trigger, status, started_at, tracks_found, errors_count,
                   assets_failed, enrichment_skipped, enrichment_failed, options) VALUES
  (12, 3, 'manual', 'completed', '2024-01-02T00:00:00Z', 2, 1, 1, 2, 3, '{"enableCaching":true}'),
  (15, 7, 'library-added', 'completed', '2024-01-03T00:00:00Z', 0, 0, 0, 0, 0, '{}');
INSERT INTO scan_libraries (scan_id, library_id) VALUES (12, 3), (15, 7);
INSERT INTO scan_errors (id, scan_id, path, reason, created_at) VALUES
  (4, 12, 'A/bad.mp3', 'no audio stream', '2024-01-02T00:00:01Z');
INSERT INTO jobs (id, type, payload, status, scan_id, created_at) VALUES
  (40, 'discover', '{}', 'completed', 12, '2024-01-02T00:00:00Z');
INSERT INTO jobs (id, type, payload, status, parent_id, scan_id, created_at, last_error) VALUES
  (41, 'directory-scan', '{"directoryPath":"A"}', 'failed', 40, 12, '2024-01-02T00:00:00Z', 'x');
INSERT INTO jobs (id, type, payload, status, created_at) VALUES
  (44, 'external', '{"videoId":"v"}', 'pending', '2024-01-02T00:00:00Z');
INSERT INTO albums (id, library_id, directory, title, album_artist, year, track_count,
                    created_at, updated_at) VALUES
  (9, 3, 'A', 'Homogenic', 'Björk', 1997, 2, '2024-01-02T00:00:00Z', '2024-01-02T00:00:00Z');
INSERT INTO tracks (id, library_id, path, size, mtime_ns, title, duration_ms, codec,
                    bitrate_kbps, sample_rate, channels, created_at, updated_at, album_id) VALUES
  (21, 3, 'A/01.flac', 100, 5, 'Hunter', 1000, 'flac', 900, 44100, 2, 't', 't', 9),
  (23, 3, 'A/02.flac', 100, 5, 'Jóga', 1000, 'flac', 900, 44100, 2, 't', 't', 9),
  (25, 3, 'loose.mp3', 100, 5, NULL, 1000, 'mp3', 320, 44100, 2, 't', 't', NULL);
INSERT INTO track_embeddings (track_id, model, version, dimension, vector, created_at) VALUES
  (21, 'mel', 1, 1, X'0000803F', 't');
INSERT INTO movies (id, library_id, directory, video_path, size, mtime_ns, title, year,
                    genres, created_at, updated_at, tmdb_id) VALUES
  (31, 7, 'Heat (1995)', 'Heat (1995)/Heat.mkv', 1000, 5, 'Heat', 1995, '["Crime"]', 't', 't', '949');
INSERT INTO assets (sha256, size, cache_path, extension, first_seen_at) VALUES
  ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 10, 'aa/aa.jpg', 'jpg', 't');
INSERT INTO item_assets (id, owner_kind, owner_id, kind, source_path, size, mtime_ns, sha256,
                         source) VALUES
  (51, 'movie', 31, 'poster', 'Heat (1995)/poster.jpg', 10, 5,
   'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'file'),
  (53, 'album', 9, 'cover', 'A/01.flac', 10, 5, NULL, 'embedded');
INSERT INTO directory_fingerprints (library_id, path, fingerprint, scanned_at) VALUES
  (3, 'A', 'f1', 't');
)sql";

const std::vector<std::string> kTables = {
    "libraries", "scans",  "scan_libraries", "scan_errors",
    "jobs",      "albums", "tracks",         "track_embeddings",
    "movies",    "assets", "item_assets",    "directory_fingerprints"};
// The tables whose ids reach clients.
const std::vector<std::string> kIdTables = {"libraries", "scans",  "jobs",       "albums",
                                            "tracks",    "movies", "item_assets"};

std::vector<std::string> columns(sqlite::Database& db, const std::string& table) {
  sqlite::Statement s(db, "SELECT name FROM pragma_table_info(?) ORDER BY cid");
  s.bind(1, table);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.column_string(0));
  return out;
}

// Every row of `table` as text, by the given columns, in primary-key order.
std::vector<std::string> rows(sqlite::Database& db, const std::string& table,
                              const std::vector<std::string>& cols) {
  std::string list;
  for (const auto& c : cols) list += (list.empty() ? "quote(" : " || '|' || quote(") + c + ")";
  sqlite::Statement s(db, "SELECT " + list + " FROM " + table + " ORDER BY 1");
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.column_string(0));
  return out;
}

// Indexes and triggers (name -> table and SQL); automatic indexes have no SQL and come with
// their tables' UNIQUE constraints.
std::map<std::string, std::string> indexes_and_triggers(sqlite::Database& db) {
  sqlite::Statement s(db,
                      "SELECT name, tbl_name || ': ' || sql FROM sqlite_schema "
                      "WHERE type IN ('index', 'trigger') AND sql IS NOT NULL");
  std::map<std::string, std::string> out;
  while (s.step()) out[s.column_string(0)] = s.column_string(1);
  return out;
}

std::int64_t single_int(sqlite::Database& db, const std::string& sql) {
  sqlite::Statement s(db, sql);
  EXPECT_TRUE(s.step()) << sql;
  return s.column_int64(0);
}

class SchemaMigration : public ::testing::Test {
 protected:
  void SetUp() override {
    sqlite::Database db(path_);
    store::migrate_for_test(db, 7);
    db.exec(kSchema7Rows);
  }

  test::TempDir dir_;
  std::filesystem::path path_ = dir_ / "scanhub.db";
};

}  // namespace

TEST_F(SchemaMigration, KeepsEveryRowIdIndexAndTrigger) {
  std::map<std::string, std::vector<std::string>> before_columns;
  std::map<std::string, std::vector<std::string>> before_rows;
  std::map<std::string, std::string> before_schema;
  {
    sqlite::Database db(path_);
    for (const auto& table : kTables) {
      before_columns[table] = columns(db, table);
      before_rows[table] = rows(db, table, before_columns[table]);
      ASSERT_FALSE(before_rows[table].empty()) << table;
    }
    before_schema = indexes_and_triggers(db);
  }

  { store::Store store(path_); }  // migrates to the latest schema

  sqlite::Database db(path_);
  EXPECT_EQ(single_int(db, "PRAGMA user_version"), store::schema_version());
  for (const auto& table : kTables) {
    EXPECT_EQ(rows(db, table, before_columns[table]), before_rows[table]) << table;
  }
  auto after_schema = indexes_and_triggers(db);
  // Added by migration 11 (who created a job; the external jobs of a video), not rebuilt ones.
  EXPECT_EQ(after_schema.erase("idx_jobs_created_by"), 1u);
  EXPECT_EQ(after_schema.erase("idx_jobs_external_video"), 1u);
  EXPECT_EQ(after_schema, before_schema);
  EXPECT_EQ(single_int(db, "PRAGMA foreign_keys"), 1);
  sqlite::Statement broken(db, "PRAGMA foreign_key_check");
  EXPECT_FALSE(broken.step());
  for (const auto& table : kIdTables) {
    // AUTOINCREMENT, with the sequence at the largest id there is.
    EXPECT_NE(
        single_int(db, "SELECT instr(sql, 'AUTOINCREMENT') FROM sqlite_schema WHERE name = '" +
                           table + "'"),
        0)
        << table;
    EXPECT_EQ(single_int(db, "SELECT seq FROM sqlite_sequence WHERE name = '" + table + "'"),
              single_int(db, "SELECT max(id) FROM " + table))
        << table;
  }
}

TEST_F(SchemaMigration, ForeignKeysAndTriggersStillAct) {
  { store::Store store(path_); }
  sqlite::Database db(path_);
  // The movie's trigger takes its poster; the last track of an album takes the album and its art.
  db.exec("DELETE FROM movies WHERE id = 31");
  EXPECT_EQ(single_int(db, "SELECT count(*) FROM item_assets WHERE owner_kind = 'movie'"), 0);
  db.exec("DELETE FROM tracks WHERE id IN (21, 23)");
  EXPECT_EQ(single_int(db, "SELECT count(*) FROM albums"), 0);
  EXPECT_EQ(single_int(db, "SELECT count(*) FROM item_assets"), 0);
  EXPECT_EQ(single_int(db, "SELECT count(*) FROM track_embeddings"), 0);  // ON DELETE CASCADE
  // A library takes its scans, their jobs, errors and links, its tracks and fingerprints.
  db.exec("DELETE FROM libraries WHERE id = 3");
  for (const char* table : {"scan_errors", "tracks", "directory_fingerprints"}) {
    EXPECT_EQ(single_int(db, std::string("SELECT count(*) FROM ") + table), 0) << table;
  }
  EXPECT_EQ(single_int(db, "SELECT count(*) FROM scans"), 1);
  EXPECT_EQ(single_int(db, "SELECT count(*) FROM jobs"), 1);  // the external job had no scan
}

TEST_F(SchemaMigration, AnIdIsNeverGivenTwice) {
  store::Store store(path_);
  core::LibraryId again = 0;
  core::ScanId scan_again = 0;
  store.write_sync([&](store::Connection& c) {
    ASSERT_TRUE(c.libraries.remove(7));  // the newest library, and its scan 15 with it
    ASSERT_FALSE(c.scans.get(15)) << "the writer's connection acts on foreign keys again";
    core::Library library;
    library.path = "/elsewhere";
    library.name = "Elsewhere";
    library.created_at = core::Clock::now();
    again = c.libraries.add(library).id;
    core::ScanSnapshot scan;
    scan.libraries = {{again, library.path}};
    scan.times.started_at = core::Clock::now();
    scan_again = c.scans.create(scan);
  });
  EXPECT_EQ(again, 8);        // not 7 again
  EXPECT_EQ(scan_again, 16);  // not 15 again
}
