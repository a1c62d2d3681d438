// Tests of SignalR's record-separator framing (src/signalr/record_reader.hpp).
#include "signalr/record_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace scanhub::signalr {
namespace {

std::vector<std::string> drain(RecordReader& reader) {
  std::vector<std::string> out;
  while (auto record = reader.next()) out.emplace_back(*record);
  return out;
}

struct FramingCase {
  const char* name;
  std::vector<std::string> chunks;  // as received, one transport message each
  std::vector<std::string> records;
};

const FramingCase kCases[] = {
    {"one", {"{\"type\":6}\x1e"}, {"{\"type\":6}"}},
    {"several_in_one_message", {"a\x1e" "b\x1e" "c\x1e"}, {"a", "b", "c"}},
    {"split_across_messages", {"{\"ty", "pe\":", "6}\x1e"}, {"{\"type\":6}"}},
    {"split_and_joined", {"a\x1e" "b", "b\x1e" "c", "\x1e"}, {"a", "bb", "c"}},
    {"separator_alone", {"abc", "\x1e"}, {"abc"}},
    {"empty_records", {"\x1e\x1e"}, {"", ""}},
    {"partial_kept", {"a\x1e" "par"}, {"a"}},
};

class Framing : public testing::TestWithParam<FramingCase> {};

TEST_P(Framing, Reassembles) {
  RecordReader reader(1024);
  std::vector<std::string> got;
  for (const auto& chunk : GetParam().chunks) {
    ASSERT_TRUE(reader.append(chunk));
    for (auto& r : drain(reader)) got.push_back(std::move(r));
  }
  EXPECT_EQ(got, GetParam().records);
}

INSTANTIATE_TEST_SUITE_P(RecordReader, Framing, testing::ValuesIn(kCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(RecordReader, AcceptsRecordAtTheLimit) {
  RecordReader reader(4);
  ASSERT_TRUE(reader.append("abcd\x1e"));
  EXPECT_EQ(drain(reader), std::vector<std::string>{"abcd"});
}

TEST(RecordReader, RejectsCompleteRecordOverTheLimit) {
  RecordReader reader(4);
  EXPECT_FALSE(reader.append("ab\x1e" "abcde\x1e"));
  EXPECT_TRUE(reader.failed());
  EXPECT_FALSE(reader.next().has_value());
  EXPECT_FALSE(reader.append("a\x1e"));  // refuses input once failed
}

TEST(RecordReader, RejectsPartialRecordOverTheLimitBeforeItEnds) {
  RecordReader reader(8);
  ASSERT_TRUE(reader.append("12345"));
  EXPECT_FALSE(reader.append("6789"));  // 9 bytes without a separator
}

TEST(RecordReader, LimitIsPerRecordNotPerMessage) {
  RecordReader reader(4);
  std::string many;
  for (int i = 0; i < 100; ++i) many += "abcd\x1e";
  ASSERT_TRUE(reader.append(many));
  EXPECT_EQ(drain(reader).size(), 100u);
}

TEST(RecordReader, ViewsSurviveUntilNextAppend) {
  RecordReader reader(64);
  ASSERT_TRUE(reader.append("first\x1e" "second\x1e"));
  auto a = reader.next();
  auto b = reader.next();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, "first");
  EXPECT_EQ(*b, "second");
  EXPECT_EQ(reader.buffered(), 0u);
}

// A 30 KB record arriving in 256-byte reads (as the WebSocket transport delivers it): once it
// is read, the reader gives the room back instead of keeping 30 KB for the connection's life.
TEST(RecordReader, GivesBackTheRoomOfALargeRecordOnceItIsRead) {
  RecordReader reader(32 * 1024);
  const std::string record = std::string(30000, 'x') + "\x1e";
  for (std::size_t at = 0; at < record.size(); at += 256) {
    ASSERT_TRUE(reader.append(std::string_view(record).substr(at, 256)));
  }
  EXPECT_GE(reader.capacity(), 30000u);
  ASSERT_EQ(reader.next()->size(), 30000u);
  reader.compact();
  EXPECT_LE(reader.capacity(), 4096u);
  // A small record afterwards is read as usual, and the room stays small.
  ASSERT_TRUE(reader.append("{}\x1e"));
  EXPECT_EQ(reader.next(), "{}");
  EXPECT_LE(reader.capacity(), 4096u);
}

}  // namespace
}  // namespace scanhub::signalr
