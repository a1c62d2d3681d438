// The file-system watcher (issue 4): ChangeQueue's debounce and folding with explicit time
// points; ScanService's incremental scan of given directories; LibraryWatcher on real inotify
// over a real library (make-library) and a real SQLite file, with short timings.

#include "scan/library_watcher.hpp"

#include "support/library_fixture.hpp"
#include "support/scan_harness.hpp"

#include <taglib/fileref.h>
#include <taglib/tag.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

using namespace scanhub;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// ---- ChangeQueue --------------------------------------------------------------------------

const scan::WatcherTimings kTimings{1000ms, 3000ms, 500ms};
const Clock::time_point t0{};

TEST(ChangeQueueTest, ChangesFoldIntoTheirQueuedAncestor) {
  scan::ChangeQueue queue(kTimings);
  queue.add(1, "Artist/Album", t0);
  queue.add(1, "Artist/Album/CD1", t0);  // below a queued directory: nothing new
  queue.add(1, "Artist B", t0);
  queue.add(1, "Artist Bee/Album", t0);  // shares a prefix, is no descendant
  EXPECT_EQ(queue.pending(1), (std::vector<std::string>{"Artist B", "Artist Bee/Album", "Artist/Album"}));
  queue.add(1, "Artist", t0);  // an ancestor absorbs what was queued below it
  EXPECT_EQ(queue.pending(1), (std::vector<std::string>{"Artist", "Artist B", "Artist Bee/Album"}));
  queue.add(1, "", t0);  // the root absorbs everything
  EXPECT_EQ(queue.pending(1), (std::vector<std::string>{""}));
  queue.add(1, "Other", t0);
  EXPECT_EQ(queue.pending(1), (std::vector<std::string>{""}));
}

TEST(ChangeQueueTest, ABatchIsDueAfterAQuietPeriod) {
  scan::ChangeQueue queue(kTimings);
  EXPECT_FALSE(queue.next_due());
  queue.add(1, "a", t0);
  queue.add(1, "b", t0 + 500ms);  // restarts the quiet period
  EXPECT_EQ(queue.next_due(), t0 + 1500ms);
  EXPECT_TRUE(queue.take_due(t0 + 1499ms).empty());
  const auto batches = queue.take_due(t0 + 1500ms);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].library, 1);
  EXPECT_EQ(batches[0].directories, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(batches[0].full);
  EXPECT_FALSE(queue.next_due());  // taken: nothing pending
}

TEST(ChangeQueueTest, AConstantStreamStillTriggersAtTheMaximumDelay) {
  scan::ChangeQueue queue(kTimings);
  std::size_t batches = 0;
  Clock::time_point fired{};
  for (auto t = t0; t <= t0 + 3500ms; t += 250ms) {  // never quiet for a second
    queue.add(1, "a", t);
    const auto due = queue.take_due(t);
    if (!due.empty() && batches++ == 0) fired = t;
  }
  EXPECT_EQ(batches, 1u);
  EXPECT_EQ(fired, t0 + 3000ms);
  EXPECT_EQ(queue.pending(1), (std::vector<std::string>{"a"}));  // the stream goes on queuing
}

TEST(ChangeQueueTest, LibrariesHaveTheirOwnBatches) {
  scan::ChangeQueue queue(kTimings);
  queue.add(1, "a", t0);
  queue.add(2, "a", t0 + 800ms);
  auto first = queue.take_due(t0 + 1000ms);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].library, 1);
  auto second = queue.take_due(t0 + 1800ms);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].library, 2);
}

TEST(ChangeQueueTest, ADeferredBatchWaitsTheRetryIntervalAndKeepsLaterChanges) {
  scan::ChangeQueue queue(kTimings);
  queue.add(1, "a/x", t0);
  auto batches = queue.take_due(t0 + 1000ms);
  ASSERT_EQ(batches.size(), 1u);
  queue.defer(std::move(batches[0]), t0 + 1000ms);  // the library was busy
  EXPECT_EQ(queue.next_due(), t0 + 1500ms);
  queue.add(1, "a", t0 + 1100ms);  // absorbs the deferred a/x
  queue.add(1, "b", t0 + 1100ms);
  // The deferred changes have waited their maximum delay: the retry does not wait for quiet.
  EXPECT_TRUE(queue.take_due(t0 + 1499ms).empty());
  batches = queue.take_due(t0 + 1500ms);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].directories, (std::vector<std::string>{"a", "b"}));
}

TEST(ChangeQueueTest, AnOverflowMakesTheBatchAFullScan) {
  scan::ChangeQueue queue(kTimings);
  queue.add(1, "a", t0);
  queue.add_full(1, t0 + 100ms);
  queue.add(1, "b", t0 + 200ms);
  const auto batches = queue.take_due(t0 + 1200ms);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_TRUE(batches[0].full);
  EXPECT_TRUE(batches[0].directories.empty());
  // A full batch that had to wait stays full.
  auto deferred = batches[0];
  queue.defer(std::move(deferred), t0 + 1200ms);
  queue.add(1, "c", t0 + 1300ms);
  const auto again = queue.take_due(t0 + 2300ms);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].full);
}

// ---- helpers over a real library ------------------------------------------------------------

void retitle(const fs::path& path, const std::string& title) {
  TagLib::FileRef ref(path.c_str());
  ASSERT_FALSE(ref.isNull());
  ref.tag()->setTitle(TagLib::String(title, TagLib::String::UTF8));
  ASSERT_TRUE(ref.save());
}

// Polls `done` every 20 ms for at most `limit`.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 15000ms) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

class LibraryTest : public ::testing::Test {
 protected:
  explicit LibraryTest(const media::TagReader* reader = nullptr) : harness_(dir_ / "scanhub.db", 2, reader) {
    manifest_ = test::make_library(dir_ / "library", 24, 5, false);
    library_ = harness_.add_library(dir_ / "library");
  }

  fs::path file(const std::string& relative) const { return dir_ / "library" / relative; }
  const std::string& track_path(std::size_t i) const { return manifest_.tracks.at(i).path; }
  std::string album_of(std::size_t i) const { return fs::path(track_path(i)).parent_path().string(); }
  // The first track in an album other than `album`'s.
  std::size_t track_outside(const std::string& album) const {
    for (std::size_t i = 0; i < manifest_.tracks.size(); ++i) {
      if (album_of(i) != album) return i;
    }
    throw std::logic_error("one album only");
  }

  std::map<std::string, core::Track> tracks_by_path() {
    std::map<std::string, core::Track> tracks;
    for (auto& t : harness_.tracks(library_)) tracks.emplace(t.path, t);
    return tracks;
  }

  core::ScanSnapshot scoped_scan(const std::vector<std::string>& directories) {
    const auto id = harness_.service.start({library_}, core::ScanTrigger::file_system_event, {}, directories).id;
    harness_.service.wait(id);
    return *harness_.store.read([&](store::Connection& c) { return c.scans.get(id); });
  }

  // Nothing pending and every scan ended, twice a quiet period apart (events still in flight
  // would have queued something by then).
  bool settled(const scan::LibraryWatcher& watcher) {
    const auto quiet = [&] {
      const auto status = watcher.status();
      if (status.empty() || !status[0].pending.empty()) return false;
      const auto scans = watcher_scans();
      return std::all_of(scans.begin(), scans.end(), [](const auto& s) { return core::is_terminal(s.status); });
    };
    if (!eventually(quiet)) return false;
    std::this_thread::sleep_for(400ms);
    return eventually(quiet);
  }

  std::vector<core::ScanSnapshot> watcher_scans() {
    auto scans = harness_.store.read([](store::Connection& c) { return c.scans.list(100); });
    std::erase_if(scans, [](const auto& s) { return s.trigger != core::ScanTrigger::file_system_event; });
    return scans;
  }

  test::TempDir dir_;
  test::ScanHarness harness_;
  test::Manifest manifest_;
  core::Library library_;
};

// ---- ScanService: incremental scan of directories ---------------------------------------------

class ScopedScanTest : public LibraryTest {
 protected:
  void SetUp() override {
    const auto first = harness_.scan(library_);
    ASSERT_EQ(first.status, core::ScanStatus::completed);
    ASSERT_EQ(first.counters.tracks_new, 24);
  }
};

TEST_F(ScopedScanTest, OnlyTheGivenDirectoriesAreScannedAndJudged) {
  const std::string album = album_of(0);
  const std::size_t elsewhere = track_outside(album);
  retitle(file(track_path(0)), "Changed");
  fs::copy_file(file(track_path(0)), file(album + "/99 - Added.mp3").replace_extension(fs::path(track_path(0)).extension()));
  fs::remove(file(track_path(elsewhere)));  // outside the scope: must not be noticed yet

  const auto scan = scoped_scan({album});
  EXPECT_EQ(scan.status, core::ScanStatus::completed);
  EXPECT_EQ(scan.trigger, core::ScanTrigger::file_system_event);
  EXPECT_EQ(scan.counters.directories_total, 1);
  EXPECT_EQ(scan.counters.tracks_new, 1);
  EXPECT_EQ(scan.counters.tracks_removed, 0);
  auto tracks = tracks_by_path();
  EXPECT_EQ(tracks.size(), 25u);
  EXPECT_EQ(tracks.at(track_path(0)).metadata.title, "Changed");
  EXPECT_TRUE(tracks.contains(track_path(elsewhere)));  // nothing outside was touched

  const auto other = scoped_scan({album_of(elsewhere)});
  EXPECT_EQ(other.counters.tracks_removed, 1);
  EXPECT_FALSE(tracks_by_path().contains(track_path(elsewhere)));
}

TEST_F(ScopedScanTest, AGoneDirectoryLosesItsTracksAndNestedEntriesAreFolded) {
  const std::string album = album_of(0);
  std::int64_t in_album = 0;
  for (const auto& t : manifest_.tracks) in_album += fs::path(t.path).parent_path() == album;
  fs::remove_all(file(album));
  // The album twice and its parent: folded into the parent, walked once.
  const std::string artist = fs::path(album).parent_path().string();
  const auto scan = scoped_scan({album, artist + "/", album});
  EXPECT_EQ(scan.status, core::ScanStatus::completed);
  EXPECT_EQ(scan.counters.tracks_removed, in_album);
  EXPECT_EQ(scan.counters.tracks_new + scan.counters.tracks_updated, 0);
  EXPECT_EQ(static_cast<std::int64_t>(tracks_by_path().size()), 24 - in_album);
}

TEST_F(ScopedScanTest, AScopeBelowAScanignoreHoldsNothing) {
  const std::string album = album_of(0);
  const std::string artist = fs::path(album).parent_path().string();
  std::ofstream(file(artist + "/.scanignore")).put('\n');
  const auto scan = scoped_scan({album});
  std::int64_t in_album = 0;
  for (const auto& t : manifest_.tracks) in_album += fs::path(t.path).parent_path() == album;
  EXPECT_EQ(scan.counters.tracks_removed, in_album);
  EXPECT_EQ(scan.counters.directories_total, 0);
}

TEST_F(ScopedScanTest, BadScopesAreRefused) {
  auto& service = harness_.service;
  const auto trigger = core::ScanTrigger::file_system_event;
  EXPECT_THROW(service.start({library_}, trigger, {}, {"/etc"}), std::invalid_argument);
  EXPECT_THROW(service.start({library_}, trigger, {}, {"a/../.."}), std::invalid_argument);
  EXPECT_THROW(service.start({library_}, trigger, {}, {"a//b"}), std::invalid_argument);
  EXPECT_THROW(service.start({library_, library_}, trigger, {}, {"a"}), std::invalid_argument);
  EXPECT_TRUE(harness_.store.read([](store::Connection& c) { return c.scans.list(10); }).size() == 1);
}

// ---- LibraryWatcher on real inotify -------------------------------------------------------------

const scan::LibraryWatcherOptions kFast{{200ms, 2000ms, 50ms}, 0};

class WatcherTest : public ScopedScanTest {};

TEST_F(WatcherTest, AddedChangedAndRemovedFilesReachTheDatabase) {
  scan::LibraryWatcher watcher(harness_.service, kFast);
  watcher.watch(library_);
  ASSERT_EQ(watcher.status().size(), 1u);
  const std::size_t watched = watcher.status()[0].watched_directories;
  EXPECT_GE(watched, 3u);  // the root, artists, albums

  const std::string album = album_of(0);
  const std::size_t removed = track_outside(album);
  const std::string ext = fs::path(track_path(0)).extension().string();
  const std::string added = "Watcher Artist/Watcher Album/01 - New" + ext;
  fs::create_directories(file("Watcher Artist/Watcher Album"));
  fs::copy_file(file(track_path(0)), file(added));
  retitle(file(track_path(0)), "Retitled by the watcher test");
  fs::remove(file(track_path(removed)));

  ASSERT_TRUE(eventually([&] {
    const auto t = tracks_by_path();
    return t.contains(added) && !t.contains(track_path(removed)) &&
           t.at(track_path(0)).metadata.title == "Retitled by the watcher test";
  })) << "the database did not catch up";
  // Every watcher scan ended, with trigger FileSystemEvent, and together they counted exactly
  // one new, one updated and one removed track.
  ASSERT_TRUE(settled(watcher));
  core::ScanCounters sum;
  for (const auto& s : watcher_scans()) {
    EXPECT_EQ(s.status, core::ScanStatus::completed);
    sum += s.counters;
  }
  EXPECT_EQ(sum.tracks_new, 1);
  EXPECT_EQ(sum.tracks_updated, 1);
  EXPECT_EQ(sum.tracks_removed, 1);
  EXPECT_EQ(sum.errors_count, 0);
  // The new directories are watched now.
  EXPECT_TRUE(eventually([&] { return watcher.status()[0].watched_directories == watched + 2; }));

  // A file added in the new album later is seen through the new album's own watch, and only
  // that album is scanned.
  const std::size_t scans_before = watcher.status()[0].scans_started;
  fs::copy_file(file(track_path(1)), file("Watcher Artist/Watcher Album/02 - Later" + ext));
  ASSERT_TRUE(eventually([&] { return tracks_by_path().contains("Watcher Artist/Watcher Album/02 - Later" + ext); }));
  ASSERT_TRUE(settled(watcher));
  EXPECT_EQ(watcher.status()[0].scans_started, scans_before + 1);
  const auto last = *watcher.status()[0].last_scan;
  harness_.service.wait(last);
  const auto scan = *harness_.store.read([&](store::Connection& c) { return c.scans.get(last); });
  EXPECT_EQ(scan.counters.directories_total, 1);  // just the new album, not the library
  EXPECT_EQ(scan.counters.tracks_new, 1);
}

TEST_F(WatcherTest, ARenamedAlbumMovesItsTracksAndStaysWatched) {
  scan::LibraryWatcher watcher(harness_.service, kFast);
  watcher.watch(library_);
  const std::size_t watched = watcher.status()[0].watched_directories;
  const std::string album = album_of(0);
  const std::string renamed = album + " (Remaster)";
  std::size_t in_album = 0;
  for (const auto& t : manifest_.tracks) in_album += fs::path(t.path).parent_path() == album;
  fs::rename(file(album), file(renamed));
  const std::string moved = renamed + "/" + fs::path(track_path(0)).filename().string();
  ASSERT_TRUE(eventually([&] {
    const auto t = tracks_by_path();
    return t.contains(moved) && !t.contains(track_path(0));
  }));
  ASSERT_TRUE(settled(watcher));
  core::ScanCounters sum;
  for (const auto& s : watcher_scans()) sum += s.counters;
  EXPECT_EQ(sum.tracks_removed, static_cast<std::int64_t>(in_album));
  EXPECT_EQ(sum.tracks_new, static_cast<std::int64_t>(in_album));
  EXPECT_EQ(watcher.status()[0].watched_directories, watched);  // the old watch went, the new came

  // The renamed album's watch reports its own changes.
  fs::remove(file(moved));
  EXPECT_TRUE(eventually([&] { return !tracks_by_path().contains(moved); }));
}

TEST_F(WatcherTest, AScanignoreHidesAnAlbumAndItsRemovalBringsItBack) {
  scan::LibraryWatcher watcher(harness_.service, kFast);
  watcher.watch(library_);
  const std::string album = album_of(0);
  std::size_t in_album = 0;
  for (const auto& t : manifest_.tracks) in_album += fs::path(t.path).parent_path() == album;
  std::ofstream(file(album + "/.scanignore")).put('\n');
  ASSERT_TRUE(eventually([&] { return tracks_by_path().size() == 24 - in_album; }));
  ASSERT_TRUE(settled(watcher));
  // Ignored: its files changing starts nothing.
  const std::size_t scans = watcher.status()[0].scans_started;
  fs::remove(file(track_path(0)));
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(watcher.status()[0].scans_started, scans);

  fs::remove(file(album + "/.scanignore"));
  ASSERT_TRUE(eventually([&] { return tracks_by_path().size() == 24 - 1; }));
  EXPECT_FALSE(tracks_by_path().contains(track_path(0)));
}

TEST_F(WatcherTest, AnUnwatchedLibraryStartsNoScan) {
  scan::LibraryWatcher watcher(harness_.service, kFast);
  watcher.watch(library_);
  EXPECT_TRUE(watcher.unwatch(library_.id));
  EXPECT_FALSE(watcher.unwatch(library_.id));
  fs::remove(file(track_path(0)));
  std::this_thread::sleep_for(600ms);
  EXPECT_TRUE(watcher.status().empty());
  EXPECT_TRUE(watcher_scans().empty());
}

TEST_F(WatcherTest, HiddenDirectoriesAndOtherFilesStartNoScan) {
  scan::LibraryWatcher watcher(harness_.service, kFast);
  watcher.watch(library_);
  const std::size_t watched = watcher.status()[0].watched_directories;
  const std::string ext = fs::path(track_path(0)).extension().string();
  fs::create_directories(file(album_of(0) + "/.hidden"));
  std::this_thread::sleep_for(400ms);  // past the quiet period: a hidden directory's creation is no change
  fs::copy_file(file(track_path(0)), file(album_of(0) + "/.hidden/x" + ext));
  std::ofstream(file(album_of(0) + "/notes.txt")) << "not audio\n";
  std::this_thread::sleep_for(600ms);  // three quiet periods
  EXPECT_EQ(watcher.status()[0].scans_started, 0u);
  EXPECT_EQ(watcher.status()[0].watched_directories, watched);
}

TEST_F(WatcherTest, AnOverflowScansTheWholeLibrary) {
  scan::LibraryWatcher watcher(harness_.service, kFast);
  watcher.watch(library_);
  watcher.overflow_for_test(library_.id);
  ASSERT_TRUE(eventually([&] { return watcher.status()[0].last_scan.has_value(); }));
  const auto id = *watcher.status()[0].last_scan;
  harness_.service.wait(id);
  const auto scan = *harness_.store.read([&](store::Connection& c) { return c.scans.get(id); });
  EXPECT_EQ(scan.trigger, core::ScanTrigger::file_system_event);
  EXPECT_EQ(scan.status, core::ScanStatus::completed);
  EXPECT_EQ(scan.counters.directories_total, manifest_.directories_with_audio);
  EXPECT_EQ(scan.counters.tracks_found, 24);
  EXPECT_EQ(watcher.status()[0].overflows, 1u);
}

TEST_F(WatcherTest, TheWatchLimitDegradesWithoutFailing) {
  scan::LibraryWatcherOptions limited = kFast;
  limited.max_watches_for_test = 2;
  scan::LibraryWatcher watcher(harness_.service, limited);
  EXPECT_NO_THROW(watcher.watch(library_));
  const auto status = watcher.status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].watched_directories, 2u);
  EXPECT_GE(status[0].unwatched_directories, 1u);
  // A library whose root finds the limit reached cannot be watched, and says why.
  core::Library second = library_;
  second.id = library_.id + 1;
  try {
    watcher.watch(second);
    ADD_FAILURE() << "watched past the limit";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOSPC) << e.what();
  }
  EXPECT_EQ(watcher.status().size(), 1u);
  // The root is watched: a change there still triggers a scan.
  const std::string ext = fs::path(track_path(0)).extension().string();
  fs::copy_file(file(track_path(0)), file("At the root" + ext));
  EXPECT_TRUE(eventually([&] { return tracks_by_path().contains("At the root" + ext); }));
}

TEST_F(WatcherTest, AMissingLibraryCannotBeWatched) {
  scan::LibraryWatcher watcher(harness_.service, kFast);
  core::Library gone = library_;
  gone.id = library_.id + 100;
  gone.path = (dir_ / "no such directory").string();
  EXPECT_THROW(watcher.watch(gone), std::system_error);
  EXPECT_TRUE(watcher.status().empty());
}

// A scan running for the library: the watcher's batch waits for it, then runs; none is lost.
class BusyWatcherTest : public LibraryTest {
 protected:
  BusyWatcherTest() : LibraryTest(&gate_) {}
  test::GatedReader gate_;  // constructed before the harness uses it: only its address is taken
};

TEST_F(BusyWatcherTest, ABatchWaitsForTheRunningScanAndThenRuns) {
  scan::LibraryWatcher watcher(harness_.service, kFast);
  watcher.watch(library_);
  const auto manual = harness_.service.start({library_}, core::ScanTrigger::manual).id;
  gate_.wait_for_reader();  // the manual scan is in its scanning phase

  const std::string ext = fs::path(track_path(0)).extension().string();
  const std::string added = "Late Artist/Late Album/01 - Late" + ext;
  fs::create_directories(file("Late Artist/Late Album"));
  fs::copy_file(file(track_path(0)), file(added));
  std::this_thread::sleep_for(600ms);  // the batch is due, and refused while the scan runs
  EXPECT_EQ(watcher.status()[0].scans_started, 0u);
  EXPECT_FALSE(harness_.service.wait_for(manual, 0ms));

  gate_.open();
  harness_.service.wait(manual);
  ASSERT_TRUE(eventually([&] { return watcher.status()[0].scans_started >= 1; }));
  const auto id = *watcher.status()[0].last_scan;
  EXPECT_GT(id, manual);
  harness_.service.wait(id);
  EXPECT_TRUE(tracks_by_path().contains(added));
  EXPECT_EQ(harness_.store.read([&](store::Connection& c) { return c.scans.get(id); })->status,
            core::ScanStatus::completed);
}

}  // namespace
