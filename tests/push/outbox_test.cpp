// Tests of the per-connection outbox (src/push/outbox.hpp): order, conflation, bounds,
// batching.
#include "push/outbox.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace scanhub::push {
namespace {

SharedRecord rec(std::string text) { return std::make_shared<const std::string>(std::move(text)); }

std::vector<std::string> texts(const std::vector<SharedRecord>& batch) {
  std::vector<std::string> out;
  for (const auto& r : batch) out.push_back(*r);
  return out;
}

TEST(Outbox, KeepsOrderOfUnkeyedMessages) {
  Outbox box(10, 1000);
  for (const char* t : {"a", "b", "c"}) EXPECT_EQ(box.push(rec(t)), Outbox::PushResult::kQueued);
  EXPECT_EQ(texts(box.take_batch(1000)), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(box.empty());
  EXPECT_EQ(box.bytes(), 0u);
}

TEST(Outbox, NewestKeyedMessageWinsAndMovesToTheEnd) {
  Outbox box(10, 1000);
  box.push(rec("p1"), "scan-1");
  box.push(rec("phase"));
  EXPECT_EQ(box.push(rec("p2"), "scan-1"), Outbox::PushResult::kConflated);
  box.push(rec("q1"), "scan-2");
  // p1 dropped; p2 arrives after "phase" as it was sent after it.
  EXPECT_EQ(texts(box.take_batch(1000)), (std::vector<std::string>{"phase", "p2", "q1"}));
}

TEST(Outbox, SentMessagesAreNotConflated) {
  Outbox box(10, 1000);
  box.push(rec("p1"), "k");
  EXPECT_EQ(texts(box.take_batch(1000)), std::vector<std::string>{"p1"});
  EXPECT_EQ(box.push(rec("p2"), "k"), Outbox::PushResult::kQueued);
  EXPECT_EQ(texts(box.take_batch(1000)), std::vector<std::string>{"p2"});
}

TEST(Outbox, UnkeyedMessagesAreNeverDroppedUntilOverflow) {
  Outbox box(3, 1000);
  EXPECT_EQ(box.push(rec("1")), Outbox::PushResult::kQueued);
  EXPECT_EQ(box.push(rec("2")), Outbox::PushResult::kQueued);
  EXPECT_EQ(box.push(rec("3")), Outbox::PushResult::kQueued);
  EXPECT_EQ(box.push(rec("4")), Outbox::PushResult::kOverflow);
  EXPECT_EQ(box.size(), 4u);  // the caller decides (closes); nothing silently lost
}

TEST(Outbox, ConflationKeepsABusyKeyWithinBounds) {
  Outbox box(3, 1000);
  box.push(rec("a"));
  for (int i = 0; i < 1000; ++i) {
    ASSERT_NE(box.push(rec("progress " + std::to_string(i)), "scan"),
              Outbox::PushResult::kOverflow);
  }
  EXPECT_EQ(texts(box.take_batch(1000)), (std::vector<std::string>{"a", "progress 999"}));
}

TEST(Outbox, ByteBound) {
  Outbox box(100, 10);
  EXPECT_EQ(box.push(rec("12345")), Outbox::PushResult::kQueued);
  EXPECT_EQ(box.push(rec("12345")), Outbox::PushResult::kQueued);
  EXPECT_EQ(box.push(rec("1")), Outbox::PushResult::kOverflow);
}

TEST(Outbox, BatchRespectsByteLimitButTakesAtLeastOne) {
  Outbox box(10, 1000);
  box.push(rec(std::string(50, 'a')));
  box.push(rec(std::string(30, 'b')));
  box.push(rec(std::string(30, 'c')));
  EXPECT_EQ(box.take_batch(10).size(), 1u);  // larger than the limit, still sent alone
  EXPECT_EQ(box.take_batch(60).size(), 2u);
  EXPECT_TRUE(box.empty());
}

TEST(Outbox, SharesTheSameBuffer) {
  Outbox a(10, 1000), b(10, 1000);
  auto shared = rec("event");
  a.push(shared);
  b.push(shared);
  EXPECT_EQ(a.take_batch(100).front().get(), b.take_batch(100).front().get());
}

TEST(Outbox, ClearEmptiesAndForgetsKeys) {
  Outbox box(10, 1000);
  box.push(rec("p"), "k");
  box.clear();
  EXPECT_TRUE(box.empty());
  EXPECT_EQ(box.push(rec("p2"), "k"), Outbox::PushResult::kQueued);
}

}  // namespace
}  // namespace scanhub::push
