// Tests of the send pipeline (src/push/send_pipeline.hpp) against a recording sink: the fast
// path, corking, conflation, order of lifecycle records, bounds, closing and the replay.
#include "push/send_pipeline.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace scanhub::push {
namespace {

// A sink that records each batch; `pending` makes sends stay in flight until complete().
class RecordingSink final : public PushSink {
 public:
  SendStatus send(const std::vector<SharedRecord>& records) override {
    std::vector<std::string> batch;
    for (const auto& record : records) batch.push_back(*record);
    batches.push_back(std::move(batch));
    return pending ? SendStatus::kPending : SendStatus::kWritten;
  }
  void close(std::string_view reason) override {
    ++closes;
    close_reason = std::string(reason);
  }
  void abort() override { ++aborts; }

  bool pending = true;
  std::vector<std::vector<std::string>> batches;
  int closes = 0;
  int aborts = 0;
  std::string close_reason;
};

using Batches = std::vector<std::vector<std::string>>;

class SendPipelineTest : public ::testing::Test {
 protected:
  SendPipelineTest() : pipeline_(SendPipeline::Limits{8, 1000, 100}, counters_) {
    pipeline_.attach(sink_);
    pipeline_.open();
  }

  static Inbox::Entry send(std::string text, std::string key = {}) {
    return Inbox::Entry{make_record(std::move(text)), std::move(key), {}};
  }
  bool drain(std::vector<Inbox::Entry> entries) {
    return pipeline_.drain(entries, [this] { ++overflows_; });
  }

  SendCounters counters_;
  RecordingSink sink_;
  SendPipeline pipeline_;
  int overflows_ = 0;
};

TEST_F(SendPipelineTest, ALoneRecordForAnIdleClientIsWrittenAtOnce) {
  auto record = make_record("hello");
  ASSERT_TRUE(pipeline_.try_write_now(record));
  EXPECT_FALSE(record);  // taken
  EXPECT_EQ(sink_.batches, (Batches{{"hello"}}));
  EXPECT_TRUE(pipeline_.writing());
  EXPECT_TRUE(pipeline_.on_send_complete(true));
  EXPECT_EQ(counters_.messages_sent.load(), 1u);
}

TEST_F(SendPipelineTest, RecordsQueuedBehindAWriteLeaveAsOneBatch) {
  drain({send("a")});
  drain({send("b")});
  drain({send("c"), send("d")});
  EXPECT_EQ(sink_.batches, (Batches{{"a"}}));  // one write in flight
  ASSERT_TRUE(pipeline_.on_send_complete(true));
  pipeline_.flush();
  EXPECT_EQ(sink_.batches, (Batches{{"a"}, {"b", "c", "d"}}));
}

TEST_F(SendPipelineTest, ADrainQueuesEverythingAndWritesOnce) {
  drain({send("a"), send("b"), send("c")});
  EXPECT_EQ(sink_.batches, (Batches{{"a", "b", "c"}}));
}

TEST_F(SendPipelineTest, NewerProgressReplacesUnsentOlderProgressAndLifecycleKeepsOrder) {
  drain({send("started")});  // in flight
  drain({send("progress 1", "scan-1"), send("phase scanning"), send("progress 2", "scan-1"),
         send("other 1", "scan-2"), send("progress 3", "scan-1"), send("finished")});
  ASSERT_TRUE(pipeline_.on_send_complete(true));
  pipeline_.flush();
  EXPECT_EQ(sink_.batches, (Batches{{"started"},
                                    {"phase scanning", "other 1", "progress 3", "finished"}}));
  EXPECT_EQ(counters_.messages_conflated.load(), 2u);
}

TEST_F(SendPipelineTest, ASinkThatWritesAtOnceGetsEachBatchWithoutCompletions) {
  sink_.pending = false;
  drain({send("a"), send("b")});
  drain({send("c")});
  EXPECT_EQ(sink_.batches, (Batches{{"a", "b"}, {"c"}}));
  EXPECT_TRUE(pipeline_.idle());
  EXPECT_EQ(counters_.messages_sent.load(), 3u);
}

TEST_F(SendPipelineTest, BatchesAreBoundedInBytes) {
  drain({send("first")});
  drain({send(std::string(60, 'a')), send(std::string(60, 'b'))});
  ASSERT_TRUE(pipeline_.on_send_complete(true));
  pipeline_.flush();
  ASSERT_EQ(sink_.batches.size(), 2u);
  EXPECT_EQ(sink_.batches[1].size(), 1u);  // 120 bytes > 100: the second waits
  ASSERT_TRUE(pipeline_.on_send_complete(true));
  pipeline_.flush();
  EXPECT_EQ(sink_.batches.size(), 3u);
}

TEST_F(SendPipelineTest, AClientThatDoesNotKeepUpOverflowsAndIsCounted) {
  drain({send("stuck")});  // never completes
  std::vector<Inbox::Entry> burst;
  for (int i = 0; i < 9; ++i) burst.push_back(send("event " + std::to_string(i)));
  drain(std::move(burst));
  EXPECT_EQ(overflows_, 1);
  EXPECT_EQ(counters_.slow_clients_closed.load(), 1u);
}

TEST_F(SendPipelineTest, ConflatedProgressNeverOverflows) {
  drain({send("stuck")});
  for (int i = 0; i < 10'000; ++i) drain({send("progress " + std::to_string(i), "scan")});
  EXPECT_EQ(overflows_, 0);
  EXPECT_EQ(pipeline_.queued_messages(), 1u);
}

TEST_F(SendPipelineTest, CloseSendsWhatIsQueuedThenTheLastRecordThenClosesOnce) {
  drain({send("a")});
  drain({send("b")});
  pipeline_.close(SendPipeline::Queue::kSend, make_record("bye"), "server shutdown");
  drain({send("late")});  // dropped: closing
  EXPECT_EQ(sink_.closes, 0);
  ASSERT_TRUE(pipeline_.on_send_complete(true));  // "a" written; "b" and "bye" go next
  pipeline_.flush();
  EXPECT_EQ(sink_.batches, (Batches{{"a"}, {"b", "bye"}}));
  EXPECT_FALSE(pipeline_.on_send_complete(true));
  EXPECT_EQ(sink_.closes, 1);
  EXPECT_EQ(sink_.close_reason, "server shutdown");
  pipeline_.close(SendPipeline::Queue::kSend, make_record("again"), "again");
  EXPECT_EQ(sink_.closes, 1);
}

TEST_F(SendPipelineTest, CloseCanDropWhatIsQueued) {
  drain({send("a")});
  drain({send("b"), send("c")});
  pipeline_.close(SendPipeline::Queue::kDrop, make_record("error"), "protocol error");
  ASSERT_TRUE(pipeline_.on_send_complete(true));
  pipeline_.flush();
  EXPECT_EQ(sink_.batches, (Batches{{"a"}, {"error"}}));
}

TEST_F(SendPipelineTest, CloseOfAnIdlePipelineClosesTheSinkAtOnce) {
  pipeline_.close(SendPipeline::Queue::kSend, nullptr, "client close");
  EXPECT_EQ(sink_.closes, 1);
}

TEST_F(SendPipelineTest, AFailedWriteAbortsTheSink) {
  drain({send("a")});
  drain({send("b")});
  EXPECT_FALSE(pipeline_.on_send_complete(false));
  EXPECT_EQ(sink_.aborts, 1);
  EXPECT_EQ(counters_.messages_sent.load(), 0u);
}

TEST_F(SendPipelineTest, SendsBeforeOpenAreDroppedButControlRecordsGoOut) {
  SendPipeline starting(SendPipeline::Limits{8, 1000, 100}, counters_);
  RecordingSink sink;
  starting.attach(sink);
  EXPECT_EQ(starting.enqueue(make_record("broadcast")), SendPipeline::Queued::kDropped);
  starting.enqueue_control(make_record("handshake"));
  starting.flush();
  EXPECT_EQ(sink.batches, (Batches{{"handshake"}}));
}

TEST_F(SendPipelineTest, TasksRunInOrderWithTheSends) {
  std::vector<std::string> seen;
  std::vector<Inbox::Entry> entries;
  entries.push_back(send("a"));
  entries.push_back(Inbox::Entry{{}, {}, [&] { seen.push_back("task"); }});
  entries.push_back(send("b"));
  drain(std::move(entries));
  EXPECT_EQ(seen, std::vector<std::string>{"task"});
  EXPECT_EQ(sink_.batches, (Batches{{"a", "b"}}));
}

TEST_F(SendPipelineTest, WithoutASinkRecordsQueueUntilOneIsAttached) {
  pipeline_.detach();
  drain({send("a")});
  drain({send("b")});
  EXPECT_TRUE(sink_.batches.empty());
  pipeline_.attach(sink_);
  pipeline_.flush();
  EXPECT_EQ(sink_.batches, (Batches{{"a", "b"}}));
}

TEST(SendPipelineReplay, KeepsSequencedRecordsUntilAcknowledgedAndWaitsWhenFull) {
  SendCounters counters;
  RecordingSink sink;
  sink.pending = false;
  SendPipeline pipeline(SendPipeline::Limits{100, 10'000, 5}, counters);
  ReplayBuffer replay(10);
  pipeline.replay_into(&replay);
  pipeline.attach(sink);
  pipeline.open();
  pipeline.enqueue(make_record("12345"), {}, true);
  pipeline.enqueue_control(make_record("ping"));  // not sequenced: not kept
  pipeline.enqueue(make_record("67890"), {}, true);
  pipeline.enqueue(make_record("abcde"), {}, true);
  pipeline.flush();
  // Two sequenced records fill the 10 bytes: the third waits for an acknowledgement.
  EXPECT_EQ(sink.batches, (Batches{{"12345"}, {"ping"}, {"67890"}}));
  EXPECT_EQ(replay.size(), 2u);
  EXPECT_EQ(replay.first_id(), 1);
  replay.acknowledge(1);
  pipeline.flush();
  EXPECT_EQ(sink.batches.back(), std::vector<std::string>{"abcde"});
  EXPECT_EQ(replay.first_id(), 2);
  EXPECT_EQ(replay.size(), 2u);
}

TEST(SendPipelineReplay, AResendGoesBeforeAnythingQueued) {
  SendCounters counters;
  RecordingSink sink;
  SendPipeline pipeline(SendPipeline::Limits{100, 10'000, 1000}, counters);
  pipeline.open();
  pipeline.enqueue(make_record("queued while away"));
  pipeline.attach(sink);
  pipeline.write_first({make_record("sequence"), make_record("unacknowledged")});
  pipeline.flush();
  ASSERT_TRUE(pipeline.on_send_complete(true));
  pipeline.flush();
  EXPECT_EQ(sink.batches,
            (Batches{{"sequence", "unacknowledged"}, {"queued while away"}}));
}

}  // namespace
}  // namespace scanhub::push
