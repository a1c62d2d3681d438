// Seed 004's JobProgressHub payloads (hubs/job_progress_payloads.hpp).
#include "hubs/job_progress_payloads.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace scanhub;
using core::ScanStatus;

namespace {

const core::TimePoint kNow = *core::parse_iso8601("2025-10-04T12:00:05Z");

core::ScanSnapshot scan_at(ScanStatus status, std::int64_t scanned = 0, std::int64_t total = 0) {
  core::ScanSnapshot s;
  s.id = 12;
  s.status = status;
  s.counters.directories_scanned = scanned;
  s.counters.directories_total = total;
  s.times.started_at = *core::parse_iso8601("2025-10-04T12:00:00Z");
  s.libraries = {{3, "/music"}};
  s.current_operation = "Scanning directories";
  if (core::is_terminal(status)) s.times.completed_at = *core::parse_iso8601("2025-10-04T12:00:04Z");
  return s;
}

struct StatusCase {
  ScanStatus status;
  std::int64_t scanned, total;
  const char* job_status;
  int progress;
};

class JobStatusAndProgress : public testing::TestWithParam<StatusCase> {};

TEST_P(JobStatusAndProgress, FollowTheScan) {
  const StatusCase& c = GetParam();
  const auto s = scan_at(c.status, c.scanned, c.total);
  EXPECT_EQ(hubs::job_status(c.status), c.job_status);
  EXPECT_EQ(hubs::job_progress_percent(s, kNow), c.progress);
  const auto update = hubs::job_progress_update(s, kNow);
  EXPECT_EQ(update.at("status"), c.job_status);
  EXPECT_EQ(update.at("progress"), c.progress);
  EXPECT_EQ(std::string_view(update.at("currentStage").as_string()), core::to_string(c.status));
}

INSTANTIATE_TEST_SUITE_P(
    Table, JobStatusAndProgress,
    testing::Values(StatusCase{ScanStatus::discovering, 0, 40, "Running", 0},
                    StatusCase{ScanStatus::scanning, 0, 3, "Running", 0},
                    StatusCase{ScanStatus::scanning, 1, 3, "Running", 33},
                    StatusCase{ScanStatus::scanning, 3, 3, "Running", 99},
                    StatusCase{ScanStatus::scanning, 0, 0, "Running", 0},
                    StatusCase{ScanStatus::completed, 3, 3, "Completed", 100},
                    StatusCase{ScanStatus::completed, 0, 0, "Completed", 100},
                    StatusCase{ScanStatus::failed, 1, 2, "Failed", 50},
                    StatusCase{ScanStatus::cancelled, 0, 5, "Cancelled", 0}));

TEST(JobProgressPayloads, UpdateHasSeed004Fields) {
  auto s = scan_at(ScanStatus::scanning, 1, 4);
  s.counters.tracks_found = 10;
  const auto o = hubs::job_progress_update(s, kNow);
  for (const char* key : {"jobId", "videoId", "jobType", "status", "progress", "currentStage",
                          "statusMessage", "errorMessage", "updatedAt", "metadata"}) {
    EXPECT_TRUE(o.contains(key)) << key;
  }
  EXPECT_EQ(o.at("jobId"), "12");
  EXPECT_TRUE(o.at("videoId").is_null());
  EXPECT_EQ(o.at("jobType"), "LibraryScan");
  EXPECT_EQ(o.at("statusMessage"), "Scanning directories");
  EXPECT_TRUE(o.at("errorMessage").is_null());
  EXPECT_EQ(o.at("updatedAt"), "2025-10-04T12:00:05.000Z");
  const auto& metadata = o.at("metadata").as_object();
  EXPECT_EQ(metadata.at("directoriesScanned"), 1);
  EXPECT_EQ(metadata.at("directoriesTotal"), 4);
  EXPECT_EQ(metadata.at("tracksFound"), 10);
  EXPECT_EQ(metadata.at("trigger"), "manual");
}

TEST(JobProgressPayloads, EndPayloads) {
  EXPECT_EQ(boost::json::serialize(hubs::job_completed(scan_at(ScanStatus::completed, 2, 2))),
            R"({"jobId":"12","videoId":null,"status":"Completed","message":"Job completed successfully",)"
            R"("completedAt":"2025-10-04T12:00:04.000Z"})");
  auto failed = scan_at(ScanStatus::failed);
  failed.failure = "disk on fire";
  EXPECT_EQ(boost::json::serialize(hubs::job_failed(failed)),
            R"({"jobId":"12","videoId":null,"error":"disk on fire","message":"Job failed",)"
            R"("failedAt":"2025-10-04T12:00:04.000Z"})");
  EXPECT_EQ(hubs::job_progress_update(failed, kNow).at("errorMessage"), "disk on fire");
  EXPECT_EQ(hubs::job_failed(scan_at(ScanStatus::cancelled)).at("error"), "Job cancelled");
  EXPECT_EQ(boost::json::serialize(hubs::error_payload("NOT_FOUND", "Job 9 not found")),
            R"({"code":"NOT_FOUND","message":"Job 9 not found"})");
}

// (target, group) of each message, in order.
std::vector<std::pair<std::string, std::string>> routes(const progress::Event& event) {
  std::vector<std::pair<std::string, std::string>> out;
  hubs::ScanProgressMeter meter;
  for (const auto& m : hubs::job_progress_hub_messages(event, kNow, meter)) out.emplace_back(m.message.target, m.group);
  return out;
}

TEST(JobProgressPayloads, EventsGoToTheJobGroupAndNotificationsToAll) {
  using Routes = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(routes(progress::ScanStarted{scan_at(ScanStatus::discovering)}),
            (Routes{{"JobProgressUpdate", "job-12"}, {"BroadcastNotification", ""}}));
  EXPECT_EQ(routes(progress::ScanProgressed{scan_at(ScanStatus::scanning)}),
            (Routes{{"JobProgressUpdate", "job-12"}}));
  EXPECT_EQ(routes(progress::ScanPhaseChanged{scan_at(ScanStatus::scanning), ScanStatus::discovering}),
            (Routes{{"JobProgressUpdate", "job-12"}}));
  EXPECT_EQ(routes(progress::ScanFinished{scan_at(ScanStatus::completed)}),
            (Routes{{"JobProgressUpdate", "job-12"}, {"JobCompleted", "job-12"}, {"BroadcastNotification", ""}}));
  EXPECT_EQ(routes(progress::ScanFinished{scan_at(ScanStatus::cancelled)}),
            (Routes{{"JobProgressUpdate", "job-12"}, {"JobFailed", "job-12"}, {"BroadcastNotification", ""}}));

  hubs::ScanProgressMeter meter;
  const auto progressed = hubs::job_progress_hub_messages(progress::ScanProgressed{scan_at(ScanStatus::scanning)}, kNow, meter);
  EXPECT_EQ(progressed[0].message.conflation_key, "job-progress:12");
  const auto finished = hubs::job_progress_hub_messages(progress::ScanFinished{scan_at(ScanStatus::failed)}, kNow, meter);
  for (const auto& m : finished) EXPECT_TRUE(m.message.conflation_key.empty()) << m.message.target;
  const auto& note = finished.back().message.arguments[0].as_object();
  EXPECT_EQ(note.at("type"), "JobFailed");
  EXPECT_EQ(note.at("timestamp"), "2025-10-04T12:00:05.000Z");
  EXPECT_EQ(note.at("data").at("jobId"), "12");
}

TEST(JobProgressPayloads, SnapshotOfAnEndedJobIncludesItsEnd) {
  std::vector<std::string> targets;
  hubs::ScanProgressMeter meter;
  for (const auto& m : hubs::job_progress_snapshot(scan_at(ScanStatus::completed, 2, 2), kNow, meter)) targets.push_back(m.target);
  EXPECT_EQ(targets, (std::vector<std::string>{"JobProgressUpdate", "JobCompleted"}));
  EXPECT_EQ(hubs::job_progress_snapshot(scan_at(ScanStatus::scanning, 1, 2), kNow, meter).size(), 1u);
}

TEST(JobProgressPayloads, GroupNames) {
  EXPECT_EQ(hubs::job_group("12"), "job-12");
  EXPECT_EQ(hubs::video_group("abc"), "video-abc");
}

core::Job queue_job(core::JobStatus status) {
  core::Job job;
  job.id = 123;
  job.type = "external";
  job.payload = R"({"jobType":"EmbeddingGeneration","videoId":null,"payload":{}})";
  job.status = status;
  job.attempts = 1;
  job.max_attempts = 3;
  job.progress = core::JobProgress{3, 5, 60.9, "Enriching metadata", "Fetching from TMDB"};
  if (core::is_terminal(status)) job.finished_at = *core::parse_iso8601("2025-10-04T12:00:04Z");
  return job;
}

TEST(QueueJobPayloads, JobProgressUpdateInSeed004sShape) {
  const auto o = hubs::job_progress_update(queue_job(core::JobStatus::processing), kNow);
  EXPECT_EQ(o.at("jobId"), "job-123");
  EXPECT_TRUE(o.at("videoId").is_null());
  EXPECT_EQ(o.at("jobType"), "EmbeddingGeneration");
  EXPECT_EQ(o.at("status"), "Running");
  EXPECT_EQ(o.at("progress"), 60);  // floored
  EXPECT_EQ(o.at("currentStage"), "Enriching metadata");
  EXPECT_EQ(o.at("statusMessage"), "Fetching from TMDB");
  EXPECT_TRUE(o.at("errorMessage").is_null());
  EXPECT_EQ(std::string(o.at("updatedAt").as_string()), core::format_iso8601(kNow));
  EXPECT_EQ(o.at("metadata").at("maxAttempts"), 3);
  EXPECT_EQ(hubs::job_progress_update(queue_job(core::JobStatus::completed), kNow).at("progress"), 100);
  EXPECT_EQ(hubs::job_progress_update(queue_job(core::JobStatus::pending), kNow).at("status"), "Pending");
}

TEST(QueueJobPayloads, EventsMapToGroupMessagesInOrder) {
  auto targets = [](const std::vector<hubs::AddressedMessage>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) out.push_back((m.group.empty() ? "all " : m.group + " ") + m.message.target);
    return out;
  };
  using V = std::vector<std::string>;
  const auto done = queue_job(core::JobStatus::completed);
  EXPECT_EQ(targets(hubs::job_progress_hub_messages(progress::JobEvent{progress::JobCompleted{done}}, kNow)),
            (V{"job-job-123 JobProgressUpdate", "job-job-123 JobCompleted", "all BroadcastNotification"}));

  auto failed = queue_job(core::JobStatus::pending);
  failed.last_error = "model not loaded";
  const progress::JobFailed retry{failed, 1, 3, true, kNow, "model not loaded"};
  const auto retry_messages = hubs::job_progress_hub_messages(progress::JobEvent{retry}, kNow);
  EXPECT_EQ(targets(retry_messages), (V{"job-job-123 JobProgressUpdate"})) << "no end while it will be retried";
  EXPECT_EQ(retry_messages[0].message.arguments[0].at("errorMessage"), "model not loaded");

  failed.status = core::JobStatus::failed;
  failed.finished_at = kNow;
  const progress::JobFailed final_failure{failed, 3, 3, false, {}, "model not loaded"};
  const auto end = hubs::job_progress_hub_messages(progress::JobEvent{final_failure}, kNow);
  EXPECT_EQ(targets(end), (V{"job-job-123 JobProgressUpdate", "job-job-123 JobFailed", "all BroadcastNotification"}));
  EXPECT_EQ(end[1].message.arguments[0].at("error"), "model not loaded");

  auto internal = queue_job(core::JobStatus::completed);
  internal.type = "directory-scan";
  EXPECT_EQ(targets(hubs::job_progress_hub_messages(progress::JobEvent{progress::JobCompleted{internal}}, kNow)),
            (V{"job-job-123 JobProgressUpdate", "job-job-123 JobCompleted"}))
      << "queue-internal jobs are not announced to all";
  EXPECT_TRUE(hubs::job_progress_hub_messages(progress::JobEvent{progress::QueueStatsChanged{}}, kNow).empty());
}

}  // namespace
