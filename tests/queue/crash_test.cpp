// Exactly-once under kill -9: a child process runs the queue on a real SQLite file and is
// SIGKILLed at random moments, again and again; each new process recovers and goes on. In the
// end every job is completed once and its result counted once: nothing lost, nothing twice.

#include "lib/sqlite/statement.hpp"
#include "queue/queue.hpp"
#include "queue_support.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

using namespace scanhub;
using std::chrono::milliseconds;

namespace {

constexpr int kJobs = 2000;
constexpr int kKills = 20;  // issue 4's crash test: at least 20 kills in a row

std::int64_t scalar(sqlite::Database& db, const std::string& sql) {
  sqlite::Statement s(db, sql);
  s.step();
  return s.column_int64(0);
}

/// The worker process: runs the queue until every job is completed, then exits 0.
[[noreturn]] void run_worker_process(const std::filesystem::path& db_path) {
  try {
    store::Store store(db_path);
    queue::QueueOptions options;
    options.workers = 4;
    options.poll_interval = milliseconds(20);
    queue::Queue q(store, options);
    q.register_handler(
        "work",
        [](queue::JobContext& context) -> queue::CommitFn {
          std::this_thread::sleep_for(std::chrono::microseconds(2000 + context.job().id % 2000));
          const core::JobId id = context.job().id;
          return [id](store::Connection& c) {
            sqlite::Statement insert(c.db, "INSERT INTO results (job_id) VALUES (?)");
            insert.bind(1, id).run();
            c.db.exec("UPDATE counter SET n = n + 1");
          };
        },
        [] {
          queue::JobTypeOptions type;
          type.max_attempts = 3;
          type.concurrency = 4;
          return type;
        }());
    q.start();
    while (q.stats().total.completed < kJobs) std::this_thread::sleep_for(milliseconds(10));
    q.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "worker process: %s\n", e.what());
    ::_exit(2);
  }
  ::_exit(0);
}

TEST(QueueCrash, KillNineAtRandomMomentsCompletesEveryJobExactlyOnce) {
  test::TempDir dir;
  const auto db_path = dir / "scanhub.db";
  {
    store::Store store(db_path);
    store.write_sync([](store::Connection& c) {
      c.db.exec("CREATE TABLE results (job_id INTEGER NOT NULL);"
                "CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0);");
      std::vector<core::NewJob> jobs(kJobs);
      for (auto& j : jobs) j.type = "work";
      c.jobs.enqueue(jobs, core::Clock::now(), 3);
    });
  }

  std::mt19937 random(std::random_device{}());
  int kills_mid_run = 0;
  std::vector<std::int64_t> completed_at_kill;
  for (int round = 0; round < 60; ++round) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) run_worker_process(db_path);
    std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(40, 120)(random)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    sqlite::Database db(db_path);
    const auto completed = scalar(db, "SELECT COUNT(*) FROM jobs WHERE status = 'completed'");
    completed_at_kill.push_back(completed);
    if (WIFSIGNALED(status) && completed > 0 && completed < kJobs) ++kills_mid_run;
    if (completed == kJobs || kills_mid_run >= kKills) break;
  }
  std::string trace;
  for (auto n : completed_at_kill) trace += std::to_string(n) + " ";
  EXPECT_GE(kills_mid_run, kKills) << "the kills must land while jobs are running; completed "
                                      "after each kill: " << trace;

  // A last process runs to the end.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) run_worker_process(db_path);
  int status = 0;
  bool exited = false;
  for (int i = 0; i < 6000 && !exited; ++i) {  // at most 60 s
    exited = ::waitpid(pid, &status, WNOHANG) == pid;
    if (!exited) std::this_thread::sleep_for(milliseconds(10));
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL() << "the last worker process did not finish in 60 s";
  }
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  sqlite::Database db(db_path);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM jobs WHERE status = 'completed'"), kJobs);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM results"), kJobs) << "a result counted twice or lost";
  EXPECT_EQ(scalar(db, "SELECT COUNT(DISTINCT job_id) FROM results"), kJobs);
  EXPECT_EQ(scalar(db, "SELECT n FROM counter"), kJobs);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM jobs j WHERE NOT EXISTS "
                       "(SELECT 1 FROM results r WHERE r.job_id = j.id)"),
            0);
  EXPECT_EQ(scalar(db, "SELECT MAX(attempts) FROM jobs"), 1)
      << "an attempt cut off by a kill is not counted";
  EXPECT_GT(scalar(db, "SELECT SUM(stalled_count) FROM jobs"), 0) << "kills interrupted jobs";
}

}  // namespace
