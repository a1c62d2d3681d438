// Parsing external programs' bodies (api/job_json.hpp): table-driven, each case either a
// value or a 400 with a message a user can act on.
#include "api/job_json.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace scanhub;

namespace {

boost::json::object object(std::string_view text) { return boost::json::parse(text).as_object(); }

struct BadCase {
  const char* body;
  const char* message;  ///< a part of the error
};

class BadProgress : public testing::TestWithParam<BadCase> {};

TEST_P(BadProgress, IsRefusedWithAReason) {
  try {
    api::parse_job_progress(object(GetParam().body));
    FAIL() << "accepted " << GetParam().body;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(GetParam().message), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadProgress,
    testing::Values(BadCase{R"({"current": 11, "total": 10})", "current must not exceed total"},
                    BadCase{R"({"current": -1, "total": 10})", "must not be negative"},
                    BadCase{R"({"current": 1.5, "total": 10})", "must be an integer"},
                    BadCase{R"({"current": "1", "total": 10})", "must be an integer"},
                    BadCase{R"({"percentage": 100.01})", "from 0 to 100"},
                    BadCase{R"({"percentage": -0.5})", "from 0 to 100"},
                    BadCase{R"({"percentage": "50"})", "must be a number"},
                    BadCase{R"({"message": "no numbers"})", "needs current and total"},
                    BadCase{R"({})", "needs current and total"},
                    BadCase{R"({"percentage": 5, "colour": 1})", "unknown field"},
                    BadCase{R"({"percentage": 5, "detail": 7})", "detail must be a string"}));

TEST(ParseJobProgress, ComputesThePercentageWhenNotGiven) {
  const auto p = api::parse_job_progress(object(R"({"current": 3, "total": 5, "message": "Enriching metadata", "detail": "Fetching from TMDB"})"));
  EXPECT_EQ(p, (core::JobProgress{3, 5, 60.0, "Enriching metadata", "Fetching from TMDB"}));
  EXPECT_EQ(api::parse_job_progress(object(R"({"percentage": 46.5})")).percentage, 46.5);
  EXPECT_EQ(api::parse_job_progress(object(R"({"current": 0, "total": 0})")).percentage, 0.0);
}

TEST(ParseJobProgress, LimitsTextSizes) {
  boost::json::object body{{"percentage", 1}, {"message", std::string(api::kMaxMessageLength, 'm')},
                           {"detail", std::string(api::kMaxDetailLength, 'd')}};
  EXPECT_NO_THROW(api::parse_job_progress(body));
  body["message"] = std::string(api::kMaxMessageLength + 1, 'm');
  EXPECT_THROW(api::parse_job_progress(body), std::invalid_argument);
}

TEST(ParseNewExternalJob, DefaultsAndFields) {
  const auto plain = api::parse_new_external_job({});
  EXPECT_EQ(plain.job_type, "external");
  EXPECT_TRUE(plain.start);
  EXPECT_EQ(plain.max_attempts, 1);
  EXPECT_EQ(plain.payload, "null");

  const auto job = api::parse_new_external_job(object(
      R"({"jobType": "Transcription", "videoId": "video-456", "payload": {"a": [1, 2]}, "status": "pending", "maxAttempts": 3})"));
  EXPECT_EQ(job.job_type, "Transcription");
  EXPECT_EQ(job.video_id, "video-456");
  EXPECT_EQ(job.payload, R"({"a":[1,2]})");
  EXPECT_FALSE(job.start);
  EXPECT_EQ(job.max_attempts, 3);
}

class BadNewJob : public testing::TestWithParam<BadCase> {};

TEST_P(BadNewJob, IsRefusedWithAReason) {
  try {
    api::parse_new_external_job(object(GetParam().body));
    FAIL() << "accepted " << GetParam().body;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(GetParam().message), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadNewJob,
    testing::Values(BadCase{R"({"jobType": ""})", "must not be empty"},
                    BadCase{R"({"jobType": "a/b"})", "may hold only"},
                    BadCase{R"({"jobType": 5})", "must be a string"},
                    BadCase{R"({"videoId": ""})", "must not be empty"},
                    BadCase{R"({"status": "completed"})", "\"pending\" or \"processing\""},
                    BadCase{R"({"maxAttempts": 0})", "from 1 to 100"},
                    BadCase{R"({"maxAttempts": 101})", "from 1 to 100"},
                    BadCase{R"({"status": "pending", "progress": {"percentage": 5}})", "pending job has no progress"},
                    BadCase{R"({"progress": {"percentage": 500}})", "from 0 to 100"},
                    BadCase{R"({"id": 5})", "unknown field"}));

TEST(ParseBodyObject, RefusesWhatIsNotAJsonObject) {
  EXPECT_THROW(api::parse_body_object("nope", false), std::invalid_argument);
  EXPECT_THROW(api::parse_body_object("[1]", false), std::invalid_argument);
  EXPECT_THROW(api::parse_body_object("{\"a\":", false), std::invalid_argument);
  EXPECT_THROW(api::parse_body_object("", false), std::invalid_argument);
  EXPECT_TRUE(api::parse_body_object(" \r\n", true).empty());
  // Nesting deeper than the limit is refused, not recursed into.
  EXPECT_THROW(api::parse_body_object(std::string(1000, '[') + std::string(1000, ']'), false),
               std::invalid_argument);
  EXPECT_EQ(api::parse_body_object(R"({"a": 1})", false).at("a"), 1);
}

TEST(JobJson, ExternalJobsShowWhatTheirProgramGave) {
  core::Job job;
  job.id = 123;
  job.type = "external";
  job.payload = R"({"jobType":"Transcription","videoId":"video-456","payload":{"lang":"en"}})";
  job.status = core::JobStatus::processing;
  job.attempts = 1;
  job.created_at = *core::parse_iso8601("2025-10-04T12:00:00Z");
  job.progress = core::JobProgress{5, 10, 50.0, "Scanning directory 5 of 10", "/movies/The Matrix"};
  const auto o = api::job_json(job);
  EXPECT_EQ(o.at("jobId"), 123);
  EXPECT_EQ(o.at("hubJobId"), "job-123");
  EXPECT_EQ(o.at("jobType"), "Transcription");
  EXPECT_EQ(o.at("videoId"), "video-456");
  EXPECT_EQ(o.at("payload"), boost::json::parse(R"({"lang":"en"})"));
  EXPECT_EQ(o.at("status"), "processing");
  EXPECT_EQ(o.at("createdAt"), "2025-10-04T12:00:00.000Z");
  EXPECT_TRUE(o.at("finishedAt").is_null());
  EXPECT_EQ(boost::json::serialize(o.at("progress")),
            R"({"current":5,"total":10,"percentage":50,"message":"Scanning directory 5 of 10","detail":"/movies/The Matrix"})");
}

TEST(QueueStatsJson, TotalsAndPerType) {
  core::QueueStats stats;
  stats.total = {2, 1, 0, 3, 0};
  stats.by_type["external"] = {2, 1, 0, 3, 0};
  EXPECT_EQ(boost::json::serialize(api::queue_stats_json(stats)),
            R"({"pending":2,"processing":1,"completed":0,"failed":3,"cancelled":0,)"
            R"("byType":{"external":{"pending":2,"processing":1,"completed":0,"failed":3,"cancelled":0}}})");
}

}  // namespace
