// app::QueueEventBridge: a real Queue on a real SQLite file; what reaches the EventBus.
#include "app/queue_events.hpp"
#include "queue/queue.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

using namespace scanhub;

namespace {

bool wait_for(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

core::NewJob job_of_type(std::string type) {
  core::NewJob job;
  job.type = std::move(type);
  return job;
}

struct Recorder {
  std::mutex mutex;
  std::vector<progress::JobEvent> events;

  explicit Recorder(progress::EventBus& bus) {
    bus.subscribe_jobs([this](const progress::JobEvent& e) {
      std::lock_guard lock(mutex);
      events.push_back(e);
    });
  }
  template <typename E>
  std::vector<E> all() {
    std::lock_guard lock(mutex);
    std::vector<E> out;
    for (const auto& e : events) {
      if (const auto* x = std::get_if<E>(&e)) out.push_back(*x);
    }
    return out;
  }
};

TEST(QueueEventBridge, PublishesTheLifecycleOfQueueJobsWithRetryInformation) {
  test::TempDir dir;
  store::Store store(dir / "scanhub.db");
  progress::EventBus bus;
  Recorder recorder(bus);
  app::QueueEventBridge bridge(bus);

  queue::QueueOptions options;
  options.workers = 2;
  options.stats_interval = std::chrono::milliseconds(10);
  queue::Queue queue(store, options);
  queue.register_handler("work", [](queue::JobContext& context) -> queue::CommitFn {
    context.report_progress({3, 4, 75.0, "Scanning", "/movies/The Matrix"});
    return {};
  });
  queue::JobTypeOptions flaky;
  flaky.max_attempts = 2;
  flaky.retry.base = std::chrono::milliseconds(1);
  queue.register_handler("flaky", [](queue::JobContext&) -> queue::CommitFn {
    throw std::runtime_error("disk on fire");
  }, flaky);
  queue.add_observer(bridge);
  queue.start();
  const auto ids = queue.enqueue({job_of_type("work"), job_of_type("flaky")});
  ASSERT_EQ(ids.size(), 2u);

  ASSERT_TRUE(wait_for([&] { return recorder.all<progress::JobCompleted>().size() == 1 &&
                                    recorder.all<progress::JobFailed>().size() == 2; }));
  queue.stop();

  const auto created = recorder.all<progress::JobCreated>();
  ASSERT_EQ(created.size(), 2u);
  EXPECT_EQ(created[0].job.id, ids[0]);
  EXPECT_EQ(created[0].job.status, core::JobStatus::pending);

  const auto progressed = recorder.all<progress::JobProgressed>();
  ASSERT_EQ(progressed.size(), 1u);
  EXPECT_EQ(progressed[0].job.id, ids[0]);
  EXPECT_EQ(progressed[0].progress, (core::JobProgress{3, 4, 75.0, "Scanning", "/movies/The Matrix"}));
  EXPECT_EQ(progressed[0].job.progress, progressed[0].progress);
  EXPECT_EQ(recorder.all<progress::JobCompleted>()[0].job.id, ids[0]);

  const auto failed = recorder.all<progress::JobFailed>();
  EXPECT_EQ(failed[0].job.id, ids[1]);
  EXPECT_EQ(failed[0].attempt, 1);
  EXPECT_EQ(failed[0].max_attempts, 2);
  EXPECT_TRUE(failed[0].will_retry);
  EXPECT_EQ(failed[0].error, "disk on fire");
  EXPECT_EQ(failed[1].attempt, 2);
  EXPECT_FALSE(failed[1].will_retry);

  // Started events: one per attempt (work once, flaky twice).
  EXPECT_EQ(recorder.all<progress::JobStarted>().size(), 3u);
  ASSERT_FALSE(recorder.all<progress::QueueStatsChanged>().empty());
}

TEST(QueueEventBridge, CancelledJobsArePublished) {
  test::TempDir dir;
  store::Store store(dir / "scanhub.db");
  progress::EventBus bus;
  Recorder recorder(bus);
  app::QueueEventBridge bridge(bus);
  queue::Queue queue(store);
  queue.add_observer(bridge);
  // Not started: the job stays pending until cancelled.
  const auto ids = queue.enqueue({job_of_type("never-claimed")});
  EXPECT_EQ(queue.cancel(ids[0]), ids);
  const auto cancelled = recorder.all<progress::JobsCancelled>();
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].ids, ids);
}

}  // namespace
