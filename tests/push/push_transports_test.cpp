// The send pipeline over real transports without any SignalR protocol (src/push): a plain
// WebSocket carrying JSON text frames (push::WebSocket with a push::Subscription, as the /ws
// event socket uses them) and a Server-Sent Events stream (push::EventStream). Real sockets on
// 127.0.0.1, a server io_context with two threads; the WebSocket client is Beast's, which
// rejects any malformed frame. What a client sees: newer progress replacing unsent older
// progress, lifecycle events all there and in order, a client that stops reading closed with a
// reason (and counted) instead of growing the server, and one record shared by every client of
// a format.
#include "push/event_stream.hpp"
#include "push/fan_out.hpp"
#include "push/subscription.hpp"
#include "push/websocket.hpp"
#include "push/websocket_frame.hpp"
#include "push/websocket_handshake.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace scanhub::push {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// The wire formats of the test's fan-out: a /ws text frame of JSON, an SSE event.
constexpr std::size_t kJson = 0;
constexpr std::size_t kSse = 1;

// Small socket buffers on both ends, so that a client that stops reading fills them at once.
constexpr int kSocketBuffer = 4096;

std::string sse_event(std::string_view type, std::string_view json) {
  return "event: " + std::string(type) + "\ndata: " + std::string(json) + "\n\n";
}

// A /ws-like socket: push::WebSocket for the frames, a Subscription for what is sent to it.
class EventSocket final : public WebSocket, public PushSink {
 public:
  EventSocket(Socket&& socket, std::shared_ptr<Subscription> subscription,
              std::function<void()> on_closed)
      : WebSocket(std::move(socket)), subscription_(std::move(subscription)),
        on_closed_(std::move(on_closed)) {}

  // One message per record: the records are whole frames, framed once for every socket.
  SendStatus send(const std::vector<SharedRecord>& records) override {
    return send_frames(records);
  }
  void close(std::string_view reason) override { WebSocket::close(1000, reason); }
  void abort() override { WebSocket::abort(); }

 private:
  void on_websocket_open() override {
    subscription_->attach(std::shared_ptr<PushSink>(shared_from_this(), this));
  }
  bool on_websocket_data(std::string_view, bool, bool) override { return true; }
  void on_websocket_sent() override { subscription_->on_send_complete(true); }
  void on_websocket_closed() override {
    subscription_->detach();  // breaks the subscription <-> socket cycle
    on_closed_();
  }

  std::shared_ptr<Subscription> subscription_;
  std::function<void()> on_closed_;
};

// Accepts /ws (WebSocket) and /events (SSE) on 127.0.0.1 and keeps every subscription.
class PushServer {
 public:
  explicit PushServer(SendPipeline::Limits limits) : limits_(limits) {
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    do_accept();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~PushServer() {
    asio::post(acceptor_.get_executor(), [this] { acceptor_.close(); });
    std::vector<std::shared_ptr<Subscription>> subscriptions;
    {
      std::lock_guard lock(mutex_);
      subscriptions = subscriptions_;
    }
    // Every connection ends (its end detaches its subscription), then the threads.
    for (std::size_t i = 0; i < subscriptions.size(); ++i) {
      asio::post(subscriptions[i]->executor(), [s = subscriptions[i]] { s->abort(); });
      EXPECT_TRUE(wait_closed(i));
    }
    work_.reset();
    for (auto& thread : threads_) thread.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  SendCounters& counters() { return counters_; }

  // The n-th subscription, once its transport is up (waits at most 10 s).
  std::shared_ptr<Subscription> subscription(std::size_t n) {
    std::unique_lock lock(mutex_);
    EXPECT_TRUE(changed_.wait_for(lock, 10s, [&] { return attached_ > n; }));
    return n < subscriptions_.size() ? subscriptions_[n] : nullptr;
  }
  // Waits until the n-th connection ended (at most 10 s).
  bool wait_closed(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return closed_[n]; });
  }

  // One message to every subscription: its JSON for WebSockets, an event for SSE, each made
  // once; returns how many times each was serialized.
  std::vector<int> broadcast(std::string_view type, std::string json, std::string key = {}) {
    auto recipients = std::make_shared<std::vector<std::shared_ptr<Subscription>>>();
    {
      std::lock_guard lock(mutex_);
      *recipients = subscriptions_;
    }
    std::vector<int> made(2, 0);
    fan_out<2>(std::shared_ptr<const std::vector<std::shared_ptr<Subscription>>>(recipients), key,
               [&](std::size_t format) {
                 ++made[format];
                 return format == kSse ? sse_event(type, json) : websocket_frame(json);
               });
    return made;
  }

  // Runs `task` on the subscription's strand and returns its result.
  template <class Task>
  auto on_strand(const std::shared_ptr<Subscription>& subscription, Task task) {
    std::packaged_task<decltype(task())()> packaged(std::move(task));
    auto result = packaged.get_future();
    asio::post(subscription->executor(), [&packaged] { packaged(); });
    EXPECT_EQ(result.wait_for(10s), std::future_status::ready);
    return result.get();
  }

 private:
  struct Pending {
    tcp::socket socket;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
  };

  void do_accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](boost::system::error_code ec,
                                                          tcp::socket socket) {
      if (ec) return;
      socket.set_option(asio::socket_base::send_buffer_size(kSocketBuffer));
      socket.set_option(tcp::no_delay(true));
      auto pending = std::make_shared<Pending>(Pending{std::move(socket), {}, {}});
      http::async_read(pending->socket, pending->buffer, pending->request,
                       [this, pending](boost::system::error_code read_ec, std::size_t) {
                         if (!read_ec) on_request(std::move(*pending));
                       });
      do_accept();
    });
  }

  void on_request(Pending&& pending) {
    const bool sse = pending.request.target() == "/events";
    auto subscription = std::make_shared<Subscription>(pending.socket.get_executor(),
                                                       sse ? kSse : kJson, limits_, counters_);
    std::size_t index = 0;
    {
      std::lock_guard lock(mutex_);
      index = subscriptions_.size();
      subscriptions_.push_back(subscription);
      closed_.push_back(false);
    }
    auto on_closed = [this, index] {
      std::lock_guard lock(mutex_);
      closed_[index] = true;
      changed_.notify_all();
    };
    if (sse) {
      EventStream::start(std::move(pending.socket),
                         "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                         "Cache-Control: no-cache\r\nConnection: close\r\n\r\n",
                         subscription, on_closed);
    } else {
      auto response = websocket_upgrade_response(pending.request);
      ASSERT_TRUE(response);
      std::make_shared<EventSocket>(std::move(pending.socket), subscription, on_closed)
          ->start(std::move(*response));
    }
    // Attached (SSE at once; the WebSocket once its 101 went out): good enough for the tests,
    // which only send after the client saw the response.
    std::lock_guard lock(mutex_);
    ++attached_;
    changed_.notify_all();
  }

  SendPipeline::Limits limits_;
  SendCounters counters_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  tcp::acceptor acceptor_{asio::make_strand(io_)};
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t attached_ = 0;
  std::vector<std::shared_ptr<Subscription>> subscriptions_;
  std::deque<bool> closed_;
};

// Beast's WebSocket client, synchronous, with a small receive buffer.
class WsClient {
 public:
  explicit WsClient(std::uint16_t port) {
    auto& socket = ws_.next_layer();
    socket.open(tcp::v4());
    socket.set_option(asio::socket_base::receive_buffer_size(kSocketBuffer));
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    ws_.handshake("127.0.0.1", "/ws");
  }
  // The next message; nullopt once the server closed (reason()).
  std::optional<std::string> next() {
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    ws_.read(buffer, ec);
    if (ec) return std::nullopt;
    EXPECT_TRUE(ws_.got_text());
    return beast::buffers_to_string(buffer.data());
  }
  std::string close_reason() const { return std::string(ws_.reason().reason.c_str()); }

 private:
  asio::io_context io_;
  websocket::stream<tcp::socket> ws_{io_};
};

// An EventSource-like reader of the raw stream: events as "type:data".
class SseClient {
 public:
  explicit SseClient(std::uint16_t port) : socket_(io_) {
    socket_.open(tcp::v4());
    socket_.set_option(asio::socket_base::receive_buffer_size(kSocketBuffer));
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
    asio::write(socket_, asio::buffer(std::string(
                             "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Accept: text/event-stream\r\n\r\n")));
    const std::size_t head = asio::read_until(socket_, asio::dynamic_buffer(data_), "\r\n\r\n");
    EXPECT_TRUE(data_.starts_with("HTTP/1.1 200 OK\r\n"));
    data_.erase(0, head);
  }
  // The next event; nullopt at the end of the stream.
  std::optional<std::string> next() {
    boost::system::error_code ec;
    const std::size_t size = asio::read_until(socket_, asio::dynamic_buffer(data_), "\n\n", ec);
    if (ec) return std::nullopt;
    std::string block = data_.substr(0, size - 2);
    data_.erase(0, size);
    std::string type;
    std::string payload;
    std::size_t at = 0;
    while (at < block.size()) {
      std::size_t end = block.find('\n', at);
      if (end == std::string::npos) end = block.size();
      const std::string_view line(block.data() + at, end - at);
      if (line.starts_with("event: ")) type = line.substr(7);
      if (line.starts_with("data: ")) payload = line.substr(6);
      at = end + 1;
    }
    return type + ":" + payload;
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  std::string data_;
};

std::string progress_json(int value) {
  return R"({"type":"scan:progress","current":)" + std::to_string(value) + "}";
}
std::string filler_json(int n) {
  return R"({"type":"job:started","n":)" + std::to_string(n) + R"(,"pad":")" +
         std::string(1000, 'x') + "\"}";
}

// Sends filler until the client's socket and the server's are full and records queue.
int fill(PushServer& server, const std::shared_ptr<Subscription>& subscription) {
  int sent = 0;
  while (!server.on_strand(subscription, [&] {
    return subscription->pipeline().writing() && subscription->pipeline().queued_messages() > 0;
  })) {
    server.broadcast("job:started", filler_json(sent++));
    if (sent > 10'000) {
      ADD_FAILURE() << "the sockets never filled";
      break;
    }
  }
  return sent;
}

// What the client sees after it stopped reading while progress and lifecycle events were sent.
template <class Client>
void expect_conflated(PushServer& server, Client& client, int filled, bool sse) {
  const auto expect = [sse](std::string_view type, const std::string& json) {
    return sse ? std::string(type) + ":" + json : json;
  };
  for (int i = 0; i < filled; ++i) {
    ASSERT_EQ(client.next(), expect("job:started", filler_json(i)));
  }
  // Lifecycle events all arrive, in order; of the progress, the newest only.
  ASSERT_EQ(client.next(), expect("job:completed", R"({"type":"job:completed","jobId":1})"));
  ASSERT_EQ(client.next(), expect("job:completed", R"({"type":"job:completed","jobId":2})"));
  ASSERT_EQ(client.next(), expect("scan:progress", progress_json(100)));
  EXPECT_GE(server.counters().messages_conflated.load(), 99u);
}

void send_progress_and_lifecycle(PushServer& server) {
  for (int value = 1; value <= 100; ++value) {
    server.broadcast("scan:progress", progress_json(value), "scan-1");
    if (value == 30) server.broadcast("job:completed", R"({"type":"job:completed","jobId":1})");
    if (value == 60) server.broadcast("job:completed", R"({"type":"job:completed","jobId":2})");
  }
}

constexpr SendPipeline::Limits kRoomy{1024, 4 * 1024 * 1024, 64 * 1024};
constexpr SendPipeline::Limits kTight{16, 64 * 1024, 64 * 1024};

TEST(PushOverWebSocket, NewerProgressReplacesUnsentProgressAndLifecycleKeepsOrder) {
  PushServer server(kRoomy);
  WsClient client(server.port());
  auto subscription = server.subscription(0);
  const int filled = fill(server, subscription);
  send_progress_and_lifecycle(server);
  expect_conflated(server, client, filled, false);
}

TEST(PushOverSse, NewerProgressReplacesUnsentProgressAndLifecycleKeepsOrder) {
  PushServer server(kRoomy);
  SseClient client(server.port());
  auto subscription = server.subscription(0);
  const int filled = fill(server, subscription);
  send_progress_and_lifecycle(server);
  expect_conflated(server, client, filled, true);
}

// A client that stops reading while lifecycle events (never dropped) keep coming: the server
// keeps at most the bounds for it, then closes it with the reason and counts it; the other
// client gets everything.
TEST(PushOverWebSocket, AClientThatStopsReadingIsClosedWithAReasonAndTheOthersGetEverything) {
  PushServer server(kTight);
  WsClient slow(server.port());
  auto slow_subscription = server.subscription(0);
  SseClient fast(server.port());
  server.subscription(1);
  std::size_t most_queued = 0;
  for (int i = 0; i < 300; ++i) {
    server.broadcast("job:started", filler_json(i));
    ASSERT_EQ(fast.next(), "job:started:" + filler_json(i));
    most_queued = std::max(most_queued, server.on_strand(slow_subscription, [&] {
      return slow_subscription->pipeline().queued_bytes();
    }));
  }
  EXPECT_EQ(server.counters().slow_clients_closed.load(), 1u);
  EXPECT_LE(most_queued, kTight.max_bytes + 1100);  // the bounds, plus the record past them
  // The slow client reads again: what was on its way, in order, then the close with a reason.
  int received = 0;
  for (; received < 300; ++received) {
    auto message = slow.next();
    if (!message) break;
    ASSERT_EQ(*message, filler_json(received));
  }
  EXPECT_LT(received, 300);  // closed, not grown
  EXPECT_EQ(slow.close_reason(), kSlowClientReason);
  EXPECT_TRUE(server.wait_closed(0));
}

TEST(PushOverSse, AClientThatStopsReadingIsClosedAndCounted) {
  PushServer server(kTight);
  SseClient slow(server.port());
  server.subscription(0);
  for (int i = 0; i < 300; ++i) server.broadcast("job:started", filler_json(i));
  int received = 0;
  for (; received < 300; ++received) {
    auto event = slow.next();
    if (!event) break;
    ASSERT_EQ(*event, "job:started:" + filler_json(received));
  }
  EXPECT_LT(received, 300);  // the stream ended early: closed, not grown
  EXPECT_TRUE(server.wait_closed(0));
  EXPECT_EQ(server.counters().slow_clients_closed.load(), 1u);
}

TEST(PushFanOut, OneRecordPerFormatReachesWebSocketsAndEventStreams) {
  PushServer server(kRoomy);
  std::vector<std::unique_ptr<WsClient>> sockets;
  std::vector<std::unique_ptr<SseClient>> streams;
  for (int i = 0; i < 3; ++i) {
    sockets.push_back(std::make_unique<WsClient>(server.port()));
    server.subscription(2 * i);
    streams.push_back(std::make_unique<SseClient>(server.port()));
    server.subscription(2 * i + 1);
  }
  const auto made = server.broadcast("queue:stats", R"({"type":"queue:stats","active":0})");
  EXPECT_EQ(made, (std::vector<int>{1, 1}));
  for (auto& socket : sockets) EXPECT_EQ(socket->next(), R"({"type":"queue:stats","active":0})");
  for (auto& stream : streams) {
    EXPECT_EQ(stream->next(), R"(queue:stats:{"type":"queue:stats","active":0})");
  }
}

}  // namespace
}  // namespace scanhub::push
