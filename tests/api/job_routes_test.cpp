// GET /api/jobs as seed 003's JobQueueDashboard uses it (`fetch('/api/jobs')` = the active
// jobs), through the real router on a real SQLite file with jobs in every status.
#include "api/job_routes.hpp"
#include "support/temp_dir.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace scanhub;

namespace {

namespace json = boost::json;

struct JobRoutesTest : testing::Test {
  test::TempDir dir;
  store::Store store{dir / "scanhub.db"};
  progress::EventBus bus;
  api::ExternalJobs jobs{store, bus};
  http::Router router;
  // Ids of the jobs in each status, made below.
  std::map<std::string, core::JobId> ids;

  JobRoutesTest() {
    api::add_job_routes(router, store, jobs);
    const auto now = core::Clock::now();
    store.write_sync([&](store::Connection& c) {
      std::vector<core::NewJob> batch;
      for (const char* type : {"a", "b", "c", "d", "e", "f"}) {
        core::NewJob job;
        job.type = type;
        batch.push_back(job);
      }
      const auto made = c.jobs.enqueue(batch, now);
      // a: pending; b: processing; c: completed; d: failed; e: cancelled; f: pending
      store::ClaimRequest claim;
      claim.slots = {{"b", 1}, {"c", 1}, {"d", 1}};
      claim.limit = 3;
      claim.owner = "test";
      c.jobs.claim(claim, now);
      c.jobs.complete(made[2], std::nullopt, now);
      c.jobs.fail(made[3], std::nullopt, "broken", now, {}, false);
      c.jobs.cancel(made[4], now);
      ids = {{"pending", made[0]}, {"processing", made[1]}, {"completed", made[2]},
             {"failed", made[3]}, {"cancelled", made[4]}, {"pending2", made[5]}};
    });
  }

  std::pair<unsigned, json::value> get(const std::string& target) {
    http::Request request(boost::beast::http::verb::get, target, 11);
    const auto path = target.substr(0, target.find('?'));
    const auto response = router.dispatch(request, path);
    EXPECT_TRUE(response.has_value());
    return {response->result_int(), json::parse(response->body())};
  }

  std::vector<core::JobId> job_ids(const json::value& list) {
    std::vector<core::JobId> out;
    for (const auto& j : list.as_array()) out.push_back(j.at("jobId").as_int64());
    return out;
  }
};

TEST_F(JobRoutesTest, WithoutAStatusItListsTheActiveJobsNewestFirst) {
  const auto [status, body] = get("/api/jobs");
  EXPECT_EQ(status, 200u);
  EXPECT_EQ(job_ids(body), (std::vector{ids["pending2"], ids["processing"], ids["pending"]}));
  EXPECT_EQ(job_ids(get("/api/jobs?status=active").second), job_ids(body));
}

TEST_F(JobRoutesTest, StatusAllOrANamedStatusListsTheOthers) {
  EXPECT_EQ(job_ids(get("/api/jobs?status=all").second).size(), 6u);
  EXPECT_EQ(job_ids(get("/api/jobs?status=completed").second), std::vector{ids["completed"]});
  EXPECT_EQ(job_ids(get("/api/jobs?status=failed").second), std::vector{ids["failed"]});
  EXPECT_EQ(job_ids(get("/api/jobs?status=cancelled").second), std::vector{ids["cancelled"]});
  EXPECT_EQ(job_ids(get("/api/jobs?status=pending").second), (std::vector{ids["pending2"], ids["pending"]}));
}

TEST_F(JobRoutesTest, TypeLimitAndOffsetStillApply) {
  EXPECT_EQ(job_ids(get("/api/jobs?type=b").second), std::vector{ids["processing"]});
  EXPECT_TRUE(job_ids(get("/api/jobs?type=c").second).empty()) << "c is completed: not active";
  EXPECT_EQ(job_ids(get("/api/jobs?status=all&type=c").second), std::vector{ids["completed"]});
  EXPECT_EQ(job_ids(get("/api/jobs?limit=1&offset=1").second), std::vector{ids["processing"]});
  EXPECT_EQ(job_ids(get("/api/jobs?status=all&limit=2").second).size(), 2u);
}

TEST_F(JobRoutesTest, AnUnknownStatusIsABadRequest) {
  const auto [status, body] = get("/api/jobs?status=done");
  EXPECT_EQ(status, 400u);
  EXPECT_NE(std::string(body.at("error").as_string()).find("all, active, pending"), std::string::npos);
}

}  // namespace

namespace {

TEST_F(JobRoutesTest, TheQueueSnapshotHoldsStatsAndListsFromOneRead) {
  const auto [status, body] = get("/api/queue?processing=5&pending=1&failed=5&recent=2");
  EXPECT_EQ(status, 200u);
  const auto& o = body.as_object();
  EXPECT_EQ(o.at("stats").at("pending"), 2);
  EXPECT_EQ(o.at("stats").at("processing"), 1);
  EXPECT_EQ(o.at("stats").at("failed"), 1);
  // Processing first, then the newest pending ones up to their limit.
  EXPECT_EQ(job_ids(o.at("active")), (std::vector{ids["processing"], ids["pending2"]}));
  EXPECT_EQ(job_ids(o.at("failed")), std::vector{ids["failed"]});
  EXPECT_EQ(job_ids(o.at("recent")), (std::vector{ids["pending2"], ids["cancelled"]}));
  EXPECT_EQ(get("/api/queue?pending=x").first, 400u);
}

}  // namespace
