// A scan against storage faults, on real SQLite files and a real generated library: a database
// that cannot grow (PRAGMA max_page_count, SQLite's SQLITE_FULL as on a full disk) pauses the
// scan with the reason in its live snapshot, and it completes with the manifest's exact counts
// once space returns; a database damaged in the middle fails the scan with the reason instead
// of leaving it running for ever.

#include "lib/sqlite/statement.hpp"
#include "support/damaged_table.hpp"
#include "support/library_fixture.hpp"
#include "support/scan_harness.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

using namespace scanhub;
using std::chrono::milliseconds;

namespace {

scan::ScanServiceOptions quick_retries(unsigned workers) {
  auto options = test::scan_options(workers);
  options.queue.poll_interval = milliseconds(20);
  options.queue.storage_backoff = {milliseconds(20), milliseconds(200), milliseconds(60000)};
  options.retry = {milliseconds(10), milliseconds(10), 0.0};
  return options;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::seconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return condition();
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

}  // namespace

TEST(ScanStorage, AFullDatabasePausesTheScanWithTheReasonAndItCompletesExactlyWhenSpaceReturns) {
  test::TempDir dir;
  const auto manifest = test::make_library(dir / "library", 150, 11, false);
  const auto db = dir / "scanhub.db";
  store::Store store(db);
  progress::EventBus bus;
  progress::ProgressTracker tracker(bus, milliseconds(0));
  test::GatedReader reader;
  scan::ScanService service(store, tracker, reader, quick_retries(2));
  core::Library library;
  library.path = (dir / "library").string();
  library.name = "library";
  library.created_at = core::Clock::now();
  store.write_sync([&](store::Connection& c) { library = c.libraries.add(library); });

  const auto id = service.start({library}, core::ScanTrigger::manual).id;
  reader.wait_for_reader();  // discovery committed; directory scans are reading tags
  store.write_sync([](store::Connection& c) {
    sqlite::Statement pages(c.db, "PRAGMA page_count");
    pages.step();
    c.db.exec("PRAGMA max_page_count = " + std::to_string(pages.column_int64(0)));
  });
  reader.open();

  ASSERT_TRUE(wait_until([&] { return service.queue().storage_status().state == queue::StorageStatus::State::paused; }));
  // The scan says why it does not move, and is not failed for it.
  ASSERT_TRUE(wait_until([&] {
    const auto s = tracker.snapshot(id);
    return s && s->current_operation.starts_with("Paused: the disk holding the database " + db.string() + " is full");
  })) << tracker.snapshot(id)->current_operation;
  const auto paused = *tracker.snapshot(id);
  EXPECT_EQ(paused.status, core::ScanStatus::scanning);
  ASSERT_TRUE(paused.last_error);
  EXPECT_NE(paused.last_error->find("is full"), std::string::npos) << *paused.last_error;
  EXPECT_FALSE(paused.failure);
  EXPECT_LT(paused.counters.directories_scanned, manifest.directories_with_audio);

  store.write_sync([](store::Connection& c) { c.db.exec("PRAGMA max_page_count = 1073741823"); });
  ASSERT_TRUE(service.wait_for(id, milliseconds(120000)));
  const auto scan = *store.read([&](store::Connection& c) { return c.scans.get(id); });
  EXPECT_EQ(scan.status, core::ScanStatus::completed) << scan.failure.value_or("");
  const auto n = static_cast<std::int64_t>(manifest.tracks.size());
  EXPECT_EQ(scan.counters.tracks_found, n);
  EXPECT_EQ(scan.counters.tracks_new, n) << "each track inserted once";
  EXPECT_EQ(scan.counters.directories_total, manifest.directories_with_audio);
  EXPECT_EQ(scan.counters.directories_scanned, manifest.directories_with_audio) << "each directory counted once";
  EXPECT_EQ(scan.counters.errors_count, 0);
  EXPECT_EQ(scan.counters.assets_failed, 0);
  EXPECT_EQ(scan.counters.assets_cached, scan.counters.assets_queued);
  EXPECT_EQ(store.read([&](store::Connection& c) { return c.tracks.count(library.id); }), n);
  EXPECT_EQ(service.queue().storage_status().state, queue::StorageStatus::State::ok);
}

TEST(ScanStorage, AScanThatMeetsADamagedDatabaseFailsWithTheReason) {
  test::TempDir dir;
  test::make_library(dir / "library", 300, 12, false);
  const auto db = dir / "scanhub.db";
  core::Library library;
  {
    test::ScanHarness first(db, 2);
    library = first.add_library(dir / "library");
    ASSERT_EQ(first.scan(library).status, core::ScanStatus::completed);
  }  // closed: the WAL is checkpointed into the file
  test::damage_table_pages(db, "tracks");

  // Opened without the start-up check (that one refuses the file: store tests).
  test::ScanHarness harness(db, 2);
  std::vector<core::ScanStatus> finished;
  std::mutex mutex;
  harness.bus.subscribe([&](const progress::Event& event) {
    if (const auto* f = std::get_if<progress::ScanFinished>(&event)) {
      std::lock_guard lock(mutex);
      finished.push_back(f->scan.status);
    }
  });
  // Only the tracks table is damaged: the scan's row is written, and its directory-scan jobs
  // meet the damage when they read the stored tracks.
  const core::ScanId id = harness.service.start({library}, core::ScanTrigger::manual).id;
  ASSERT_TRUE(harness.service.wait_for(id, milliseconds(60000))) << "the scan never ended";
  const auto live = harness.tracker.snapshot(id);
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, core::ScanStatus::failed);
  ASSERT_TRUE(live->failure);
  EXPECT_NE(live->failure->find("the database file " + db.string() + " is damaged"), std::string::npos)
      << *live->failure;
  EXPECT_NE(live->failure->find("scanhub db check"), std::string::npos) << *live->failure;
  std::lock_guard lock(mutex);
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished.front(), core::ScanStatus::failed);
  EXPECT_EQ(harness.service.queue().storage_status().state, queue::StorageStatus::State::damaged);
}
