// The EventFeed over real scans: a ScanService on a real SQLite file scanning a library made by
// tools/make-library (music; movies in Kodi's layout, with assets to cache), its queue's events
// bridged to the bus as `scanhub serve` does (app/queue_events). What a /ws or SSE client of the
// feed would see: every job of the scan created, started and completed (or failed) in that
// order; scan:progress counts that never go backwards and end at the database's; queue:stats
// ending with nothing pending or processing.
#include "app/queue_events.hpp"
#include "events/feed.hpp"
#include "media/tag_reader.hpp"
#include "scan/scan_service.hpp"
#include "support/library_fixture.hpp"
#include "support/temp_dir.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

namespace scanhub::events {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

class Collect : public EventSink {
 public:
  void deliver(const SharedRecord& record) noexcept override {
    std::lock_guard lock(mutex_);
    records_.push_back(record);
  }
  std::vector<SharedRecord> records() const {
    std::lock_guard lock(mutex_);
    return records_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<SharedRecord> records_;
};

struct Scanned {
  core::ScanSnapshot stored;
  std::vector<core::Job> jobs;
  std::vector<SharedRecord> records;
};

// Scans `library_path` (of `type`) on a fresh database with the feed listening, and waits for
// the queue:stats that says the queue is idle.
Scanned scan_with_feed(const test::TempDir& dir, const std::filesystem::path& library_path, core::LibraryType type) {
  store::Store store(dir / "scanhub.db");
  progress::EventBus bus;
  progress::ProgressTracker tracker(bus, 20ms);
  EventHistory history;
  auto sink = std::make_shared<Collect>();
  EventFeedOptions options;
  options.library_lookup = store_library_lookup(store);
  EventFeed feed(bus, history, options);
  feed.add_sink(sink);
  app::QueueEventBridge bridge(bus);
  media::TagLibReader reader;
  scan::ScanServiceOptions scan_options;
  scan_options.workers = 2;
  scan_options.observers = {&bridge};
  scan::ScanService service(store, tracker, reader, scan_options);

  core::Library library;
  library.path = library_path.string();
  library.name = "Fixture";
  library.type = type;
  library.created_at = core::Clock::now();
  store.write_sync([&](store::Connection& c) { library = c.libraries.add(library); });
  const auto id = service.start({library}, core::ScanTrigger::manual).id;
  EXPECT_TRUE(service.wait_for(id, 120s));

  store::JobFilter filter;
  filter.scan_id = id;
  filter.limit = 100000;
  const auto jobs = store.read([&](store::Connection& c) { return c.jobs.list(filter); });

  // A job's completion is told after its commit, the one that may end the scan, so the last
  // ones can follow the scan's end; queue:stats leaves at most once a second (the queue) and is
  // coalesced again (the feed). Wait until the sink has every job's end and idle counts.
  const auto settled = [&] {
    const auto records = sink->records();
    std::set<core::JobId> ended;
    const json::object* stats = nullptr;
    json::object last_stats;
    for (const auto& r : records) {
      if (r->type == "job:completed" && r->job_id) ended.insert(*r->job_id);
      if (r->type == "job:failed" && r->job_id && !json::parse(r->json).at("willRetry").as_bool()) {
        ended.insert(*r->job_id);
      }
      if (r->type == "queue:stats") {
        last_stats = json::parse(r->json).as_object();
        stats = &last_stats;
      }
    }
    if (!stats || stats->at("pending").as_int64() != 0 || stats->at("processing").as_int64() != 0 ||
        stats->at("completed").as_int64() + stats->at("failed").as_int64() < static_cast<std::int64_t>(jobs.size())) {
      return false;
    }
    for (const auto& job : jobs) {
      if (!ended.contains(job.id)) return false;
    }
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!settled() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);

  Scanned out;
  out.stored = *store.read([&](store::Connection& c) { return c.scans.get(id); });
  out.jobs = jobs;
  out.records = sink->records();
  // History and sinks saw the same records, in sequence order.
  const auto kept = history.since(0);
  EXPECT_TRUE(kept.has_value());
  if (kept) {
    EXPECT_EQ(kept->size(), out.records.size());
  }
  for (std::size_t i = 0; i < out.records.size(); ++i) EXPECT_EQ(out.records[i]->sequence, i + 1);
  return out;
}

void expect_every_job_created_started_ended(const Scanned& s) {
  std::map<core::JobId, std::vector<std::string>> seen;  // event types per job, in order
  std::map<core::JobId, bool> final_failure;
  for (const auto& r : s.records) {
    if (!r->job_id || !r->type.starts_with("job:")) continue;
    seen[*r->job_id].push_back(r->type);
    const auto o = json::parse(r->json).as_object();
    EXPECT_EQ(o.at("type").as_string(), r->type);
    if (r->type == "job:failed") final_failure[*r->job_id] = !o.at("willRetry").as_bool();
  }
  ASSERT_FALSE(s.jobs.empty());
  for (const auto& job : s.jobs) {
    const auto& types = seen[job.id];
    ASSERT_GE(types.size(), 3u) << "job " << job.id << " " << job.type;
    EXPECT_EQ(types.front(), "job:created") << "job " << job.id;
    EXPECT_EQ(types[1], "job:started") << "job " << job.id;
    if (job.status == core::JobStatus::completed) {
      EXPECT_EQ(types.back(), "job:completed") << "job " << job.id;
    } else {
      EXPECT_EQ(job.status, core::JobStatus::failed) << "job " << job.id;
      EXPECT_EQ(types.back(), "job:failed") << "job " << job.id;
      EXPECT_TRUE(final_failure[job.id]) << "job " << job.id << "'s last failure does not retry";
    }
    EXPECT_EQ(std::count(types.begin(), types.end(), "job:created"), 1) << "job " << job.id;
  }
}

void expect_scan_progress_monotonic_ending_at_the_database(const Scanned& s) {
  const auto& c = s.stored.counters;
  std::vector<json::object> progress;
  for (const auto& r : s.records) {
    if (r->type == "scan:progress" && r->scan_id == s.stored.id) progress.push_back(json::parse(r->json).as_object());
  }
  ASSERT_GE(progress.size(), 2u);
  const auto count = [](const json::object& o, const char* phase, const char* field) {
    return o.at("progress").at(phase).at(field).as_int64();
  };
  const auto stat = [](const json::object& o, const char* field) { return o.at("stats").at(field).as_int64(); };
  const std::vector<std::pair<const char*, const char*>> counts = {
      {"discovering", "directoriesFound"}, {"scanning", "scanned"},   {"scanning", "percentage"},
      {"caching", "cached"},              {"caching", "queued"},      {"enriching", "completed"}};
  for (std::size_t i = 1; i < progress.size(); ++i) {
    for (const auto& [phase, field] : counts) {
      EXPECT_GE(count(progress[i], phase, field), count(progress[i - 1], phase, field))
          << phase << "." << field << " went back at message " << i;
    }
    for (const char* field : {"tracksFound", "moviesFound", "assetsCached", "errorsCount"}) {
      EXPECT_GE(stat(progress[i], field), stat(progress[i - 1], field)) << field << " went back at message " << i;
    }
  }
  const auto& last = progress.back();
  EXPECT_EQ(last.at("phase"), "completed");
  EXPECT_EQ(last.at("libraryName"), "Fixture");
  EXPECT_EQ(count(last, "discovering", "directoriesFound"), c.directories_total);
  EXPECT_EQ(count(last, "scanning", "scanned"), c.directories_scanned);
  EXPECT_EQ(count(last, "scanning", "total"), c.directories_total);
  EXPECT_EQ(count(last, "scanning", "percentage"), 100);
  EXPECT_EQ(count(last, "caching", "cached"), c.assets_cached);
  EXPECT_EQ(count(last, "caching", "queued"), c.assets_queued);
  EXPECT_EQ(count(last, "caching", "percentage"), 100);
  EXPECT_EQ(stat(last, "tracksFound"), c.tracks_found);
  EXPECT_EQ(stat(last, "moviesFound"), c.movies_found);
  EXPECT_EQ(stat(last, "moviesNew"), c.movies_new);
  EXPECT_EQ(stat(last, "assetsCached"), c.assets_cached);
  EXPECT_EQ(stat(last, "errorsCount"), c.errors_count);
  // Metarr's scanStatus ends too, and the library says it changed.
  std::vector<std::string> tail;
  for (const auto& r : s.records) {
    if (r->type == "scanStatus" || r->type == "libraryChanged") tail.push_back(r->type);
  }
  ASSERT_GE(tail.size(), 2u);
  EXPECT_EQ(tail.back(), "libraryChanged");
}

void expect_queue_stats_end_idle(const Scanned& s) {
  const SharedRecord* last = nullptr;
  for (const auto& r : s.records) {
    if (r->type == "queue:stats") last = &r;
  }
  ASSERT_NE(last, nullptr);
  const auto o = json::parse((*last)->json).as_object();
  EXPECT_EQ(o.at("pending"), 0);
  EXPECT_EQ(o.at("processing"), 0);
  EXPECT_EQ(o.at("completed").as_int64() + o.at("failed").as_int64(), static_cast<std::int64_t>(s.jobs.size()));
}

TEST(FeedScan, AMusicScanAsAClientSeesIt) {
  test::TempDir dir;
  const auto manifest = test::make_library(dir / "library", 60, 11);
  const Scanned s = scan_with_feed(dir, dir / "library", core::LibraryType::music);
  ASSERT_EQ(s.stored.status, core::ScanStatus::completed);
  EXPECT_EQ(s.stored.counters.tracks_found, static_cast<std::int64_t>(manifest.tracks.size()));
  expect_every_job_created_started_ended(s);
  expect_scan_progress_monotonic_ending_at_the_database(s);
  expect_queue_stats_end_idle(s);
}

TEST(FeedScan, AMovieScanWithAssetsAsAClientSeesIt) {
  test::TempDir dir;
  const std::string command = std::string(SCANHUB_MAKE_LIBRARY) + " '" + (dir / "library").string() +
                              "' --movies 8 --seed 3 --template-cache '" + SCANHUB_MOVIE_TEMPLATE_CACHE +
                              "' > /dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const Scanned s = scan_with_feed(dir, dir / "library", core::LibraryType::movie);
  ASSERT_EQ(s.stored.status, core::ScanStatus::completed);
  EXPECT_GT(s.stored.counters.movies_found, 0);
  EXPECT_GT(s.stored.counters.assets_queued, 0) << "the fixture has artwork to cache";
  expect_every_job_created_started_ended(s);
  expect_scan_progress_monotonic_ending_at_the_database(s);
  expect_queue_stats_end_idle(s);
}

}  // namespace
}  // namespace scanhub::events
