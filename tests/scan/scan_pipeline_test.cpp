// The scan as a tree of jobs (scan/scan_service.hpp, issue 4 items 2 and 3) on real SQLite
// files and real libraries made by make-library: injected failures are retried with backoff
// and then counted with their reason while the scan still completes; a scan stopped mid-way
// resumes in a new service and ends with exact counts; a movie library goes through scanning
// and caching into a content-addressed cache.
#include "scan/scan_service.hpp"
#include "support/library_fixture.hpp"
#include "support/scan_harness.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace scanhub {
namespace {

using namespace std::chrono_literals;

// An enricher whose failures are injected: tracks with an odd id always fail, the others fail
// their first attempt only. Records when each attempt ran.
class FlakyEnricher : public scan::Enricher {
 public:
  std::string job_type() const override { return "flaky-enrichment"; }
  bool applies_to(core::LibraryType type) const override { return type == core::LibraryType::music; }
  int concurrency() const override { return 2; }
  int max_attempts() const override { return 3; }

  scan::PendingItems pending_items(store::Connection& c, const core::Library& library,
                                   const core::ScanOptions&) override {
    scan::PendingItems pending;
    for (const auto& track : c.tracks.list(library.id)) {
      pending.items.push_back({"track", track.id, library.path + "/" + track.path});
    }
    return pending;
  }

  scan::EnrichmentResult enrich(const scan::EnrichmentItem& item, std::stop_token) override {
    int attempt;
    {
      std::lock_guard lock(mutex_);
      attempts_[item.owner_id].push_back(std::chrono::steady_clock::now());
      attempt = static_cast<int>(attempts_[item.owner_id].size());
    }
    if (item.owner_id % 2 == 1) throw std::runtime_error("injected failure " + std::to_string(attempt));
    if (attempt == 1) throw std::runtime_error("injected first-attempt failure");
    return {};
  }

  std::map<std::int64_t, std::vector<std::chrono::steady_clock::time_point>> attempts() {
    std::lock_guard lock(mutex_);
    return attempts_;
  }

 private:
  std::mutex mutex_;
  std::map<std::int64_t, std::vector<std::chrono::steady_clock::time_point>> attempts_;
};

core::ScanSnapshot stored_scan(store::Store& store, core::ScanId id) {
  return *store.read([&](store::Connection& c) { return c.scans.get(id); });
}

TEST(ScanPipeline, InjectedFailuresAreRetriedWithBackoffThenCountedAndTheScanCompletes) {
  test::TempDir dir;
  const auto manifest = test::make_library(dir / "library", 16, 3, false);
  auto enricher = std::make_shared<FlakyEnricher>();
  store::Store store(dir / "scanhub.db");
  progress::EventBus bus;
  progress::ProgressTracker tracker(bus, 0ms);
  media::TagLibReader reader;
  scan::ScanServiceOptions options = test::scan_options(2);
  options.enrichers = {enricher};
  options.retry.base = 100ms;
  options.retry.jitter = 0;
  scan::ScanService service(store, tracker, reader, std::move(options));
  core::Library library;
  library.path = (dir / "library").string();
  library.name = "library";
  library.created_at = core::Clock::now();
  store.write_sync([&](store::Connection& c) { library = c.libraries.add(library); });

  const auto id = service.start({library}, core::ScanTrigger::manual).id;
  ASSERT_TRUE(service.wait_for(id, 60s)) << "the scan ended";
  const auto scan = stored_scan(store, id);
  EXPECT_EQ(scan.status, core::ScanStatus::completed);
  const auto n = static_cast<std::int64_t>(manifest.tracks.size());
  const auto tracks = store.read([&](store::Connection& c) { return c.tracks.list(library.id); });
  const auto odd = std::count_if(tracks.begin(), tracks.end(), [](const core::Track& t) { return t.id % 2 == 1; });
  EXPECT_EQ(scan.counters.enrichment_queued, n);
  EXPECT_EQ(scan.counters.enrichment_failed, odd);
  EXPECT_EQ(scan.counters.enrichment_completed, n - odd);
  EXPECT_EQ(scan.counters.errors_count, odd) << "a failure for good is one error, retries are not";
  ASSERT_TRUE(scan.last_error);
  EXPECT_NE(scan.last_error->find("injected failure 3"), std::string::npos) << *scan.last_error;

  const auto errors = store.read([&](store::Connection& c) { return c.scans.errors(id, 1000); });
  ASSERT_EQ(static_cast<std::int64_t>(errors.size()), odd);
  for (const auto& e : errors) {
    EXPECT_EQ(e.reason, "flaky-enrichment failed: injected failure 3") << e.path;
    EXPECT_NE(e.path.find(".") , std::string::npos) << "the error names the track's file";
  }
  for (const auto& [track, times] : enricher->attempts()) {
    ASSERT_EQ(times.size(), track % 2 == 1 ? 3u : 2u) << "track " << track;
    // Exponential backoff without jitter: 100 ms after the first failure, 200 ms after the second.
    for (std::size_t i = 1; i < times.size(); ++i) {
      EXPECT_GE(times[i] - times[i - 1], 100ms * (1 << (i - 1)) - 5ms) << "track " << track << " attempt " << i + 1;
    }
  }
}

TEST(ScanPipeline, AScanStoppedMidwayResumesInTheNextServiceWithExactCounts) {
  test::TempDir dir;
  const auto manifest = test::make_library(dir / "library", 120, 5, true);
  core::ScanId id = 0;
  core::Library library;
  store::Store store(dir / "scanhub.db");
  progress::EventBus bus;
  progress::ProgressTracker tracker(bus, 0ms);
  media::TagLibReader reader;
  library.path = (dir / "library").string();
  library.name = "library";
  library.created_at = core::Clock::now();
  store.write_sync([&](store::Connection& c) { library = c.libraries.add(library); });
  {
    scan::ScanServiceOptions options = test::scan_options(2);
    options.directory_delay_for_test = 150ms;
    scan::ScanService service(store, tracker, reader, std::move(options));
    id = service.start({library}, core::ScanTrigger::manual).id;
    for (int i = 0; i < 500 && stored_scan(store, id).counters.directories_scanned < 3; ++i) {
      std::this_thread::sleep_for(10ms);
    }
  }  // stopped: running jobs return to pending, the scan stays as it is
  const auto stopped = stored_scan(store, id);
  ASSERT_EQ(stopped.status, core::ScanStatus::scanning);
  ASSERT_GE(stopped.counters.directories_scanned, 3);
  ASSERT_LT(stopped.counters.directories_scanned, manifest.directories_with_audio);

  scan::ScanService service(store, tracker, reader, test::scan_options(2));
  EXPECT_EQ(service.resumed_scans(), std::vector<core::ScanId>{id});
  ASSERT_TRUE(service.wait_for(id, 60s));
  const auto scan = stored_scan(store, id);
  EXPECT_EQ(scan.status, core::ScanStatus::completed);
  EXPECT_EQ(scan.counters.directories_total, manifest.directories_with_audio);
  EXPECT_EQ(scan.counters.directories_scanned, manifest.directories_with_audio);
  EXPECT_EQ(scan.counters.tracks_found, static_cast<std::int64_t>(manifest.tracks.size()));
  EXPECT_EQ(scan.counters.tracks_new, static_cast<std::int64_t>(manifest.tracks.size()));
  EXPECT_EQ(scan.counters.errors_count, static_cast<std::int64_t>(manifest.error_paths.size()));
  EXPECT_EQ(store.read([&](store::Connection& c) { return c.tracks.list(library.id); }).size(),
            manifest.tracks.size());
  const auto again = tracker.snapshot(id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->counters, scan.counters) << "live progress ends at the stored counts";
}

TEST(ScanPipeline, ACancelledScanCancelsItsJobsAndARestartDoesNotRunThem) {
  test::TempDir dir;
  test::make_library(dir / "library", 60, 6, false);
  store::Store store(dir / "scanhub.db");
  progress::EventBus bus;
  progress::ProgressTracker tracker(bus, 0ms);
  media::TagLibReader reader;
  core::Library library;
  library.path = (dir / "library").string();
  library.name = "library";
  library.created_at = core::Clock::now();
  store.write_sync([&](store::Connection& c) { library = c.libraries.add(library); });
  core::ScanId id = 0;
  {
    scan::ScanServiceOptions options = test::scan_options(1);
    options.directory_delay_for_test = 200ms;
    scan::ScanService service(store, tracker, reader, std::move(options));
    id = service.start({library}, core::ScanTrigger::manual).id;
    for (int i = 0; i < 500 && stored_scan(store, id).status == core::ScanStatus::discovering; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    const auto started = std::chrono::steady_clock::now();
    ASSERT_TRUE(service.cancel(id));
    ASSERT_TRUE(service.wait_for(id, 5s));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s) << "cancel does not wait for each directory";
  }
  const auto counts = store.read([&](store::Connection& c) { return c.jobs.count_for_scan(id); });
  EXPECT_EQ(counts.pending + counts.processing, 0);
  EXPECT_GT(counts.cancelled, 0);
  scan::ScanService service(store, tracker, reader, test::scan_options(1));
  EXPECT_TRUE(service.resumed_scans().empty());
  EXPECT_EQ(stored_scan(store, id).status, core::ScanStatus::cancelled);
}

}  // namespace
}  // namespace scanhub
