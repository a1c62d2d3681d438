// The queue runtime on a real SQLite file: priority order, per-type concurrency, retries with
// backoff, exactly-once commits with children, cancellation, stalled recovery, heartbeat, stop.

#include "lib/sqlite/statement.hpp"
#include "queue/queue.hpp"
#include "queue_support.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>

using namespace scanhub;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

core::NewJob job(std::string type, int priority = core::kPriorityDefault) {
  core::NewJob j;
  j.type = std::move(type);
  j.priority = priority;
  return j;
}

queue::JobTypeOptions type_options(int max_attempts, int concurrency,
                                   queue::RetryPolicy retry = {}) {
  queue::JobTypeOptions options;
  options.max_attempts = max_attempts;
  options.concurrency = concurrency;
  options.retry = retry;
  return options;
}

/// A CommitFn that records one result for `id` and counts it.
queue::CommitFn record_result(core::JobId id) {
  return [id](store::Connection& c) {
    sqlite::Statement insert(c.db, "INSERT INTO results (job_id) VALUES (?)");
    insert.bind(1, id).run();
    c.db.exec("UPDATE counter SET n = n + 1");
  };
}

class QueueTest : public ::testing::Test {
 protected:
  QueueTest() {
    store_.write_sync([](store::Connection& c) {
      c.db.exec("CREATE TABLE results (job_id INTEGER NOT NULL);"
                "CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0);");
    });
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
  static queue::QueueOptions fast_options(unsigned workers = 4) {
    queue::QueueOptions options;
    options.workers = workers;
    options.poll_interval = milliseconds(20);
    options.stats_interval = milliseconds(20);
    return options;
  }

  test::TempDir dir_;
  store::Store store_{dir_ / "scanhub.db"};
  test::RecordingObserver observer_;
};

TEST_F(QueueTest, RunsLowestPriorityNumberFirstThenOldest) {
  queue::Queue q(store_, fast_options(1));
  std::mutex mutex;
  std::vector<core::JobId> order;
  q.register_handler("t", [&](queue::JobContext& context) {
    std::lock_guard lock(mutex);
    order.push_back(context.job().id);
    return queue::CommitFn{};
  });
  const auto ids = q.enqueue({job("t", 8), job("t", 6), job("t", 7), job("t", 6), job("t", 1)});
  q.start();
  ASSERT_TRUE(test::wait_for([&] { return scalar("SELECT COUNT(*) FROM jobs WHERE status = 'completed'") == 5; }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(order, (std::vector<core::JobId>{ids[4], ids[1], ids[3], ids[2], ids[0]}));
}

TEST_F(QueueTest, EachTypeRunsAtMostItsConcurrency) {
  queue::Queue q(store_, fast_options(8));
  struct Gauge {
    std::atomic<int> now{0};
    std::atomic<int> max{0};
  } slow, fast;
  auto measured = [](Gauge& gauge) {
    return [&gauge](queue::JobContext&) {
      const int n = ++gauge.now;
      int seen = gauge.max.load();
      while (n > seen && !gauge.max.compare_exchange_weak(seen, n)) {
      }
      std::this_thread::sleep_for(milliseconds(40));
      --gauge.now;
      return queue::CommitFn{};
    };
  };
  q.register_handler("slow", measured(slow), type_options(1, 2));
  q.register_handler("fast", measured(fast), type_options(1, 3));
  std::vector<core::NewJob> jobs(8, job("slow"));
  jobs.insert(jobs.end(), 9, job("fast"));
  q.enqueue(jobs);
  q.start();
  ASSERT_TRUE(test::wait_for([&] { return scalar("SELECT COUNT(*) FROM jobs WHERE status = 'completed'") == 17; }));
  EXPECT_EQ(slow.max.load(), 2);
  EXPECT_EQ(fast.max.load(), 3);
}

TEST_F(QueueTest, FailedAttemptsRetryWithBackoffThenTheJobFailsWithTheReason) {
  auto options = fast_options();
  queue::Queue q(store_, options);
  q.add_observer(observer_);
  std::mutex mutex;
  std::vector<steady_clock::time_point> calls;
  q.register_handler(
      "flaky",
      [&](queue::JobContext&) -> queue::CommitFn {
        {
          std::lock_guard lock(mutex);
          calls.push_back(steady_clock::now());
        }
        throw std::runtime_error("disk unplugged");
      },
      type_options(3, 1, {milliseconds(60), milliseconds(1000), 0.0}));
  int second_attempts = 0;
  q.register_handler(
      "second-time-lucky",
      [&](queue::JobContext& context) -> queue::CommitFn {
        if (++second_attempts == 1) throw std::runtime_error("busy");
        return record_result(context.job().id);
      },
      type_options(3, 1, {milliseconds(10), milliseconds(10), 0.0}));
  const auto flaky = q.enqueue({job("flaky")}).front();
  const auto lucky = q.enqueue({job("second-time-lucky")}).front();
  q.start();
  ASSERT_TRUE(test::wait_for([&] { return stored(flaky).status == core::JobStatus::failed; }));
  ASSERT_TRUE(test::wait_for([&] { return stored(lucky).status == core::JobStatus::completed; }));

  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(calls.size(), 3u);
    EXPECT_GE(calls[1] - calls[0], milliseconds(60));
    EXPECT_GE(calls[2] - calls[1], milliseconds(120)) << "the delay doubles";
  }
  // Observers hear of a failure after its commit: wait for the third.
  ASSERT_TRUE(test::wait_for([&] {
    return observer_.locked([&] { return observer_.failures.size() >= 4; });
  })) << "3 failures of the flaky job and 1 of the lucky one";
  const auto failed = stored(flaky);
  EXPECT_EQ(failed.attempts, 3);
  EXPECT_EQ(failed.last_error, "disk unplugged");
  observer_.locked([&] {
    std::vector<queue::JobFailure> of_flaky;
    for (const auto& f : observer_.failures) {
      if (f.id == flaky) of_flaky.push_back(f.failure);
    }
    ASSERT_EQ(of_flaky.size(), 3u);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(of_flaky[i].attempt, i + 1);
      EXPECT_EQ(of_flaky[i].max_attempts, 3);
      EXPECT_EQ(of_flaky[i].will_retry, i < 2);
      EXPECT_EQ(of_flaky[i].error, "disk unplugged");
    }
  });
  EXPECT_EQ(stored(lucky).attempts, 2);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM results"), 1);
}

TEST_F(QueueTest, PermanentErrorFailsAtOnce) {
  queue::Queue q(store_, fast_options());
  int calls = 0;
  q.register_handler(
      "probe",
      [&](queue::JobContext&) -> queue::CommitFn {
        ++calls;
        throw queue::PermanentJobError("not a video");
      },
      type_options(5, 1));
  const auto id = q.enqueue({job("probe")}).front();
  q.start();
  ASSERT_TRUE(test::wait_for([&] { return stored(id).status == core::JobStatus::failed; }));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(stored(id).last_error, "not a video");
}

TEST_F(QueueTest, ResultsChildrenAndCompletionCommitTogether) {
  queue::Queue q(store_, fast_options());
  q.add_observer(observer_);
  q.register_handler("dir", [&](queue::JobContext& context) {
    for (int i = 0; i < 3; ++i) {
      auto child = job("asset", core::kPriorityCacheAsset);
      child.payload = R"({"n":)" + std::to_string(i) + "}";
      context.add_child(child);
    }
    return record_result(context.job().id);
  });
  int commit_failures = 0;
  q.register_handler(
      "asset",
      [&](queue::JobContext& context) -> queue::CommitFn {
        const auto id = context.job().id;
        // The first attempt's commit fails after writing its result: the write rolls back.
        if (context.job().payload == R"({"n":0})" && context.job().attempts == 1) {
          return [id, &commit_failures](store::Connection& c) {
            record_result(id)(c);
            ++commit_failures;
            throw std::runtime_error("constraint failed");
          };
        }
        return record_result(id);
      },
      type_options(2, 2, {milliseconds(5), milliseconds(5), 0.0}));
  const auto dir = q.enqueue({job("dir", core::kPriorityDirectoryScan)}).front();
  q.start();
  ASSERT_TRUE(test::wait_for([&] { return scalar("SELECT COUNT(*) FROM jobs WHERE status = 'completed'") == 4; }));
  EXPECT_EQ(commit_failures, 1);
  EXPECT_EQ(scalar("SELECT n FROM counter"), 4);
  EXPECT_EQ(scalar("SELECT COUNT(DISTINCT job_id) FROM results"), 4);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM jobs WHERE parent_id = " + std::to_string(dir)), 3);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM jobs WHERE priority = 7"), 3);
  ASSERT_TRUE(test::wait_for([&] { return observer_.locked([&] { return observer_.completed.size() == 4; }); }));
  observer_.locked([&] { EXPECT_EQ(observer_.created.size(), 4u) << "the dir job and its 3 children"; });
}

TEST_F(QueueTest, CancellingAParentCancelsItsChildrenAndRefusesARunningChildsResult) {
  queue::Queue q(store_, fast_options());
  q.add_observer(observer_);
  std::atomic<int> children_started{0};
  std::atomic<bool> stop_seen{false};
  q.register_handler("scan", [&](queue::JobContext& context) {
    for (int i = 0; i < 5; ++i) context.add_child(job("dir"));
    // The scan waits for its children (as a discover job of a long scan would still run).
    while (!context.stop_requested()) std::this_thread::sleep_for(milliseconds(5));
    throw std::runtime_error("cancelled");
    return queue::CommitFn{};
  });
  q.register_handler(
      "dir",
      [&](queue::JobContext& context) {
        ++children_started;
        while (!context.stop_requested()) std::this_thread::sleep_for(milliseconds(5));
        stop_seen = true;
        // Breaks the convention (should throw): the queue must still refuse the result.
        return record_result(context.job().id);
      },
      type_options(1, 1));
  // Children are added when their parent completes, so give the scan a parent of its own.
  const auto root = q.enqueue({job("root")}).front();
  auto scan = job("scan");
  scan.parent_id = root;
  const auto scan_id = q.enqueue({scan}).front();
  auto child = job("dir");
  child.parent_id = scan_id;
  const auto children = q.enqueue(std::vector<core::NewJob>(4, child));
  q.start();
  ASSERT_TRUE(test::wait_for([&] { return children_started.load() == 1; }));
  const auto cancelled = q.cancel(root);
  std::vector<core::JobId> expected{root, scan_id};
  expected.insert(expected.end(), children.begin(), children.end());
  EXPECT_EQ(cancelled, expected);
  ASSERT_TRUE(test::wait_for([&] { return stop_seen.load(); }));
  ASSERT_TRUE(test::wait_for([&] { return q.stats().total.processing == 0; }));
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(children_started.load(), 1) << "pending children never start";
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM results"), 0);
  EXPECT_EQ(q.stats().total.cancelled, 6);
  observer_.locked([&] { EXPECT_EQ(observer_.cancelled, expected); });
}

TEST_F(QueueTest, CancelScanCancelsEveryJobOfTheScan) {
  store_.write_sync([](store::Connection& c) {
    c.db.exec("INSERT INTO scans (id, started_at) VALUES (3, '2026-01-01T00:00:00Z')");
  });
  queue::Queue q(store_, fast_options());
  auto of_scan = job("dir");
  of_scan.scan_id = 3;
  const auto ids = q.enqueue({of_scan, of_scan, job("dir")});
  EXPECT_EQ(q.cancel_scan(3), (std::vector<core::JobId>{ids[0], ids[1]}));
  EXPECT_EQ(stored(ids[2]).status, core::JobStatus::pending);
}

TEST_F(QueueTest, JobLeftProcessingByADeadProcessRunsAtStartUp) {
  core::JobId left = 0;
  store_.write_sync([&](store::Connection& c) {
    left = c.jobs.enqueue(std::vector<core::NewJob>{job("t")}, core::Clock::now(), 3).front();
    store::ClaimRequest request{{{"t", 1}}, 1, "dead-process", std::chrono::hours(1)};
    c.jobs.claim(request, core::Clock::now());
  });
  queue::Queue q(store_, fast_options());
  q.register_handler("t", [](queue::JobContext& context) { return record_result(context.job().id); });
  const auto started = steady_clock::now();
  q.start();
  ASSERT_TRUE(test::wait_for([&] { return stored(left).status == core::JobStatus::completed; }));
  EXPECT_LT(steady_clock::now() - started, std::chrono::seconds(2)) << "no wait for the lease";
  EXPECT_EQ(stored(left).attempts, 1) << "the interrupted attempt is not counted";
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM results"), 1);
}

TEST_F(QueueTest, AJobTheProcessDiedRunningMaxStalledTimesFailsForGoodAndIsCountedOnce) {
  // Three processes died while running the job (claimed, never finished); two were recovered.
  core::JobId doomed = 0;
  store_.write_sync([&](store::Connection& c) {
    doomed = c.jobs.enqueue(std::vector<core::NewJob>{job("t")}, core::Clock::now(), 3).front();
    for (int crash = 0; crash < 3; ++crash) {
      if (crash > 0) c.jobs.recover_stalled(core::Clock::now(), true);
      store::ClaimRequest request{{{"t", 1}}, 1, "dead-host:" + std::to_string(crash), milliseconds(300)};
      ASSERT_EQ(c.jobs.claim(request, core::Clock::now()).size(), 1u);
    }
  });
  ASSERT_EQ(scalar("SELECT stalled_count FROM jobs WHERE id = " + std::to_string(doomed)), 2);

  auto options = fast_options();
  options.max_stalled = 2;
  queue::Queue q(store_, options);
  std::atomic<int> runs{0};
  std::atomic<int> counted{0};
  std::string counted_error;
  auto type = type_options(3, 1);
  type.on_failed = [&](store::Connection&, const core::Job& failed, const std::string& error) {
    EXPECT_EQ(failed.id, doomed);
    counted_error = error;
    ++counted;
    return std::function<void()>{};
  };
  q.register_handler("t", [&](queue::JobContext& context) {
    ++runs;
    return record_result(context.job().id);
  }, type);
  q.add_observer(observer_);
  q.start();
  const auto after = stored(doomed);
  EXPECT_EQ(after.status, core::JobStatus::failed) << "not recovered a third time";
  ASSERT_TRUE(after.last_error);
  EXPECT_NE(after.last_error->find("stalled 2 times"), std::string::npos) << *after.last_error;
  EXPECT_EQ(counted.load(), 1) << "counted by its type's on_failed, once";
  EXPECT_NE(counted_error.find("process stopped"), std::string::npos) << counted_error;
  const auto failures = observer_.locked([&] { return observer_.failures; });
  ASSERT_EQ(failures.size(), 1u) << "reported before start() returns";
  EXPECT_EQ(failures.front().id, doomed);
  EXPECT_FALSE(failures.front().failure.will_retry);
  q.stop(milliseconds(500));
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM results"), 0);
}

TEST_F(QueueTest, StalledJobOfAnotherWorkerIsRecoveredWhenItsLeaseExpires) {
  core::JobId stalled = 0;
  store_.write_sync([&](store::Connection& c) {
    stalled = c.jobs.enqueue(std::vector<core::NewJob>{job("t")}, core::Clock::now(), 3).front();
    store::ClaimRequest request{{{"t", 1}}, 1, "other-host:1", milliseconds(300)};
    c.jobs.claim(request, core::Clock::now());
  });
  auto options = fast_options();
  options.recover_all_at_start = false;  // shared store: only expired leases are stalled
  options.lease = milliseconds(150);
  queue::Queue q(store_, options);
  q.register_handler("t", [](queue::JobContext& context) { return record_result(context.job().id); });
  q.start();
  std::this_thread::sleep_for(milliseconds(150));
  EXPECT_EQ(stored(stalled).status, core::JobStatus::processing) << "its lease still holds";
  ASSERT_TRUE(test::wait_for([&] { return stored(stalled).status == core::JobStatus::completed; }));
  EXPECT_EQ(scalar("SELECT stalled_count FROM jobs WHERE id = " + std::to_string(stalled)), 1);
}

TEST_F(QueueTest, HeartbeatKeepsALongJobLeasedSoNoOtherWorkerTakesIt) {
  auto options = fast_options(2);
  options.recover_all_at_start = false;
  options.lease = milliseconds(120);
  std::atomic<int> runs{0};
  auto long_job = [&](queue::JobContext& context) {
    ++runs;
    std::this_thread::sleep_for(milliseconds(700));  // several leases long
    return record_result(context.job().id);
  };
  queue::Queue first(store_, options);
  first.register_handler("long", long_job);
  const auto id = first.enqueue({job("long")}).front();
  first.start();
  ASSERT_TRUE(test::wait_for([&] { return runs.load() == 1; }));
  const auto claimed_lease = stored(id).lease_expires.value();
  // A second worker on the same database, recovering stalled jobs as it goes.
  queue::Queue second(store_, options);
  second.register_handler("long", long_job);
  second.start();
  ASSERT_TRUE(test::wait_for([&] { return stored(id).status == core::JobStatus::completed; }));
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(stored(id).attempts, 1);
  EXPECT_EQ(scalar("SELECT stalled_count FROM jobs"), 0);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM results"), 1);
  (void)claimed_lease;
}

TEST_F(QueueTest, HeartbeatStopsAJobCancelledByAnotherProcess) {
  auto options = fast_options();
  options.lease = milliseconds(90);
  queue::Queue q(store_, options);
  std::atomic<bool> started{false};
  std::atomic<bool> stopped{false};
  q.register_handler("t", [&](queue::JobContext& context) -> queue::CommitFn {
    started = true;
    const auto deadline = steady_clock::now() + std::chrono::seconds(10);
    while (!context.stop_requested() && steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(5));
    }
    stopped = context.stop_requested();
    throw std::runtime_error("stopped");
  });
  const auto id = q.enqueue({job("t")}).front();
  q.start();
  ASSERT_TRUE(test::wait_for([&] { return started.load(); }));
  // Another process (another connection) cancels it in the database only.
  sqlite::Database other(dir_ / "scanhub.db");
  sqlite::Statement cancel(other, "UPDATE jobs SET status = 'cancelled', lease_owner = NULL WHERE id = ?");
  cancel.bind(1, id).run();
  ASSERT_TRUE(test::wait_for([&] { return stopped.load(); }, std::chrono::seconds(5)));
  EXPECT_EQ(stored(id).status, core::JobStatus::cancelled);
}

TEST_F(QueueTest, StopGivesRunningJobsBackWithoutCountingTheAttempt) {
  auto q = std::make_unique<queue::Queue>(store_, fast_options());
  std::atomic<bool> started{false};
  q->register_handler("t", [&](queue::JobContext& context) -> queue::CommitFn {
    started = true;
    while (!context.stop_requested()) std::this_thread::sleep_for(milliseconds(5));
    throw std::runtime_error("interrupted");
  });
  const auto id = q->enqueue({job("t")}).front();
  q->start();
  ASSERT_TRUE(test::wait_for([&] { return started.load(); }));
  q->stop(milliseconds(50));
  const auto job_after = stored(id);
  EXPECT_EQ(job_after.status, core::JobStatus::pending);
  EXPECT_EQ(job_after.attempts, 0);
  EXPECT_FALSE(job_after.lease_owner);
}

TEST_F(QueueTest, ProgressAndStatsReachObservers) {
  queue::Queue q(store_, fast_options());
  q.add_observer(observer_);
  std::atomic<bool> reported{false};
  std::atomic<bool> release{false};
  q.register_handler("t", [&](queue::JobContext& context) {
    context.report_progress({5, 10, 50, "Scanning directory 5 of 10", "/movies/The Matrix"});
    reported = true;
    while (!release) std::this_thread::sleep_for(milliseconds(5));
    return queue::CommitFn{};
  });
  const auto id = q.enqueue({job("t")}).front();
  q.start();
  ASSERT_TRUE(test::wait_for([&] { return reported.load(); }));
  const auto running = q.get(id).value();
  EXPECT_EQ(running.status, core::JobStatus::processing);
  ASSERT_TRUE(running.progress);
  EXPECT_EQ(running.progress->message, "Scanning directory 5 of 10");
  release = true;
  ASSERT_TRUE(test::wait_for([&] {
    return observer_.locked([&] {
      return !observer_.stats.empty() && observer_.stats.back().total.completed == 1 &&
             !observer_.completed.empty();
    });
  }));
  observer_.locked([&] {
    ASSERT_EQ(observer_.progress.size(), 1u);
    EXPECT_EQ(observer_.progress[0].second.detail, "/movies/The Matrix");
    EXPECT_EQ(observer_.started, std::vector<core::JobId>{id});
    EXPECT_EQ(observer_.completed, std::vector<core::JobId>{id});
  });
}

TEST_F(QueueTest, JobsAddedInsideAnotherWriteRunAfterItsCommit) {
  queue::Queue q(store_, fast_options());
  q.add_observer(observer_);
  q.register_handler("t", [](queue::JobContext& context) { return record_result(context.job().id); });
  q.start();
  std::vector<core::JobId> ids;
  store_.write_sync([&](store::Connection& c) {
    c.db.exec("UPDATE counter SET n = 100");  // the caller's own data, same transaction
    ids = q.enqueue_in(c, std::vector<core::NewJob>{job("t"), job("t")});
  });
  q.notify_enqueued(ids);
  ASSERT_TRUE(test::wait_for([&] { return scalar("SELECT COUNT(*) FROM results") == 2; }));
  EXPECT_EQ(scalar("SELECT n FROM counter"), 102);
  EXPECT_EQ(stored(ids[0]).max_attempts, 3) << "the type's default";
  observer_.locked([&] { EXPECT_EQ(observer_.created, ids); });
}

TEST_F(QueueTest, EnqueueWithAnUnknownParentAddsNothing) {
  queue::Queue q(store_, fast_options());
  auto orphan = job("t");
  orphan.parent_id = 4242;
  EXPECT_THROW(q.enqueue({job("t"), orphan}), sqlite::Error);
  EXPECT_EQ(q.stats().total.pending, 0);
}

TEST_F(QueueTest, RegisteringWrongly) {
  queue::Queue q(store_, fast_options());
  auto noop = [](queue::JobContext&) { return queue::CommitFn{}; };
  EXPECT_THROW(q.register_handler("t", noop, type_options(0, 1)), std::invalid_argument);
  q.register_handler("t", noop);
  EXPECT_THROW(q.register_handler("t", noop), std::logic_error);
  q.start();
  EXPECT_THROW(q.register_handler("u", noop), std::logic_error);
}

}  // namespace
