#include "store/schema.hpp"
#include "store/store.hpp"
#include "support/damaged_file.hpp"
#include "support/temp_dir.hpp"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

using namespace scanhub;

namespace {

core::Library music_library(const std::string& path) {
  core::Library library;
  library.path = path;
  library.name = "Music";
  library.created_at = core::Clock::now();
  return library;
}

core::TrackMetadata metadata(const std::string& title) {
  core::TrackMetadata m;
  m.title = title;
  m.artist = "Björk";
  m.track_number = 3;
  m.duration_ms = 7000;
  m.codec = "flac";
  m.bitrate_kbps = 900;
  m.sample_rate = 44100;
  m.channels = 2;
  return m;
}

class StoreTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::filesystem::path db_ = dir_ / "scanhub.db";
};

}  // namespace

TEST_F(StoreTest, CreatesSchemaInWalModeAndReopens) {
  { store::Store store(db_); }
  sqlite::Database db(db_);
  sqlite::Statement mode(db, "PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.column_text(0), "wal");
  sqlite::Statement version(db, "PRAGMA user_version");
  ASSERT_TRUE(version.step());
  EXPECT_EQ(version.column_int(0), store::schema_version());
  store::Store again(db_);  // migrating an up-to-date database is a no-op
}

TEST_F(StoreTest, RefusesADatabaseFromANewerVersion) {
  {
    sqlite::Database db(db_);
    db.exec("PRAGMA user_version = 999");
  }
  EXPECT_THROW(store::Store store(db_), std::runtime_error);
}

TEST_F(StoreTest, CannotOpenInAMissingDirectory) {
  try {
    store::Store store(dir_ / "missing" / "x.db");
    FAIL() << "opened";
  } catch (const sqlite::Error& e) {
    EXPECT_EQ(e.primary_code(), SQLITE_CANTOPEN);
    EXPECT_EQ(std::string(e.what()), "cannot open the database " + (dir_ / "missing" / "x.db").string() +
                                         ": its directory " + (dir_ / "missing").string() + " does not exist");
  }
}

// What an operator can fix, said in words with the path; never an SQL statement.
TEST_F(StoreTest, OpenFailuresNameThePathAndTheCause) {
  std::filesystem::create_directories(dir_ / "a-directory.db");
  std::ofstream(dir_ / "notes.db") << "these are my notes, not a database, but long enough to "
                                       "be taken for one by a program that only looks at the size";
  std::ofstream(dir_ / "plain") << "x";
  const struct {
    std::filesystem::path path;
    std::string cause;
  } cases[] = {
      {dir_ / "a-directory.db", "it is a directory, not a database file"},
      {dir_ / "notes.db", "the file is not a SQLite database (or its first page is damaged)"},
      {dir_ / "plain" / "x.db", (dir_ / "plain").string() + " is not a directory"},
  };
  for (const auto& c : cases) {
    try {
      store::Store store(c.path);
      ADD_FAILURE() << "opened " << c.path;
    } catch (const store::OpenError& e) {
      EXPECT_EQ(std::string(e.what()), "cannot open the database " + c.path.string() + ": " + c.cause);
      EXPECT_EQ(std::string(e.what()).find('`'), std::string::npos) << "no statement: " << e.what();
    }
  }
}

TEST_F(StoreTest, TheQuickCheckRefusesAFileDamagedInTheMiddle) {
  {
    store::Store store(db_);
    core::LibraryId library = 0;
    store.write_sync([&](store::Connection& c) {
      library = c.libraries.add(music_library("/m")).id;
      for (int i = 0; i < 3000; ++i) {
        c.tracks.insert(library, "album " + std::to_string(i / 10) + "/track " + std::to_string(i) + ".flac",
                        {1, 1}, metadata("title " + std::to_string(i)), core::Clock::now());
      }
    });
  }
  test::damage_middle_pages(db_);
  store::StoreOptions check;
  check.quick_check = true;
  try {
    store::Store store(db_, check);
    FAIL() << "a damaged database was opened";
  } catch (const store::DamagedDatabase& e) {
    EXPECT_EQ(e.path(), db_);
    ASSERT_FALSE(e.problems().empty());
    EXPECT_LE(e.problems().size(), 10u);
    for (const auto& problem : e.problems()) EXPECT_EQ(problem.find('\n'), std::string::npos) << problem;
    EXPECT_NE(std::string(e.what()).find(db_.string()), std::string::npos);
  }
  // Without the check the same file opens: the check is what refuses it.
  EXPECT_NO_THROW(store::Store unchecked(db_));
}

TEST_F(StoreTest, TheIntegrityCheckStopsWhenItsTimeBudgetRunsOut) {
  {
    store::Store store(db_);
    store.write_sync([&](store::Connection& c) {
      const auto library = c.libraries.add(music_library("/m")).id;
      for (int i = 0; i < 3000; ++i) {
        c.tracks.insert(library, "track " + std::to_string(i), {1, 1}, metadata("t"), core::Clock::now());
      }
    });
  }
  sqlite::Database db(db_);
  const auto cut = store::check_integrity(db, store::IntegrityCheck::full, 10, std::chrono::milliseconds(0));
  EXPECT_FALSE(cut.complete);
  EXPECT_TRUE(cut.problems.empty());
  const auto whole = store::check_integrity(db, store::IntegrityCheck::full);
  EXPECT_TRUE(whole.complete);
  EXPECT_TRUE(whole.problems.empty());
  // The deadline is gone with the check: the connection works as before.
  sqlite::Statement count(db, "SELECT COUNT(*) FROM tracks");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.column_int64(0), 3000);
}

TEST_F(StoreTest, AWriteOnAFullDiskFailsWithSqlitesCodeAndSucceedsOnceSpaceReturns) {
  store::Store store(db_);
  store.write_sync([](store::Connection& c) {
    c.db.exec("CREATE TABLE blobs (data BLOB)");
    sqlite::Statement pages(c.db, "PRAGMA page_count");
    pages.step();
    c.db.exec("PRAGMA max_page_count = " + std::to_string(pages.column_int64(0)));
  });
  const auto big = [](store::Connection& c) { c.db.exec("INSERT INTO blobs VALUES (zeroblob(100000))"); };
  try {
    store.write_sync(big);
    FAIL() << "the write fit";
  } catch (const sqlite::Error& e) {
    EXPECT_EQ(sqlite::fault_of(e.code()), sqlite::Fault::disk_full) << e.what();
  }
  store.write_sync([](store::Connection& c) { c.db.exec("PRAGMA max_page_count = 1073741823"); });
  store.write_sync(big);
  EXPECT_EQ(store.read([](store::Connection& c) {
              sqlite::Statement n(c.db, "SELECT COUNT(*) FROM blobs");
              n.step();
              return n.column_int64(0);
            }),
            1);
}

TEST_F(StoreTest, LibrariesAreUniqueByPath) {
  store::Store store(db_);
  store.write_sync([](store::Connection& c) { c.libraries.add(music_library("/music")); });
  EXPECT_THROW(store.write_sync([](store::Connection& c) { c.libraries.add(music_library("/music")); }),
               sqlite::Error);
  const auto found = store.read([](store::Connection& c) { return c.libraries.find_by_path("/music"); });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "Music");
  EXPECT_EQ(found->type, core::LibraryType::music);
}

TEST_F(StoreTest, TracksRoundTripAndIndexByPath) {
  store::Store store(db_);
  core::LibraryId library = 0;
  core::TrackId id = 0;
  store.write_sync([&](store::Connection& c) {
    library = c.libraries.add(music_library("/music")).id;
    id = c.tracks.insert(library, "Björk/Homogenic/01 - Hunter.flac", {1234, 5678}, metadata("Hunter"),
                         core::Clock::now());
  });
  auto index = store.read([&](store::Connection& c) { return c.tracks.load_index(library); });
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index.at("Björk/Homogenic/01 - Hunter.flac").id, id);
  EXPECT_EQ(index.at("Björk/Homogenic/01 - Hunter.flac").stamp, (core::FileStamp{1234, 5678}));

  store.write_sync([&](store::Connection& c) {
    c.tracks.update(id, {99, 100}, metadata("Hunter (remaster)"), core::Clock::now());
  });
  const auto track = store.read([&](store::Connection& c) { return c.tracks.get(id); });
  ASSERT_TRUE(track);
  EXPECT_EQ(track->metadata.title, "Hunter (remaster)");
  EXPECT_EQ(track->metadata.track_number, 3);
  EXPECT_FALSE(track->metadata.year);  // absent stays absent, not 0
  EXPECT_EQ(track->stamp.size, 99);
}

TEST_F(StoreTest, AFailingWriteRollsBackAloneWithinItsBatch) {
  store::Store store(db_);
  core::LibraryId library = 0;
  store.write_sync([&](store::Connection& c) { library = c.libraries.add(music_library("/m")).id; });
  std::atomic<int> failures = 0;
  for (int i = 0; i < 50; ++i) {
    store.write(
        [&, i](store::Connection& c) {
          c.tracks.insert(library, "t" + std::to_string(i), {1, 1}, metadata("x"), core::Clock::now());
          if (i % 10 == 0) throw std::runtime_error("injected");
        },
        [&](std::exception_ptr error) { failures += error ? 1 : 0; });
  }
  store.flush();
  EXPECT_EQ(failures, 5);
  EXPECT_EQ(store.read([&](store::Connection& c) { return c.tracks.count(library); }), 45);
}

TEST_F(StoreTest, CountersAddUpExactlyUnderConcurrentWriters) {
  store::Store store(db_);
  core::ScanSnapshot scan;
  scan.times.started_at = core::Clock::now();
  store.write_sync([&](store::Connection& c) {
    scan.libraries.push_back({c.libraries.add(music_library("/m")).id, "/m"});
    scan.id = c.scans.create(scan);
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i) {
        core::ScanCounters delta;
        delta.directories_scanned = 1;
        delta.tracks_found = 3;
        delta.errors_count = i % 2;
        store.write([=](store::Connection& c) { c.scans.add_counters(scan.id, delta, "op", std::nullopt); });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  store.flush();
  const auto stored = store.read([&](store::Connection& c) { return c.scans.get(scan.id); });
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->counters.directories_scanned, 1000);
  EXPECT_EQ(stored->counters.tracks_found, 3000);
  EXPECT_EQ(stored->counters.errors_count, 500);
  EXPECT_EQ(stored->libraries.size(), 1u);
}

TEST_F(StoreTest, InterruptedScansAreMarkedFailed) {
  store::Store store(db_);
  core::ScanSnapshot scan;
  scan.times.started_at = core::Clock::now();
  scan.status = core::ScanStatus::scanning;
  store.write_sync([&](store::Connection& c) { scan.id = c.scans.create(scan); });
  std::vector<core::ScanId> failed;
  store.write_sync([&](store::Connection& c) { failed = c.scans.fail_interrupted("restart", core::Clock::now()); });
  ASSERT_EQ(failed, std::vector<core::ScanId>{scan.id});
  const auto stored = store.read([&](store::Connection& c) { return c.scans.get(scan.id); });
  EXPECT_EQ(stored->status, core::ScanStatus::failed);
  EXPECT_EQ(stored->failure, "restart");
  EXPECT_TRUE(stored->times.completed_at);
}
