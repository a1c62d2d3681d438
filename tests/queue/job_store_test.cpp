// SqliteJobStore on a real SQLite file: claim order and limits, leases, retries, cancellation
// of descendants, stalled recovery, stats.

#include "lib/sqlite/statement.hpp"
#include "store/job_store.hpp"
#include "store/schema.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

using namespace scanhub;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

core::NewJob job(std::string type, int priority = core::kPriorityDefault) {
  core::NewJob j;
  j.type = std::move(type);
  j.priority = priority;
  return j;
}

class JobStoreTest : public ::testing::Test {
 protected:
  JobStoreTest() : db_(dir_ / "scanhub.db") { store::migrate(db_); }

  std::vector<core::JobId> add(std::vector<core::NewJob> jobs, int max_attempts = 3) {
    return jobs_.enqueue(jobs, now_, max_attempts);
  }
  std::vector<core::Job> claim(std::vector<store::ClaimSlot> slots, int limit,
                               std::string owner = "a") {
    store::ClaimRequest request{std::move(slots), limit, std::move(owner), seconds(30)};
    return jobs_.claim(request, now_);
  }
  static std::vector<core::JobId> ids_of(const std::vector<core::Job>& jobs) {
    std::vector<core::JobId> ids;
    for (const auto& j : jobs) ids.push_back(j.id);
    return ids;
  }
  core::JobStatus status(core::JobId id) { return jobs_.get(id).value().status; }

  test::TempDir dir_;
  sqlite::Database db_;
  store::SqliteJobStore jobs_{db_};
  core::TimePoint now_ = core::Clock::now();
};

TEST_F(JobStoreTest, ClaimTakesLowestPriorityNumberFirstThenOldest) {
  const auto ids = add({job("t", 8), job("t", 6), job("t", 7), job("t", 6), job("other", 1)});
  const auto claimed = claim({{"t", 10}}, 3);
  EXPECT_EQ(ids_of(claimed), (std::vector<core::JobId>{ids[1], ids[3], ids[2]}));
  for (const auto& j : claimed) {
    EXPECT_EQ(j.status, core::JobStatus::processing);
    EXPECT_EQ(j.attempts, 1);
    EXPECT_EQ(j.lease_owner, "a");
    ASSERT_TRUE(j.lease_expires);
    EXPECT_GT(*j.lease_expires, now_ + seconds(29));
  }
  EXPECT_EQ(ids_of(claim({{"t", 10}}, 10)), (std::vector<core::JobId>{ids[0]}));
  EXPECT_TRUE(claim({{"t", 10}}, 10).empty());
}

TEST_F(JobStoreTest, ClaimRespectsEachTypesLimitAndPriorityAcrossTypes) {
  const auto ids = add({job("a", 5), job("a", 5), job("a", 5), job("b", 1), job("b", 9)});
  const auto claimed = claim({{"a", 2}, {"b", 5}}, 3);
  // b's priority 1 first, then the two a's its limit allows; b's priority 9 loses to them.
  EXPECT_EQ(ids_of(claimed), (std::vector<core::JobId>{ids[3], ids[0], ids[1]}));
}

TEST_F(JobStoreTest, JobIsNotClaimedBeforeRunAfter) {
  auto later = job("t");
  later.run_after = now_ + seconds(5);
  add({later});
  EXPECT_TRUE(claim({{"t", 1}}, 1).empty());
  now_ += seconds(6);
  EXPECT_EQ(claim({{"t", 1}}, 1).size(), 1u);
}

TEST_F(JobStoreTest, CompleteOnlyUnderTheOwnersLease) {
  const auto id = add({job("t")}).front();
  claim({{"t", 1}}, 1, "a");
  EXPECT_FALSE(jobs_.complete(id, std::string("b"), now_));
  EXPECT_EQ(status(id), core::JobStatus::processing);
  EXPECT_TRUE(jobs_.complete(id, std::string("a"), now_));
  const auto stored = jobs_.get(id).value();
  EXPECT_EQ(stored.status, core::JobStatus::completed);
  EXPECT_TRUE(stored.finished_at);
  EXPECT_FALSE(stored.lease_owner);
  EXPECT_FALSE(jobs_.complete(id, std::string("a"), now_)) << "completes once";
}

TEST_F(JobStoreTest, FailRetriesWithDelayThenFailsWithTheReason) {
  const auto id = add({job("t")}, 2).front();
  claim({{"t", 1}}, 1);
  auto outcome = jobs_.fail(id, std::string("a"), "disk unplugged", now_, milliseconds(500));
  EXPECT_TRUE(outcome.found);
  EXPECT_TRUE(outcome.will_retry);
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_EQ(outcome.max_attempts, 2);
  EXPECT_EQ(status(id), core::JobStatus::pending);
  EXPECT_TRUE(claim({{"t", 1}}, 1).empty()) << "not before the backoff";
  now_ += milliseconds(501);
  ASSERT_EQ(claim({{"t", 1}}, 1).size(), 1u);
  outcome = jobs_.fail(id, std::string("a"), "disk still unplugged", now_, milliseconds(500));
  EXPECT_FALSE(outcome.will_retry);
  EXPECT_EQ(outcome.attempts, 2);
  const auto stored = jobs_.get(id).value();
  EXPECT_EQ(stored.status, core::JobStatus::failed);
  EXPECT_EQ(stored.last_error, "disk still unplugged");
  EXPECT_TRUE(stored.finished_at);
}

TEST_F(JobStoreTest, PermanentFailureSkipsRemainingAttempts) {
  const auto id = add({job("t")}, 5).front();
  claim({{"t", 1}}, 1);
  const auto outcome = jobs_.fail(id, std::nullopt, "not a video", now_, milliseconds(1), false);
  EXPECT_FALSE(outcome.will_retry);
  EXPECT_EQ(status(id), core::JobStatus::failed);
}

TEST_F(JobStoreTest, CancelTakesPendingAndRunningDescendantsNotFinishedOnes) {
  const auto root = add({job("scan")}).front();
  auto child = job("dir");
  child.parent_id = root;
  const auto children = add({child, child, child});
  auto grandchild = job("asset");
  grandchild.parent_id = children[0];
  const auto grand = add({grandchild}).front();
  const auto unrelated = add({job("dir")}).front();
  // children[1] runs, children[2] completed.
  ASSERT_EQ(claim({{"dir", 10}}, 10).size(), 4u);
  ASSERT_TRUE(jobs_.complete(children[2], std::nullopt, now_));
  ASSERT_EQ(jobs_.release(std::vector<core::JobId>{children[0], unrelated}, "a"), 2);

  const auto cancelled = jobs_.cancel(root, now_);
  EXPECT_EQ(cancelled, (std::vector<core::JobId>{root, children[0], children[1], grand}));
  EXPECT_EQ(status(children[1]), core::JobStatus::cancelled);
  EXPECT_EQ(status(children[2]), core::JobStatus::completed);
  EXPECT_EQ(status(unrelated), core::JobStatus::pending);
  EXPECT_FALSE(jobs_.complete(children[1], std::string("a"), now_)) << "a cancelled job's result is refused";
  EXPECT_TRUE(jobs_.cancel(root, now_).empty()) << "nothing left to cancel";
}

TEST_F(JobStoreTest, RecoverStalledTakesExpiredLeasesOrAllWithoutCountingTheAttempt) {
  const auto ids = add({job("t"), job("t")});
  store::ClaimRequest short_lease{{{"t", 1}}, 1, "dead", milliseconds(100)};
  jobs_.claim(short_lease, now_);
  claim({{"t", 1}}, 1, "alive");
  EXPECT_TRUE(jobs_.recover_stalled(now_ + milliseconds(50)).empty());
  EXPECT_EQ(jobs_.recover_stalled(now_ + milliseconds(200)), (std::vector<core::JobId>{ids[0]}));
  const auto recovered = jobs_.get(ids[0]).value();
  EXPECT_EQ(recovered.status, core::JobStatus::pending);
  EXPECT_EQ(recovered.attempts, 0);
  EXPECT_FALSE(recovered.lease_owner);
  EXPECT_EQ(jobs_.recover_stalled(now_, true), (std::vector<core::JobId>{ids[1]}));
}

TEST_F(JobStoreTest, RenewLeasesExtendsOnlyJobsStillOwned) {
  const auto ids = add({job("t"), job("t")});
  claim({{"t", 2}}, 2, "a");
  jobs_.cancel(ids[1], now_);
  const auto expires = now_ + seconds(120);
  EXPECT_EQ(jobs_.renew_leases(ids, "a", expires), (std::vector<core::JobId>{ids[0]}));
  EXPECT_EQ(jobs_.get(ids[0]).value().lease_expires.value(),
            core::TimePoint(std::chrono::time_point_cast<milliseconds>(expires)));
  EXPECT_TRUE(jobs_.renew_leases(ids, "b", expires).empty());
}

TEST_F(JobStoreTest, StatsCountByStatusAndType) {
  const auto ids = add({job("a"), job("a"), job("a"), job("b")});
  claim({{"a", 2}}, 2);
  jobs_.complete(ids[0], std::nullopt, now_);
  jobs_.cancel(ids[3], now_);
  const auto stats = jobs_.stats();
  EXPECT_EQ(stats.total, (core::QueueCounts{1, 1, 1, 0, 1}));
  EXPECT_EQ(stats.by_type.at("a"), (core::QueueCounts{1, 1, 1, 0, 0}));
  EXPECT_EQ(stats.by_type.at("b"), (core::QueueCounts{0, 0, 0, 0, 1}));
}

TEST_F(JobStoreTest, CancelScanAndListAndProgress) {
  db_.exec("INSERT INTO scans (id, started_at) VALUES (7, '2026-01-01T00:00:00Z')");
  auto of_scan = job("dir");
  of_scan.scan_id = 7;
  of_scan.payload = R"({"directoryPath":"/music/a"})";
  const auto ids = add({of_scan, of_scan, job("dir")});
  EXPECT_EQ(jobs_.cancel_scan(7, now_), (std::vector<core::JobId>{ids[0], ids[1]}));
  store::JobFilter filter;
  filter.status = core::JobStatus::pending;
  EXPECT_EQ(ids_of(jobs_.list(filter)), (std::vector<core::JobId>{ids[2]}));
  filter = {};
  filter.scan_id = 7;
  const auto listed = jobs_.list(filter);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, ids[1]) << "newest first";
  EXPECT_EQ(listed[0].payload, R"({"directoryPath":"/music/a"})");

  core::JobProgress progress{5, 10, 50, "Scanning directory 5 of 10", "/movies/The Matrix"};
  EXPECT_TRUE(jobs_.save_progress(ids[2], progress));
  EXPECT_EQ(jobs_.get(ids[2]).value().progress, progress);
  EXPECT_FALSE(jobs_.save_progress(999, progress));
}

TEST_F(JobStoreTest, UnknownParentIsRejected) {
  auto orphan = job("t");
  orphan.parent_id = 12345;
  EXPECT_THROW(add({job("t"), orphan}), sqlite::Error);
}

}  // namespace

namespace {

core::NewJob external(std::optional<std::string> creator, std::string_view video) {
  core::NewJob j = job("external");
  j.payload = R"({"jobType":"Transcription","videoId":")" + std::string(video) + R"(","payload":null})";
  j.created_by = std::move(creator);
  return j;
}

TEST_F(JobStoreTest, CreatorIsStoredAndNarrowsWhatAUserIsShown) {
  const auto ids = add({external("alice", "v1"), external("bob", "v1"), external(std::nullopt, "v2"),
                        job("directory-scan")});
  EXPECT_EQ(jobs_.get(ids[0])->created_by, "alice");
  EXPECT_FALSE(jobs_.get(ids[2])->created_by);

  // A user is shown their own external jobs and every job of another type.
  store::JobFilter alice;
  alice.visible_to = "alice";
  EXPECT_EQ(ids_of(jobs_.list(alice)), (std::vector<core::JobId>{ids[3], ids[0]}));
  EXPECT_EQ(ids_of(jobs_.list(store::JobFilter{})).size(), 4u);

  // The external jobs of one video, by the videoId of their payload.
  store::JobFilter video;
  video.video_id = "v1";
  EXPECT_EQ(ids_of(jobs_.list(video)), (std::vector<core::JobId>{ids[1], ids[0]}));
  video.visible_to = "bob";
  EXPECT_EQ(ids_of(jobs_.list(video)), (std::vector<core::JobId>{ids[1]}));
}

}  // namespace
