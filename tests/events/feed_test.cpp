// The EventFeed on a real EventBus with an injected clock: one record per message in the bus's
// order, shared by the history and every sink, and queue:stats coalesced to one per 250 ms.
#include "events/feed.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace scanhub::events {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

class Collect : public EventSink {
 public:
  void deliver(const SharedRecord& record) noexcept override { records.push_back(record); }
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(r->type);
    return out;
  }
  std::vector<SharedRecord> records;
};

struct FeedTest : ::testing::Test {
  progress::EventBus bus;
  EventHistory history{100};
  core::TimePoint now = *core::parse_iso8601("2025-10-15T12:00:00.000Z");
  std::shared_ptr<Collect> sink = std::make_shared<Collect>();
  std::unique_ptr<EventFeed> feed;

  void SetUp() override {
    EventFeedOptions options;
    options.timer = false;
    options.now = [this] { return now; };
    options.library_lookup = [](core::LibraryId id) -> std::optional<core::Library> {
      core::Library l;
      l.id = id;
      l.name = "Music";
      return l;
    };
    feed = std::make_unique<EventFeed>(bus, history, options);
    feed->add_sink(sink);
  }

  static core::QueueStats stats(std::int64_t pending) {
    core::QueueStats s;
    s.total.pending = pending;
    return s;
  }
  std::int64_t pending_of(const SharedRecord& r) const { return json::parse(r->json).at("pending").as_int64(); }
};

TEST_F(FeedTest, EachEventBecomesRecordsSharedByTheHistoryAndTheSinks) {
  core::Job job;
  job.id = 3;
  job.type = "discover";
  core::ScanSnapshot scan;
  scan.id = 1;
  scan.libraries = {{2, "/srv/music"}};
  bus.publish(progress::ScanStarted{scan});
  bus.publish(progress::JobCreated{job});
  bus.publish(progress::JobStarted{job});
  bus.publish(progress::JobCompleted{job});
  EXPECT_EQ(sink->types(), (std::vector<std::string>{"scan:progress", "scanStatus", "job:created", "job:started",
                                                     "job:completed"}));
  const auto kept = *history.since(0);
  ASSERT_EQ(kept.size(), 5u);
  for (std::size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(kept[i], sink->records[i]) << "one serialization, shared";
    EXPECT_EQ(kept[i]->sequence, i + 1);
  }
  EXPECT_EQ(json::parse(kept[0]->json).at("libraryName"), "Music");
}

TEST_F(FeedTest, AnExternalJobsRecordsNameItsCreatorCancellationIncluded) {
  core::Job job;
  job.id = 7;
  job.type = std::string(progress::kExternalJobType);
  job.created_by = "alice";
  core::Job scan_job;
  scan_job.id = 8;
  scan_job.type = "discover";
  bus.publish(progress::JobCreated{job});
  bus.publish(progress::JobCreated{scan_job});
  bus.publish(progress::JobsCancelled{{7, 8}});
  ASSERT_EQ(sink->types(), (std::vector<std::string>{"job:created", "job:created", "job:failed", "job:failed"}));
  EXPECT_EQ(sink->records[0]->job_owner, "alice");
  EXPECT_EQ(sink->records[1]->job_owner, std::nullopt);
  EXPECT_EQ(sink->records[2]->job_owner, "alice") << "the cancellation of alice's job is hers too";
  EXPECT_EQ(sink->records[3]->job_owner, std::nullopt);
}

TEST_F(FeedTest, QueueStatsLeaveAtMostOncePer250MsNewestWinning) {
  bus.publish(progress::QueueStatsChanged{stats(1)});  // sent: the first
  now += 100ms;
  bus.publish(progress::QueueStatsChanged{stats(2)});  // held
  now += 100ms;
  bus.publish(progress::QueueStatsChanged{stats(3)});  // replaces 2
  feed->tick();                                        // 200 ms after the first: not yet
  ASSERT_EQ(sink->records.size(), 1u);
  now += 50ms;
  feed->tick();
  ASSERT_EQ(sink->records.size(), 2u);
  EXPECT_EQ(pending_of(sink->records[0]), 1);
  EXPECT_EQ(pending_of(sink->records[1]), 3);
  EXPECT_EQ(feed->stats_sent(), 2u);
  EXPECT_EQ(feed->stats_coalesced(), 1u);
  feed->tick();
  EXPECT_EQ(sink->records.size(), 2u) << "nothing held: nothing more";

  // Over one simulated second of a change every 10 ms, at most four leave, the last the newest.
  for (int i = 0; i < 100; ++i) {
    now += 10ms;
    bus.publish(progress::QueueStatsChanged{stats(100 + i)});
    feed->tick();
  }
  now += 250ms;
  feed->tick();
  const std::size_t sent = sink->records.size() - 2;
  EXPECT_LE(sent, 5u);  // four in the second, plus the trailing one after it
  EXPECT_EQ(pending_of(sink->records.back()), 199);
}

TEST_F(FeedTest, TheTimerSendsAHeldBackStatsOnItsOwn) {
  EventFeedOptions options;
  options.now = [] { return core::Clock::now(); };
  options.stats_interval = 50ms;
  progress::EventBus own_bus;
  EventHistory own_history;
  auto collect = std::make_shared<Collect>();
  EventFeed timed(own_bus, own_history, options);
  timed.add_sink(collect);
  own_bus.publish(progress::QueueStatsChanged{stats(1)});
  own_bus.publish(progress::QueueStatsChanged{stats(0)});
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (own_history.size() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(own_history.size(), 2u) << "the held-back stats left without another event";
  EXPECT_EQ(json::parse((*own_history.since(1))[0]->json).at("pending"), 0);
}

TEST_F(FeedTest, ARemovedSinkGetsNothingMore) {
  bus.publish(progress::JobsCancelled{{1}});
  feed->remove_sink(sink.get());
  bus.publish(progress::JobsCancelled{{2}});
  EXPECT_EQ(sink->records.size(), 1u);
  EXPECT_EQ(history.size(), 2u);
}

}  // namespace
}  // namespace scanhub::events

namespace scanhub::events {
namespace {

TEST_F(FeedTest, AJobStartedBeforeItsCreationIsToldIsCreatedFirst) {
  core::Job job;
  job.id = 9;
  job.type = "cache-asset";
  job.status = core::JobStatus::processing;
  job.attempts = 1;
  job.created_at = now;
  job.started_at = now;
  bus.publish(progress::JobStarted{job});   // the queue told of the start first
  core::Job as_created = job;
  as_created.status = core::JobStatus::pending;
  as_created.attempts = 0;
  as_created.started_at.reset();
  bus.publish(progress::JobCreated{as_created});  // then of the creation
  bus.publish(progress::JobCompleted{job});
  EXPECT_EQ(sink->types(), (std::vector<std::string>{"job:created", "job:started", "job:completed"}));
  const auto created = json::parse(sink->records[0]->json).as_object();
  EXPECT_EQ(created.at("status"), "pending");
  EXPECT_EQ(created.at("attempts"), 0);
  EXPECT_EQ(created.at("jobId"), 9);

  // In the usual order nothing changes.
  job.id = 10;
  as_created.id = 10;
  bus.publish(progress::JobCreated{as_created});
  bus.publish(progress::JobStarted{job});
  EXPECT_EQ(sink->types().size(), 5u);
  EXPECT_EQ(sink->types()[3], "job:created");
  EXPECT_EQ(sink->types()[4], "job:started");
}

}  // namespace
}  // namespace scanhub::events
