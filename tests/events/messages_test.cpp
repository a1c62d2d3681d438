// The server messages of Metarr's protocol: exact shapes (Metarr's websocket.ts and library.ts,
// seed 002's ScanProgressMessage, seed 003's job events) and their delivery classes.
#include "events/job_messages.hpp"
#include "events/scan_messages.hpp"
#include "events/server_messages.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace scanhub::events {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const core::TimePoint kNow = *core::parse_iso8601("2025-10-15T12:00:00.250Z");

json::object parsed(const Message& m) { return json::parse(serialize(m)).as_object(); }

std::vector<std::string> keys(const json::object& o) {
  std::vector<std::string> out;
  for (const auto& [k, v] : o) out.emplace_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ServerMessages, WelcomeNamesTheServerAndWhatAClientMaySend) {
  const auto m = parsed(welcome("scanhub-1", "0.4.0", kNow));
  EXPECT_EQ(m.at("type"), "welcome");
  EXPECT_EQ(m.at("timestamp"), "2025-10-15T12:00:00.250Z");
  EXPECT_EQ(m.at("serverId"), "scanhub-1");
  EXPECT_EQ(m.at("serverVersion"), "0.4.0");
  EXPECT_EQ(m.at("capabilities"), json::parse(R"(["ping","resync","startLibraryScan","cancelLibraryScan"])"));
}

TEST(ServerMessages, PongEchoesTheRequestIdOnlyWhenGiven) {
  const auto with = parsed(pong(json::value("r-1"), kNow));
  EXPECT_EQ(with.at("serverTime"), "2025-10-15T12:00:00.250Z");
  EXPECT_EQ(with.at("requestId"), "r-1");
  const auto without = parsed(pong(nullptr, kNow));
  EXPECT_FALSE(without.contains("requestId"));
  EXPECT_EQ(keys(without), (std::vector<std::string>{"serverTime", "timestamp", "type"}));
}

TEST(ServerMessages, AckAndErrorCarryTheOriginalType) {
  const auto a = parsed(ack("startLibraryScan", true, "scan 3 started", json::value(7), kNow, {{"scanId", 3}}));
  EXPECT_EQ(a.at("type"), "ack");
  EXPECT_EQ(a.at("originalType"), "startLibraryScan");
  EXPECT_EQ(a.at("success"), true);
  EXPECT_EQ(a.at("message"), "scan 3 started");
  EXPECT_EQ(a.at("scanId"), 3);
  EXPECT_EQ(a.at("requestId"), 7);
  const auto e = parsed(error("resync", "too many", "RATE_LIMITED", nullptr, kNow));
  EXPECT_EQ(keys(e), (std::vector<std::string>{"code", "error", "originalType", "timestamp", "type"}));
  EXPECT_EQ(e.at("code"), "RATE_LIMITED");
  EXPECT_FALSE(parsed(error("", "bad", "PARSE_ERROR", nullptr, kNow)).contains("originalType"));
}

core::ScanSnapshot sample_scan() {
  core::ScanSnapshot s;
  s.id = 12;
  s.libraries = {{4, "/srv/movies"}, {5, "/srv/more"}};
  s.status = core::ScanStatus::caching;
  s.counters.directories_total = 24;
  s.counters.directories_scanned = 24;
  s.counters.movies_found = 24;
  s.counters.movies_new = 20;
  s.counters.movies_updated = 4;
  s.counters.assets_queued = 24;
  s.counters.assets_cached = 6;
  s.counters.assets_failed = 1;
  s.counters.errors_count = 2;
  s.times.started_at = *core::parse_iso8601("2025-10-15T11:59:00.000Z");
  s.times.discovery_completed_at = *core::parse_iso8601("2025-10-15T11:59:01.000Z");
  s.times.scanning_completed_at = *core::parse_iso8601("2025-10-15T11:59:30.000Z");
  s.current_operation = "Caching poster.jpg";
  s.estimated_time_remaining = 65s;
  return s;
}

TEST(ScanMessages, ScanProgressHasSeed002sShape) {
  const auto m = parsed(scan_progress(sample_scan(), "Movies", kNow, Delivery::progress));
  EXPECT_EQ(keys(m), (std::vector<std::string>{"currentOperation", "estimatedTimeRemaining", "lastUpdatedAt",
                                               "libraryId", "libraryIds", "libraryName", "phase", "progress",
                                               "scanJobId", "startedAt", "stats", "timestamp", "type"}));
  EXPECT_EQ(m.at("type"), "scan:progress");
  EXPECT_EQ(m.at("scanJobId"), 12);
  EXPECT_EQ(m.at("libraryId"), 4);
  EXPECT_EQ(m.at("libraryName"), "Movies");
  EXPECT_EQ(m.at("libraryIds"), json::parse("[4,5]"));
  EXPECT_EQ(m.at("phase"), "caching");
  EXPECT_EQ(m.at("progress"), json::parse(R"({
    "discovering": {"directoriesFound": 24, "inProgress": false},
    "scanning": {"scanned": 24, "total": 24, "percentage": 100},
    "caching": {"cached": 6, "queued": 24, "percentage": 29, "failed": 1},
    "enriching": {"completed": 0, "queued": 0, "percentage": 0, "skipped": 0, "failed": 0}})"));
  EXPECT_EQ(m.at("stats"), json::parse(R"({"moviesFound": 24, "moviesNew": 20, "moviesUpdated": 4,
    "assetsCached": 6, "errorsCount": 2, "tracksFound": 0, "tracksNew": 0, "tracksUpdated": 0,
    "tracksRemoved": 0})"));
  EXPECT_EQ(m.at("currentOperation"), "Caching poster.jpg");
  EXPECT_EQ(m.at("estimatedTimeRemaining"), "PT1M5S");
  EXPECT_EQ(m.at("startedAt"), "2025-10-15T11:59:00.000Z");
  EXPECT_EQ(m.at("lastUpdatedAt"), "2025-10-15T12:00:00.250Z");
}

TEST(ScanMessages, PercentagesReach100OnlyWhenDone) {
  struct Case {
    std::int64_t done, total;
    bool ended;
    int expected;
  };
  for (const Case& c : {Case{0, 0, false, 0}, Case{0, 0, true, 100}, Case{0, 10, false, 0},
                        Case{1, 3, false, 33}, Case{999, 1000, false, 99}, Case{1000, 1000, false, 100},
                        Case{27, 27, true, 100}, Case{30, 27, true, 100}, Case{-1, 5, false, 0}}) {
    EXPECT_EQ(phase_percentage(c.done, c.total, c.ended), c.expected) << c.done << "/" << c.total;
  }
}

TEST(ScanMessages, ProgressIsConflatedPerScanAndLifecycleIsNot) {
  const auto s = sample_scan();
  const auto lookup = [](core::LibraryId id) -> std::optional<core::Library> {
    core::Library l;
    l.id = id;
    l.name = "Lib " + std::to_string(id);
    l.path = "/srv/x";
    return l;
  };
  const auto progressed = scan_messages(progress::ScanProgressed{s}, lookup, kNow);
  ASSERT_EQ(progressed.size(), 2u);
  EXPECT_EQ(progressed[0].type, "scan:progress");
  EXPECT_EQ(progressed[0].delivery, Delivery::progress);
  EXPECT_EQ(progressed[0].conflation_key, "scan:12");
  EXPECT_EQ(progressed[0].scan_id, 12);
  EXPECT_EQ(parsed(progressed[0]).at("libraryName"), "Lib 4");
  EXPECT_EQ(progressed[1].type, "scanStatus");
  EXPECT_EQ(progressed[1].conflation_key, "scanStatus:12");

  auto done = s;
  done.status = core::ScanStatus::completed;
  done.times.completed_at = kNow;
  const auto finished = scan_messages(progress::ScanFinished{done}, lookup, kNow);
  ASSERT_EQ(finished.size(), 4u);  // scan:progress, scanStatus, libraryChanged x2
  for (const auto& m : finished) {
    EXPECT_EQ(m.delivery, Delivery::lifecycle) << m.type;
    EXPECT_TRUE(m.conflation_key.empty());
  }
  const auto status = parsed(finished[1]);
  EXPECT_EQ(status.at("status"), "completed");
  EXPECT_EQ(status.at("stats"), json::parse(R"({"added": 20, "updated": 4, "deleted": 0, "failed": 2})"));
  EXPECT_FALSE(status.contains("currentFile"));
  const auto changed = parsed(finished[2]);
  EXPECT_EQ(changed.at("type"), "libraryChanged");
  EXPECT_EQ(changed.at("action"), "updated");
  EXPECT_EQ(changed.at("library").at("name"), "Lib 4");
  EXPECT_EQ(parsed(finished[0]).at("progress").at("caching").at("percentage"), 29)
      << "a completed scan's stale counts are not rounded up";
}

TEST(ScanMessages, WithoutALookupALibraryIsNamedAfterItsDirectory) {
  const auto out = scan_messages(progress::ScanStarted{sample_scan()}, {}, kNow);
  EXPECT_EQ(parsed(out[0]).at("libraryName"), "movies");
  EXPECT_EQ(out.size(), 2u);
}

core::Job sample_job() {
  core::Job j;
  j.id = 41;
  j.type = "directory-scan";
  j.status = core::JobStatus::processing;
  j.priority = 6;
  j.attempts = 1;
  j.max_attempts = 3;
  j.parent_id = 40;
  j.scan_id = 12;
  j.created_at = *core::parse_iso8601("2025-10-15T11:59:01.000Z");
  j.started_at = *core::parse_iso8601("2025-10-15T11:59:02.000Z");
  return j;
}

TEST(JobMessages, LifecycleEventsNameTheEventInTypeAndTheJobInJobType) {
  const auto job = sample_job();
  const auto created = job_messages(progress::JobCreated{job}, kNow);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(parsed(created[0]), json::parse(R"({"type": "job:created", "timestamp": "2025-10-15T12:00:00.250Z",
    "jobId": 41, "jobType": "directory-scan", "scanId": 12, "status": "processing", "priority": 6,
    "attempts": 1, "maxAttempts": 3, "parentId": 40, "createdAt": "2025-10-15T11:59:01.000Z"})").as_object());
  EXPECT_EQ(created[0].job_id, 41);
  EXPECT_EQ(created[0].scan_id, 12);

  const auto started = parsed(job_messages(progress::JobStarted{job}, kNow)[0]);
  EXPECT_EQ(started.at("type"), "job:started");
  EXPECT_EQ(started.at("attempt"), 1);
  EXPECT_EQ(started.at("startedAt"), "2025-10-15T11:59:02.000Z");

  const auto progressed = job_messages(progress::JobProgressed{job, {5, 10, 50, "Scanning directory 5 of 10", "/movies/The Matrix"}}, kNow);
  EXPECT_EQ(progressed[0].delivery, Delivery::progress);
  EXPECT_EQ(progressed[0].conflation_key, "job:41");
  EXPECT_EQ(parsed(progressed[0]).at("progress"), json::parse(R"({"current": 5, "total": 10, "percentage": 50,
    "message": "Scanning directory 5 of 10", "detail": "/movies/The Matrix"})"));

  auto completed_job = job;
  completed_job.status = core::JobStatus::completed;
  completed_job.finished_at = kNow;
  const auto completed = parsed(job_messages(progress::JobCompleted{completed_job}, kNow)[0]);
  EXPECT_EQ(completed.at("type"), "job:completed");
  EXPECT_EQ(completed.at("jobId"), 41);
  EXPECT_EQ(completed.at("completedAt"), "2025-10-15T12:00:00.250Z");
}

TEST(JobMessages, EveryFailedAttemptSaysWhetherItWillRetry) {
  const auto retry = parsed(job_messages(progress::JobFailed{sample_job(), 1, 3, true, kNow + 2s, "disk full"}, kNow)[0]);
  EXPECT_EQ(retry.at("type"), "job:failed");
  EXPECT_EQ(retry.at("error"), "disk full");
  EXPECT_EQ(retry.at("attempt"), 1);
  EXPECT_EQ(retry.at("maxAttempts"), 3);
  EXPECT_EQ(retry.at("willRetry"), true);
  EXPECT_EQ(retry.at("retryAt"), "2025-10-15T12:00:02.250Z");
  const auto last = parsed(job_messages(progress::JobFailed{sample_job(), 3, 3, false, {}, "disk full"}, kNow)[0]);
  EXPECT_EQ(last.at("willRetry"), false);
  EXPECT_TRUE(last.at("retryAt").is_null());
}

TEST(JobMessages, CancelledJobsLeaveAsFailedSoDashboardsDropThem) {
  const auto out = job_messages(progress::JobsCancelled{{7, 8}}, kNow);
  ASSERT_EQ(out.size(), 2u);
  const auto first = parsed(out[0]);
  EXPECT_EQ(first.at("type"), "job:failed");
  EXPECT_EQ(first.at("jobId"), 7);
  EXPECT_EQ(first.at("cancelled"), true);
  EXPECT_EQ(first.at("willRetry"), false);
  EXPECT_EQ(out[1].job_id, 8);
}

TEST(JobMessages, ExternalJobsCarryTheirProgramsJobType) {
  auto job = sample_job();
  job.type = "external";
  job.payload = R"({"jobType": "Transcription", "videoId": "v1", "payload": null})";
  EXPECT_EQ(parsed(job_messages(progress::JobStarted{job}, kNow)[0]).at("jobType"), "Transcription");
}

TEST(JobMessages, QueueStatsIsConflatedUnderOneKey) {
  core::QueueStats stats;
  stats.total = {3, 2, 10, 1, 0};
  stats.by_type["directory-scan"] = {3, 2, 10, 1, 0};
  const auto m = queue_stats(stats, kNow);
  EXPECT_EQ(m.delivery, Delivery::progress);
  EXPECT_EQ(m.conflation_key, "queue:stats");
  EXPECT_EQ(parsed(m), json::parse(R"({"type": "queue:stats", "timestamp": "2025-10-15T12:00:00.250Z",
    "pending": 3, "processing": 2, "completed": 10, "failed": 1, "cancelled": 0,
    "byType": {"directory-scan": {"pending": 3, "processing": 2, "completed": 10, "failed": 1, "cancelled": 0}}})").as_object());
}

TEST(ServerMessages, ResyncDataHoldsMetarrsLibraryAndScanJobShapes) {
  core::Library library;
  library.id = 4;
  library.name = "Movies";
  library.path = "/srv/movies";
  library.type = core::LibraryType::movie;
  library.created_at = *core::parse_iso8601("2025-10-01T00:00:00.000Z");
  auto scan = sample_scan();
  scan.current_directory = "The Matrix (1999)";
  const core::Library libraries[] = {library};
  const core::ScanSnapshot scans[] = {scan};
  const auto all = parsed(resync_data(ResyncScope::all, libraries, scans, json::value("r"), kNow));
  EXPECT_EQ(all.at("scope"), "all");
  EXPECT_EQ(all.at("requestId"), "r");
  EXPECT_EQ(all.at("data").at("libraries"), json::parse(R"([{"id": 4, "name": "Movies", "type": "movies",
    "path": "/srv/movies", "enabled": true, "createdAt": "2025-10-01T00:00:00.000Z",
    "updatedAt": "2025-10-01T00:00:00.000Z"}])"));
  EXPECT_EQ(all.at("data").at("scans"), json::parse(R"j([{"id": 12, "libraryId": 4, "libraryIds": [4, 5],
    "status": "running", "phase": "caching", "progressCurrent": 24, "progressTotal": 24,
    "currentFile": "The Matrix (1999)", "errorsCount": 2, "startedAt": "2025-10-15T11:59:00.000Z"}])j"));
  const auto only_scans = parsed(resync_data(ResyncScope::scans, libraries, scans, nullptr, kNow));
  EXPECT_FALSE(only_scans.at("data").as_object().contains("libraries"));
  const auto only_libraries = parsed(resync_data(ResyncScope::libraries, libraries, scans, nullptr, kNow));
  EXPECT_FALSE(only_libraries.at("data").as_object().contains("scans"));
}

}  // namespace
}  // namespace scanhub::events
