#include "progress/tracker.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace scanhub;
using std::chrono::milliseconds;

namespace {

struct Recorder {
  explicit Recorder(progress::EventBus& bus) {
    bus.subscribe([this](const progress::Event& e) { events.push_back(e); });
  }
  std::vector<progress::Event> events;

  template <typename T>
  std::size_t count() const {
    std::size_t n = 0;
    for (const auto& e : events) n += std::holds_alternative<T>(e) ? 1 : 0;
    return n;
  }
};

core::ScanSnapshot scan(core::ScanId id) {
  core::ScanSnapshot s;
  s.id = id;
  s.times.started_at = core::Clock::now();
  return s;
}

}  // namespace

TEST(ProgressTracker, CoalescesUpdatesToTheNewestSnapshot) {
  progress::EventBus bus;
  Recorder recorder(bus);
  progress::ProgressTracker tracker(bus, milliseconds(0));
  tracker.start(scan(1));
  for (int i = 0; i < 1000; ++i) {
    tracker.update(1, [](core::ScanSnapshot& s) { ++s.counters.tracks_found; });
  }
  tracker.flush();
  tracker.flush();  // nothing changed since: nothing published
  ASSERT_EQ(recorder.count<progress::ScanProgressed>(), 1u);
  EXPECT_EQ(progress::scan_of(recorder.events.back()).counters.tracks_found, 1000);
}

TEST(ProgressTracker, LifecycleEventsFollowPendingProgressInOrder) {
  progress::EventBus bus;
  Recorder recorder(bus);
  progress::ProgressTracker tracker(bus, milliseconds(0));
  tracker.start(scan(7));
  tracker.update(7, [](core::ScanSnapshot& s) { s.counters.directories_total = 5; });
  tracker.change_phase(7, core::ScanStatus::scanning);
  tracker.update(7, [](core::ScanSnapshot& s) { s.counters.directories_scanned = 5; });
  tracker.finish(7, core::ScanStatus::completed);
  tracker.update(7, [](core::ScanSnapshot& s) { s.counters.directories_scanned = 99; });  // ignored
  tracker.flush();

  ASSERT_EQ(recorder.events.size(), 5u);
  EXPECT_TRUE(std::holds_alternative<progress::ScanStarted>(recorder.events[0]));
  EXPECT_TRUE(std::holds_alternative<progress::ScanProgressed>(recorder.events[1]));
  EXPECT_EQ(progress::scan_of(recorder.events[1]).counters.directories_total, 5);
  const auto* changed = std::get_if<progress::ScanPhaseChanged>(&recorder.events[2]);
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->from, core::ScanStatus::discovering);
  EXPECT_EQ(changed->scan.status, core::ScanStatus::scanning);
  EXPECT_TRUE(std::holds_alternative<progress::ScanProgressed>(recorder.events[3]));
  const auto* finished = std::get_if<progress::ScanFinished>(&recorder.events[4]);
  ASSERT_TRUE(finished);
  EXPECT_EQ(finished->scan.status, core::ScanStatus::completed);
  EXPECT_EQ(finished->scan.counters.directories_scanned, 5);
}

TEST(ProgressTracker, InvalidTransitionsAreIgnored) {
  progress::EventBus bus;
  Recorder recorder(bus);
  progress::ProgressTracker tracker(bus, milliseconds(0));
  tracker.start(scan(1));
  tracker.change_phase(1, core::ScanStatus::scanning);
  tracker.change_phase(1, core::ScanStatus::discovering);  // backwards
  tracker.finish(1, core::ScanStatus::cancelled);
  tracker.finish(1, core::ScanStatus::completed);  // already ended
  EXPECT_EQ(recorder.count<progress::ScanPhaseChanged>(), 1u);
  EXPECT_EQ(recorder.count<progress::ScanFinished>(), 1u);
  EXPECT_EQ(tracker.snapshot(1)->status, core::ScanStatus::cancelled);
  EXPECT_TRUE(tracker.active().empty());
}

TEST(ProgressTracker, TimerPublishesAtMostOncePerIntervalPerScan) {
  progress::EventBus bus;
  Recorder recorder(bus);
  {
    progress::ProgressTracker tracker(bus, milliseconds(100));
    tracker.start(scan(1));
    const auto until = std::chrono::steady_clock::now() + milliseconds(450);
    while (std::chrono::steady_clock::now() < until) {
      tracker.update(1, [](core::ScanSnapshot& s) { ++s.counters.tracks_found; });
      std::this_thread::sleep_for(milliseconds(1));
    }
  }  // the timer thread is joined: no more events
  const std::size_t progressed = recorder.count<progress::ScanProgressed>();
  EXPECT_GE(progressed, 2u);
  EXPECT_LE(progressed, 5u);  // 450 ms at one per 100 ms
}

TEST(ProgressTracker, KeepsFinishedScansForLateSubscribersWithinABound) {
  progress::EventBus bus;
  progress::ProgressTracker tracker(bus, milliseconds(0));
  for (core::ScanId id = 1; id <= 100; ++id) {
    tracker.start(scan(id));
    tracker.finish(id, core::ScanStatus::completed);
  }
  EXPECT_FALSE(tracker.snapshot(1));
  ASSERT_TRUE(tracker.snapshot(100));
  EXPECT_EQ(tracker.snapshot(100)->status, core::ScanStatus::completed);
}
