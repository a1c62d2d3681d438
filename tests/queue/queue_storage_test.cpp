// The queue against storage faults, on a real SQLite file whose writer connection is held to
// its current size (PRAGMA max_page_count: SQLite then fails writes that need a new page with
// SQLITE_FULL, as on a full disk): the queue pauses instead of failing or looping, claims
// nothing meanwhile, retries with backoff and commits the kept result exactly once when space
// returns. A damaged file fails the job that meets it at once.

#include "lib/sqlite/statement.hpp"
#include "queue/queue.hpp"
#include "queue_support.hpp"
#include "support/temp_dir.hpp"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include <atomic>

using namespace scanhub;
using std::chrono::milliseconds;
using State = queue::StorageStatus::State;

namespace {

core::NewJob job(std::string type) {
  core::NewJob j;
  j.type = std::move(type);
  return j;
}

queue::JobTypeOptions type_options(int max_attempts, int concurrency) {
  queue::JobTypeOptions options;
  options.max_attempts = max_attempts;
  options.concurrency = concurrency;
  options.retry = {milliseconds(10), milliseconds(10), 0.0};
  return options;
}

class StorageRecorder : public test::RecordingObserver {
 public:
  void on_storage_changed(const queue::StorageStatus& status) override {
    locked([&] {
      storage.push_back(status);
      return 0;
    });
  }
  std::vector<queue::StorageStatus> storage;  // guarded by locked()
};

class QueueStorageTest : public ::testing::Test {
 protected:
  QueueStorageTest() {
    store_.write_sync([](store::Connection& c) {
      c.db.exec("CREATE TABLE results (job_id INTEGER NOT NULL, data BLOB)");
    });
  }

  static queue::QueueOptions options() {
    queue::QueueOptions o;
    o.workers = 2;
    o.poll_interval = milliseconds(20);
    o.stats_interval = milliseconds(20);
    o.storage_backoff = {milliseconds(20), milliseconds(200), milliseconds(60000)};
    return o;
  }

  /// The database may not grow: a write that needs one more page fails with SQLITE_FULL.
  void fill_disk() {
    store_.write_sync([](store::Connection& c) {
      sqlite::Statement pages(c.db, "PRAGMA page_count");
      pages.step();
      c.db.exec("PRAGMA max_page_count = " + std::to_string(pages.column_int64(0)));
    });
  }
  void free_disk() {
    store_.write_sync([](store::Connection& c) { c.db.exec("PRAGMA max_page_count = 1073741823"); });
  }

  std::int64_t scalar(const std::string& sql) {
    return store_.read([&](store::Connection& c) {
      sqlite::Statement s(c.db, sql);
      s.step();
      return s.column_int64(0);
    });
  }
  core::Job stored(core::JobId id) {
    return store_.read([&](store::Connection& c) { return c.jobs.get(id).value(); });
  }
  std::size_t storage_changes() {
    return observer_.locked([&] { return observer_.storage.size(); });
  }

  test::TempDir dir_;
  store::Store store_{dir_ / "scanhub.db"};
  StorageRecorder observer_;
};

// A result of 200 KB: it needs new pages.
queue::CommitFn big_result(core::JobId id) {
  return [id](store::Connection& c) {
    sqlite::Statement insert(c.db, "INSERT INTO results (job_id, data) VALUES (?, zeroblob(200000))");
    insert.bind(1, id).run();
  };
}

}  // namespace

TEST_F(QueueStorageTest, ACompletionOnAFullDiskPausesTheQueueAndCommitsOnceWhenSpaceReturns) {
  queue::Queue q(store_, options());
  q.add_observer(observer_);
  std::atomic<int> runs{0};
  q.register_handler("big", [&](queue::JobContext& context) {
    ++runs;
    return big_result(context.job().id);
  }, type_options(3, 4));
  q.register_handler("small", [](queue::JobContext& context) {
    return queue::CommitFn([id = context.job().id](store::Connection& c) {
      sqlite::Statement insert(c.db, "INSERT INTO results (job_id) VALUES (?)");
      insert.bind(1, id).run();
    });
  }, type_options(3, 4));
  const auto big = q.enqueue({job("big")}).front();
  fill_disk();
  q.start();

  // Paused, and still paused after two failed retries: no failure recorded, no attempt spent.
  ASSERT_TRUE(test::wait_for([&] { return storage_changes() >= 3; }));
  auto status = q.storage_status();
  EXPECT_EQ(status.state, State::paused);
  EXPECT_NE(status.reason.find("is full"), std::string::npos) << status.reason;
  EXPECT_NE(status.reason.find((dir_ / "scanhub.db").string()), std::string::npos) << status.reason;
  ASSERT_TRUE(status.retry_at);
  observer_.locked([&] {
    EXPECT_EQ(observer_.storage.front().state, State::paused);
    EXPECT_TRUE(observer_.failures.empty());
    EXPECT_TRUE(observer_.completed.empty());
    return 0;
  });
  EXPECT_EQ(runs, 1) << "its result is kept and committed again, the handler does not run again";
  EXPECT_EQ(stored(big).status, core::JobStatus::processing);
  EXPECT_EQ(stored(big).attempts, 1);

  // Nothing is claimed while paused (a row in the jobs table still fits).
  const auto small = q.enqueue({job("small")}).front();
  const auto changes = storage_changes();
  ASSERT_TRUE(test::wait_for([&] { return storage_changes() >= changes + 2; }));
  EXPECT_EQ(stored(small).status, core::JobStatus::pending);

  free_disk();
  ASSERT_TRUE(test::wait_for([&] {
    return stored(big).status == core::JobStatus::completed && stored(small).status == core::JobStatus::completed;
  }));
  EXPECT_EQ(stored(big).attempts, 1) << "the full disk was not counted as a failed attempt";
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM results WHERE job_id = " + std::to_string(big)), 1);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM results"), 2);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(q.storage_status().state, State::ok);
  ASSERT_TRUE(test::wait_for([&] {
    return observer_.locked([&] { return observer_.storage.back().state == State::ok; });
  }));
  observer_.locked([&] {
    EXPECT_TRUE(observer_.failures.empty());
    return 0;
  });
}

TEST_F(QueueStorageTest, AHandlerWhoseReadFailsForStorageRunsAgainWithoutSpendingAnAttempt) {
  queue::Queue q(store_, options());
  q.add_observer(observer_);
  std::atomic<int> runs{0};
  q.register_handler("read", [&](queue::JobContext&) -> queue::CommitFn {
    if (++runs == 1) throw sqlite::Error(SQLITE_IOERR_READ, "statement `SELECT ...` failed: disk I/O error");
    return {};
  }, type_options(1, 1));
  const auto id = q.enqueue({job("read")}).front();
  q.start();
  ASSERT_TRUE(test::wait_for([&] { return stored(id).status == core::JobStatus::completed; }));
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(stored(id).attempts, 1) << "max_attempts 1: a counted attempt would have failed it";
  ASSERT_TRUE(test::wait_for([&] {
    return observer_.locked([&] { return observer_.storage.size() >= 2; });
  }));
  observer_.locked([&] {
    EXPECT_EQ(observer_.storage.front().state, State::paused);
    EXPECT_NE(observer_.storage.front().reason.find("I/O error"), std::string::npos);
    EXPECT_EQ(observer_.storage.back().state, State::ok);
    EXPECT_TRUE(observer_.failures.empty());
    return 0;
  });
}

TEST_F(QueueStorageTest, AJobThatMeetsADamagedFileFailsAtOnceWithTheReasonAndOthersRunOn) {
  auto o = options();
  std::mutex mutex;
  std::vector<std::pair<core::JobId, std::string>> damaged;
  o.on_damaged = [&](const core::Job* j, const std::string& reason) {
    std::lock_guard lock(mutex);
    damaged.emplace_back(j ? j->id : 0, reason);
  };
  queue::Queue q(store_, o);
  q.add_observer(observer_);
  std::atomic<int> bad_runs{0};
  q.register_handler("bad", [&](queue::JobContext&) -> queue::CommitFn {
    ++bad_runs;
    throw sqlite::Error(SQLITE_CORRUPT, "statement `SELECT ...` failed: database disk image is malformed");
  }, type_options(3, 1));
  q.register_handler("good", [](queue::JobContext&) { return queue::CommitFn(); }, type_options(3, 1));
  const auto ids = q.enqueue({job("bad"), job("good")});
  q.start();
  ASSERT_TRUE(test::wait_for([&] {
    return stored(ids[0]).status == core::JobStatus::failed && stored(ids[1]).status == core::JobStatus::completed;
  }));
  EXPECT_EQ(bad_runs, 1) << "waiting does not mend a file: no retry";
  const auto failed = stored(ids[0]);
  EXPECT_EQ(failed.attempts, 1);
  ASSERT_TRUE(failed.last_error);
  EXPECT_NE(failed.last_error->find("is damaged"), std::string::npos) << *failed.last_error;
  EXPECT_NE(failed.last_error->find("scanhub db check"), std::string::npos) << *failed.last_error;
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(damaged.size(), 1u);
    EXPECT_EQ(damaged.front().first, ids[0]);
    EXPECT_EQ(damaged.front().second, *failed.last_error);
  }
  const auto status = q.storage_status();
  EXPECT_EQ(status.state, State::damaged);
  EXPECT_NE(status.reason.find((dir_ / "scanhub.db").string()), std::string::npos);
}
