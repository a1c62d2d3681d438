// api::ExternalJobs on a real SQLite file: each report is one transaction, events follow the
// commit in order, and a refused report changes nothing and publishes nothing.
#include "api/external_jobs.hpp"
#include "api/job_json.hpp"
#include "http/message.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <mutex>

using namespace scanhub;

namespace {

struct Fixture : testing::Test {
  test::TempDir dir;
  store::Store store{dir / "scanhub.db"};
  progress::EventBus bus;
  std::mutex mutex;
  std::vector<progress::JobEvent> events;
  api::ExternalJobs jobs{store, bus};

  Fixture() {
    bus.subscribe_jobs([this](const progress::JobEvent& e) {
      std::lock_guard lock(mutex);
      events.push_back(e);
    });
  }
  std::vector<std::size_t> kinds() {
    std::lock_guard lock(mutex);
    std::vector<std::size_t> out;
    for (const auto& e : events) out.push_back(e.index());
    events.clear();
    return out;
  }
  core::Job stored(core::JobId id) {
    return *store.read([&](store::Connection& c) { return c.jobs.get(id); });
  }
  static http::Status status_of(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const http::HttpError& e) {
      return e.status();
    }
    return http::Status::ok;
  }
};

// Variant indexes of progress::JobEvent.
constexpr std::size_t kCreated = 0, kStarted = 1, kProgressed = 2, kCompleted = 3, kFailed = 4, kStats = 6;

using ExternalJobsTest = Fixture;

TEST_F(ExternalJobsTest, ALifeFromPendingToCompletedPublishesEachStepAfterItsCommit) {
  api::NewExternalJob request;
  request.job_type = "Transcription";
  request.start = false;
  const core::Job job = jobs.create(request);
  EXPECT_EQ(job.status, core::JobStatus::pending);
  EXPECT_EQ(job.type, "external");
  EXPECT_EQ(kinds(), (std::vector{kCreated, kStats}));

  const auto running = jobs.report_progress(job.id, {1, 4, 25.0, "Extracting audio", ""});
  EXPECT_EQ(running.status, core::JobStatus::processing);
  EXPECT_EQ(running.attempts, 1);
  EXPECT_EQ(kinds(), (std::vector{kStarted, kProgressed, kStats}));
  EXPECT_EQ(stored(job.id).progress->message, "Extracting audio");
  EXPECT_EQ(stored(job.id).lease_owner, std::string(api::kExternalLeaseOwner));

  jobs.report_progress(job.id, {2, 4, 50.0, "Transcribing", ""});
  EXPECT_EQ(kinds(), (std::vector{kProgressed, kStats}));

  const auto done = jobs.complete(job.id, "");
  EXPECT_EQ(done.status, core::JobStatus::completed);
  EXPECT_EQ(done.progress->percentage, 100.0);
  EXPECT_EQ(done.progress->current, 4);
  EXPECT_EQ(done.progress->message, "Job completed successfully");
  EXPECT_TRUE(done.finished_at.has_value());
  EXPECT_EQ(kinds(), (std::vector{kCompleted, kStats}));
}

TEST_F(ExternalJobsTest, RefusedReportsChangeNothingAndPublishNothing) {
  const core::Job job = jobs.create({});
  jobs.report_progress(job.id, {1, 2, 50.0, "half", ""});
  kinds();

  EXPECT_EQ(status_of([&] { jobs.report_progress(999, {0, 0, 1.0, "", ""}); }), http::Status::not_found);
  EXPECT_EQ(status_of([&] { jobs.complete(999, ""); }), http::Status::not_found);
  jobs.complete(job.id, "done");
  kinds();
  const core::Job finished = stored(job.id);
  EXPECT_EQ(status_of([&] { jobs.complete(job.id, ""); }), http::Status::conflict);
  EXPECT_EQ(status_of([&] { jobs.fail(job.id, "late", false); }), http::Status::conflict);
  EXPECT_EQ(status_of([&] { jobs.report_progress(job.id, {0, 0, 1.0, "", ""}); }), http::Status::conflict);
  EXPECT_TRUE(kinds().empty());
  EXPECT_EQ(stored(job.id).progress, finished.progress);
  EXPECT_EQ(stored(job.id).status, core::JobStatus::completed);

  // A queue job of another type cannot be driven over HTTP.
  core::NewJob internal;
  internal.type = "directory-scan";
  core::JobId id = 0;
  store.write_sync([&](store::Connection& c) { id = c.jobs.enqueue(std::span(&internal, 1), core::Clock::now()).front(); });
  EXPECT_EQ(status_of([&] { jobs.complete(id, ""); }), http::Status::conflict);
  EXPECT_EQ(stored(id).status, core::JobStatus::pending);
}

TEST_F(ExternalJobsTest, FailingRetriesWhileAttemptsAreLeft) {
  api::NewExternalJob request;
  request.max_attempts = 2;
  const core::Job job = jobs.create(request);
  kinds();
  const auto first = jobs.fail(job.id, "model not loaded", true);
  EXPECT_EQ(first.status, core::JobStatus::pending);
  EXPECT_EQ(first.last_error, "model not loaded");
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(events.size(), 2u);
    const auto& failed = std::get<progress::JobFailed>(events[0]);
    EXPECT_EQ(failed.attempt, 1);
    EXPECT_EQ(failed.max_attempts, 2);
    EXPECT_TRUE(failed.will_retry);
  }
  kinds();
  // The next report starts attempt 2; its failure is final.
  jobs.report_progress(job.id, {0, 0, 10.0, "", ""});
  EXPECT_EQ(stored(job.id).attempts, 2);
  const auto last = jobs.fail(job.id, "out of memory", true);
  EXPECT_EQ(last.status, core::JobStatus::failed);
  EXPECT_EQ(kinds(), (std::vector{kStarted, kProgressed, kStats, kFailed, kStats}));
}

}  // namespace

namespace {

auth::Principal user(std::string id, bool admin = false) {
  auth::Principal p;
  p.user_id = std::move(id);
  p.name = p.user_id;
  p.admin = admin;
  p.source = auth::Principal::Source::kToken;
  return p;
}

// Issue 16 "Per-user jobs": a job records who created it, and another user's reports are
// refused as 404 (as an unknown job: nothing is learnt of it) and change nothing; an admin
// may report on any job.
TEST_F(ExternalJobsTest, AUsersJobIsTheirsAlone) {
  api::NewExternalJob request;
  request.job_type = "Transcription";
  const core::Job job = jobs.create(request, user("alice"));
  EXPECT_EQ(job.created_by, "alice");
  EXPECT_EQ(stored(job.id).created_by, "alice");
  EXPECT_FALSE(jobs.create(request).created_by) << "anonymous: no creator";
  kinds();

  const core::JobProgress half{1, 2, 50.0, "Halfway", ""};
  EXPECT_EQ(status_of([&] { jobs.report_progress(job.id, half, user("bob")); }), http::Status::not_found);
  EXPECT_EQ(status_of([&] { jobs.complete(job.id, "", user("bob")); }), http::Status::not_found);
  EXPECT_EQ(status_of([&] { jobs.fail(job.id, "no", false, {}, user("bob")); }), http::Status::not_found);
  EXPECT_TRUE(kinds().empty()) << "a refused report publishes nothing";
  EXPECT_FALSE(stored(job.id).progress);

  EXPECT_EQ(jobs.report_progress(job.id, half, user("alice")).progress, half);
  EXPECT_EQ(jobs.complete(job.id, "", user("root", true)).status, core::JobStatus::completed);
}

}  // namespace
