// Tests of the inbox (src/push/inbox.hpp) and the fan-out (src/push/fan_out.hpp): call order
// across threads, one serialization per wire format, one shared record for every recipient,
// and every recipient reached when there are more than one chunk of them. A real io_context
// with two threads and a strand per subscriber, as the server runs them.
#include "push/fan_out.hpp"
#include "push/inbox.hpp"
#include "push/send_pipeline.hpp"

#include <gtest/gtest.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace scanhub::push {
namespace {

namespace asio = boost::asio;
using IoStrand = asio::strand<asio::io_context::executor_type>;

TEST(Inbox, OnlyTheFirstPushSchedulesADrainAndTasksWaitBehindSends) {
  Inbox inbox;
  EXPECT_TRUE(inbox.push(make_record("a"), {}));
  EXPECT_FALSE(inbox.push(make_record("b"), "k"));
  std::function<void()> task = [] {};
  EXPECT_TRUE(inbox.push_task(task));
  auto& taken = inbox.take();
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(*taken[0].record, "a");
  EXPECT_EQ(taken[1].key, "k");
  EXPECT_TRUE(taken[2].task);
  taken.clear();
  std::function<void()> alone = [] {};
  EXPECT_FALSE(inbox.push_task(alone));  // nothing waits: the caller posts it
  EXPECT_TRUE(alone);
  EXPECT_TRUE(inbox.push(make_record("c"), {}));  // a new drain after take()
}

// A subscriber as push::fan_out wants it: an inbox drained on its strand into a pipeline
// whose sink records what it was given.
class Subscriber : public std::enable_shared_from_this<Subscriber>, public PushSink {
 public:
  Subscriber(IoStrand strand, std::size_t format)
      : strand_(strand),
        executor_(strand),
        format_(format),
        pipeline_(SendPipeline::Limits{100'000, 1 << 30, 1 << 20}, counters_) {
    pipeline_.attach(*this);
    pipeline_.open();
  }

  std::size_t wire_format() const noexcept { return format_; }
  bool push_send(SharedRecord record, std::string_view key) {
    return inbox_.push(std::move(record), key);
  }
  void dispatch_drain() {
    asio::dispatch(strand_, [self = shared_from_this()] { self->drain(); });
  }
  void post_drain() {
    asio::post(strand_, [self = shared_from_this()] { self->drain(); });
  }
  const asio::any_io_executor& executor() const noexcept { return executor_; }

  SendStatus send(const std::vector<SharedRecord>& records) override {
    std::lock_guard lock(mutex_);
    received_.insert(received_.end(), records.begin(), records.end());
    return SendStatus::kWritten;
  }
  void close(std::string_view) override {}
  void abort() override {}

  std::vector<SharedRecord> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  void drain() {
    pipeline_.drain(inbox_.take(), [] { FAIL() << "no overflow expected"; });
  }

  IoStrand strand_;
  asio::any_io_executor executor_;
  std::size_t format_;
  SendCounters counters_;
  Inbox inbox_;
  SendPipeline pipeline_;
  std::mutex mutex_;
  std::vector<SharedRecord> received_;
};

class FanOutTest : public ::testing::Test {
 protected:
  FanOutTest() {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~FanOutTest() override {
    work_.reset();
    for (auto& thread : threads_) thread.join();
  }

  // Waits until the io_context has run everything queued before this call and what that
  // queued in turn (bounded rounds: each delivery task posts at most once more).
  void settle() {
    for (int round = 0; round < 4; ++round) {
      std::promise<void> done;
      asio::post(io_, [&done] { done.set_value(); });
      ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
    }
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::vector<std::thread> threads_;
};

TEST_F(FanOutTest, SerializesOncePerFormatAndSharesTheRecordWithEveryRecipient) {
  auto recipients = std::make_shared<std::vector<std::shared_ptr<Subscriber>>>();
  for (int i = 0; i < 300; ++i) {  // more than two chunks
    recipients->push_back(std::make_shared<Subscriber>(asio::make_strand(io_), i % 3 == 0 ? 1 : 0));
  }
  std::map<std::size_t, int> serialized;
  for (int message = 0; message < 5; ++message) {
    fan_out<2>(std::shared_ptr<const std::vector<std::shared_ptr<Subscriber>>>(recipients), {},
               [&](std::size_t format) {
                 ++serialized[format];
                 return std::string(format == 0 ? "text " : "binary ") +
                        std::to_string(message);
               });
  }
  settle();
  EXPECT_EQ(serialized[0], 5);
  EXPECT_EQ(serialized[1], 5);
  const auto first_text = (*recipients)[1]->received();
  const auto first_binary = (*recipients)[0]->received();
  ASSERT_EQ(first_text.size(), 5u);
  ASSERT_EQ(first_binary.size(), 5u);
  for (std::size_t i = 0; i < recipients->size(); ++i) {
    const auto got = (*recipients)[i]->received();
    ASSERT_EQ(got.size(), 5u) << "recipient " << i;
    const auto& expected = i % 3 == 0 ? first_binary : first_text;
    for (std::size_t m = 0; m < got.size(); ++m) {
      EXPECT_EQ(got[m].get(), expected[m].get()) << "one record, shared, in order";
      EXPECT_EQ(*got[m], std::string(i % 3 == 0 ? "binary " : "text ") + std::to_string(m));
    }
  }
}

TEST_F(FanOutTest, AFormatNobodySpeaksIsNeverSerialized) {
  auto recipients = std::make_shared<std::vector<std::shared_ptr<Subscriber>>>();
  recipients->push_back(std::make_shared<Subscriber>(asio::make_strand(io_), 0));
  int binary = 0;
  fan_out<2>(std::shared_ptr<const std::vector<std::shared_ptr<Subscriber>>>(recipients), {},
             [&](std::size_t format) {
               if (format == 1) ++binary;
               return std::string("x");
             });
  settle();
  EXPECT_EQ(binary, 0);
  EXPECT_EQ((*recipients)[0]->received().size(), 1u);
}

}  // namespace
}  // namespace scanhub::push
