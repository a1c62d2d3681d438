// The event history behind SSE resume (Last-Event-ID), its filters and the SSE framing.
#include "events/history.hpp"
#include "events/sse.hpp"

#include <gtest/gtest.h>

namespace scanhub::events {
namespace {

SharedRecord record(EventHistory& history, std::string type, std::optional<core::JobId> job = {},
                    std::optional<core::ScanId> scan = {}, std::size_t size = 10) {
  Message m;
  m.type = std::move(type);
  m.job_id = job;
  m.scan_id = scan;
  m.body["type"] = m.type;
  m.body["pad"] = std::string(size, 'x');
  auto r = make_record(m, history.next_sequence());
  history.append(r);
  return r;
}

std::vector<std::uint64_t> sequences(const std::vector<SharedRecord>& records) {
  std::vector<std::uint64_t> out;
  for (const auto& r : records) out.push_back(r->sequence);
  return out;
}

TEST(EventHistory, ResumesAfterTheLastEventId) {
  EventHistory history(100);
  for (int i = 0; i < 5; ++i) record(history, "job:progress");
  EXPECT_EQ(history.last_sequence(), 5u);
  EXPECT_EQ(sequences(*history.since(0)), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(sequences(*history.since(3)), (std::vector<std::uint64_t>{4, 5}));
  EXPECT_TRUE(history.since(5)->empty());
}

TEST(EventHistory, SaysTooOldOnceTheRingNoLongerReachesBack) {
  EventHistory history(3);
  for (int i = 0; i < 6; ++i) record(history, "job:created");
  EXPECT_EQ(history.size(), 3u);
  EXPECT_EQ(sequences(*history.since(3)), (std::vector<std::uint64_t>{4, 5, 6})) << "4 is still kept";
  const auto old = history.since(2);
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().oldest, 4u);
  EXPECT_FALSE(history.since(0));
  EXPECT_FALSE(history.since(7)) << "an id this process never gave (a restart) is too old too";
}

TEST(EventHistory, IsBoundedInBytesAndKeepsTheNewest) {
  EventHistory history(1000, 1000);
  for (int i = 0; i < 50; ++i) record(history, "scan:progress", {}, 1, 100);
  EXPECT_LE(history.bytes(), 1000u);
  EXPECT_GE(history.size(), 1u);
  const auto big = record(history, "scan:progress", {}, 1, 5000);  // over the bound alone
  EXPECT_EQ(history.size(), 1u);
  EXPECT_EQ(sequences(*history.since(big->sequence - 1)), (std::vector<std::uint64_t>{big->sequence}));
}

TEST(EventHistory, FiltersByJobScanAndType) {
  EventHistory history;
  record(history, "job:created", 7, 1);    // 1
  record(history, "job:progress", 7, 1);   // 2
  record(history, "job:created", 8, 1);    // 3
  record(history, "scan:progress", {}, 1); // 4
  record(history, "scan:progress", {}, 2); // 5
  record(history, "queue:stats");          // 6
  EXPECT_EQ(sequences(*history.since(0, EventFilter::parse("job-7", {}, {}))), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(sequences(*history.since(0, EventFilter::parse("8", {}, {}))), (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(sequences(*history.since(0, EventFilter::parse({}, "1", {}))), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(sequences(*history.since(0, EventFilter::parse({}, {}, "queue:stats,scan:progress"))),
            (std::vector<std::uint64_t>{4, 5, 6}));
  EXPECT_EQ(sequences(*history.since(1, EventFilter::parse({}, "1", "job:created"))), (std::vector<std::uint64_t>{3}));
}

TEST(EventFilter, AViewerMissesOtherUsersExternalJobs) {
  EventHistory history(100);
  const auto owned_by = [&](std::optional<std::string> owner) {
    Message m;
    m.type = "job:progress";
    m.job_id = 1;
    m.job_owner = std::move(owner);
    m.body["type"] = m.type;
    auto r = make_record(m, history.next_sequence());
    history.append(r);
    return r;
  };
  owned_by("alice");
  owned_by("bob");
  owned_by("");            // an external job created anonymously: admins only
  owned_by(std::nullopt);  // not an external job (a scan's): everyone
  EventFilter alice;
  alice.viewer = "alice";
  EXPECT_EQ(sequences(*history.since(0, alice)), (std::vector<std::uint64_t>{1, 4}));
  EventFilter nobody;
  nobody.viewer = "";
  EXPECT_EQ(sequences(*history.since(0, nobody)), (std::vector<std::uint64_t>{4}));
  EXPECT_EQ(sequences(*history.since(0)), (std::vector<std::uint64_t>{1, 2, 3, 4})) << "no viewer: an admin";
}

TEST(EventFilter, RefusesMalformedParameters) {
  EXPECT_THROW(EventFilter::parse("abc", {}, {}), std::invalid_argument);
  EXPECT_THROW(EventFilter::parse("0", {}, {}), std::invalid_argument);
  EXPECT_THROW(EventFilter::parse({}, "job-1", {}), std::invalid_argument);
  EXPECT_THROW(EventFilter::parse({}, {}, ""), std::invalid_argument);
  EXPECT_THROW(EventFilter::parse({}, {}, "a,,b"), std::invalid_argument);
  std::string many;
  for (int i = 0; i < 33; ++i) many += (i ? ",t" : "t") + std::to_string(i);
  EXPECT_THROW(EventFilter::parse({}, {}, many), std::invalid_argument);
}

TEST(EventHistory, LastEventIdMustBeANumber) {
  EXPECT_EQ(parse_last_event_id("42"), 42u);
  EXPECT_EQ(parse_last_event_id("0"), 0u);
  EXPECT_FALSE(parse_last_event_id(""));
  EXPECT_FALSE(parse_last_event_id("4x"));
  EXPECT_FALSE(parse_last_event_id("-1"));
}

TEST(Sse, FramesARecordAsOneEventWithItsId) {
  EventHistory history;
  record(history, "x");
  const auto r = record(history, "job:progress", 3, {}, 2);
  EXPECT_EQ(sse_event(*r), "id: 2\nevent: job:progress\ndata: {\"type\":\"job:progress\",\"pad\":\"xx\"}\n\n");
  const auto hint = make_record(resync_hint(TooOld{17}, *core::parse_iso8601("2025-10-15T12:00:00Z")), 0);
  const std::string text = sse_event(*hint);
  EXPECT_EQ(text.rfind("event: resync\ndata: {", 0), 0u) << "no id line: the client keeps its last id";
  EXPECT_NE(text.find("\"oldestEventId\":17"), std::string::npos);
  EXPECT_EQ(text.find('\n'), text.find("\ndata:")) << "data is one line";
}

}  // namespace
}  // namespace scanhub::events
