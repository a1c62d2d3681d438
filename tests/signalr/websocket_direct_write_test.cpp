// Tests of the WebSockets transport's writes (src/signalr/websocket_transport.cpp on
// src/push/websocket.hpp and websocket_frame.hpp): the frames it writes are byte for byte the
// ones Beast writes, and its Pongs never land inside a message's frame, also when the kernel
// takes only part of a frame. Real sockets on 127.0.0.1, a real server (http::Server with a
// HubHost), Beast as the client, which rejects any malformed frame.
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "signalr/hub.hpp"
#include "signalr/hub_host.hpp"
#include "push/websocket_frame.hpp"

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace scanhub::signalr {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;

constexpr char kRecordSeparator = '\x1e';

// Subscribe(group): joins the group.
class GroupHub final : public Hub {
 public:
  HubContext* context = nullptr;
  void invoke(const CallerContext& caller, std::string_view target, const json::array& arguments,
              Completion complete) override {
    if (target != "Subscribe" || arguments.size() != 1 || !arguments[0].is_string()) {
      complete(std::unexpected(std::string("Subscribe(group) only")));
      return;
    }
    context->add_to_group(caller.connection_id, arguments[0].get_string());
    complete(json::value());
  }
};

// The product's server on 127.0.0.1, two network threads as `scanhub serve`.
class TestServer {
 public:
  explicit TestServer(HubOptions hub_options = {}) : hub_(std::make_shared<GroupHub>()) {
    hub_->context = &hubs_.map_hub("/hubs/test", hub_, hub_options);
    http::ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.shutdown_grace = std::chrono::seconds(2);
    server_ = std::make_unique<http::Server>(io_, options, router_, hubs_, files_);
    server_->start();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~TestServer() {
    server_->stop();
    work_.reset();
    for (auto& thread : threads_) thread.join();
  }
  std::uint16_t port() const { return server_->port(); }
  HubContext& context() { return *hub_->context; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  HubHost hubs_;
  std::shared_ptr<GroupHub> hub_;
  http::Router router_;
  const http::StaticFiles files_;
  std::unique_ptr<http::Server> server_;
  std::vector<std::thread> threads_;
};

// A SignalR JSON client on Beast, synchronous, on the test's thread.
class Client {
 public:
  // `receive_buffer`: SO_RCVBUF before connecting (0: the default); a small one makes the
  // server's socket fill up, so its direct writes end up partial.
  Client(std::uint16_t port, int receive_buffer = 0) {
    auto& socket = ws_.next_layer();
    socket.open(tcp::v4());
    if (receive_buffer > 0)
      socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    ws_.handshake("127.0.0.1", "/hubs/test");
    ws_.text(true);
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::pong) ++pongs_;
    });
    ws_.write(asio::buffer(std::string(R"({"protocol":"json","version":1})") + kRecordSeparator));
    EXPECT_EQ(next_record(), "{}");
  }

  void subscribe(std::string_view group) {
    ws_.write(asio::buffer(R"({"type":1,"invocationId":"1","target":"Subscribe","arguments":[")" +
                           std::string(group) + "\"]}" + kRecordSeparator));
    const auto completion = json::parse(next_record()).as_object();
    ASSERT_EQ(completion.at("type").as_int64(), 3);
    ASSERT_FALSE(completion.contains("error")) << json::serialize(completion);
  }

  void ping() { ws_.ping({}); }

  // The next SignalR record (pings, type 6, skipped), reading frames as needed.
  std::string next_record() {
    for (;;) {
      while (pending_.empty()) {
        beast::flat_buffer buffer;
        ws_.read(buffer);
        const std::string message = beast::buffers_to_string(buffer.data());
        std::size_t start = 0;
        for (std::size_t end; (end = message.find(kRecordSeparator, start)) != std::string::npos;
             start = end + 1) {
          pending_.push_back(message.substr(start, end - start));
        }
        EXPECT_EQ(start, message.size()) << "a record split across WebSocket messages";
      }
      std::string record = std::move(pending_.front());
      pending_.erase(pending_.begin());
      if (record.find(R"("type":6)") == std::string::npos) return record;
    }
  }

  int pongs() const noexcept { return pongs_; }
  tcp::endpoint local_endpoint() const { return ws_.next_layer().local_endpoint(); }

 private:
  asio::io_context io_;
  websocket::stream<tcp::socket> ws_{io_};
  std::vector<std::string> pending_;
  int pongs_ = 0;
};

struct FrameCase {
  bool binary;
  std::size_t payload;
};

class FrameHeader : public testing::TestWithParam<FrameCase> {};

// push::write_server_frame_header against the bytes Beast's server stream puts on the wire.
TEST_P(FrameHeader, MatchesBeast) {
  const auto [binary, size] = GetParam();
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  websocket::stream<tcp::socket> server(acceptor.accept());
  asio::write(client, asio::buffer(std::string(
                          "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n\r\n")));
  server.accept();
  std::string response;
  asio::read_until(client, asio::dynamic_buffer(response), "\r\n\r\n");
  ASSERT_TRUE(response.starts_with("HTTP/1.1 101")) << response;
  ASSERT_EQ(response.find("\r\n\r\n") + 4, response.size());

  std::string payload(size, 'x');
  for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('a' + i % 26);
  server.auto_fragment(false);
  server.binary(binary);
  std::thread writer([&] { server.write(asio::buffer(payload)); });

  push::WebSocketFrameHeader header{};
  const std::size_t header_size = push::write_server_frame_header(binary, size, header);
  std::string expected(reinterpret_cast<const char*>(header.data()), header_size);
  expected += payload;
  std::string wire(expected.size(), '\0');
  asio::read(client, asio::buffer(wire));
  writer.join();
  EXPECT_EQ(wire, expected);
}

INSTANTIATE_TEST_SUITE_P(Sizes, FrameHeader,
                         testing::Values(FrameCase{false, 0}, FrameCase{false, 1},
                                         FrameCase{false, 125}, FrameCase{false, 126},
                                         FrameCase{false, 363}, FrameCase{false, 65535},
                                         FrameCase{false, 65536}, FrameCase{false, 200000},
                                         FrameCase{true, 5}, FrameCase{true, 126},
                                         FrameCase{true, 70000}));

// One client that stops reading while 8 MB are sent to it, then reads (see the test below).
void partial_writes_and_pongs(TestServer& server, const std::string& group) {
  Client client(server.port(), /*receive_buffer=*/4096);
  client.subscribe(group);

  constexpr int kMessages = 80;
  constexpr std::size_t kSize = 100'000;
  for (int i = 0; i < kMessages; ++i) {
    std::string body(kSize, static_cast<char>('a' + i % 26));
    server.context().send_group(group, "Data", json::array{i, std::move(body)});
    client.ping();  // read by the server's WebSocket, answered with a Pong meanwhile
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  int pings = kMessages;
  // The socket is full now: the write in flight is often the rest of a partial direct write.
  for (int i = 0; i < 20; ++i, ++pings) {
    client.ping();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (int i = 0; i < kMessages; ++i) {
    client.ping();  // while the server writes what the client just made room for
    ++pings;
    const auto record = json::parse(client.next_record()).as_object();
    ASSERT_EQ(record.at("target").as_string(), "Data");
    const auto& arguments = record.at("arguments").as_array();
    ASSERT_EQ(arguments.at(0).as_int64(), i) << "out of order";
    ASSERT_EQ(arguments.at(1).as_string().size(), kSize);
    ASSERT_EQ(arguments.at(1).as_string()[kSize - 1], static_cast<char>('a' + i % 26));
  }
  // The server answers the last Ping before it reads this invocation: once its completion is
  // here, every Pong is.
  client.subscribe(group + "-end");
  EXPECT_EQ(client.pongs(), pings);
}

// More than the kernel holds for a client that does not read (a send buffer grows to 4 MiB
// here, net.ipv4.tcp_wmem): the server's direct writes are cut short by the kernel and finished
// when the socket is writable again, while the client's Pings make the server write Pongs on
// the same socket. Every message and every Pong must arrive whole and in order. A Pong written
// into the middle of a frame breaks the client's parse; whether one lands there is timing,
// hence three clients.
TEST(WebSocketDirectWrite, PartialWritesAndPongsNeverInterleave) {
  HubOptions options;
  options.outbox_max_bytes = 64 * 1024 * 1024;  // the test's 8 MB stay queued, not dropped
  TestServer server(options);
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    partial_writes_and_pongs(server, "g" + std::to_string(round));
    if (HasFatalFailure()) return;
  }
}

// The steady fan-out case: one small message at a time to idle sockets, many connections, in
// order, nothing lost (each is one direct write).
TEST(WebSocketDirectWrite, SmallMessagesToManyClientsArriveInOrder) {
  TestServer server;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 50; ++i) {
    clients.push_back(std::make_unique<Client>(server.port()));
    clients.back()->subscribe("all");
  }
  constexpr int kMessages = 100;
  for (int i = 0; i < kMessages; ++i) {
    server.context().send_group("all", "Progress", json::array{i});
  }
  for (auto& client : clients) {
    for (int i = 0; i < kMessages; ++i) {
      const auto record = json::parse(client->next_record()).as_object();
      ASSERT_EQ(record.at("arguments").as_array().at(0).as_int64(), i);
    }
  }
}


// The value of TCP_NODELAY on the socket of this process whose local port is `local_port` and
// whose peer is `peer` (the server runs in the test process, so its accepted socket is one of
// our descriptors); nullopt when there is no such socket.
std::optional<int> nodelay_of_accepted(std::uint16_t local_port, const tcp::endpoint& peer) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::stoi(entry.path().filename().string());
    sockaddr_in local{};
    sockaddr_in remote{};
    socklen_t length = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0 ||
        local.sin_family != AF_INET || ntohs(local.sin_port) != local_port) {
      continue;
    }
    length = sizeof remote;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &length) != 0 ||
        ntohs(remote.sin_port) != peer.port()) {
      continue;
    }
    int value = 0;
    length = sizeof value;
    if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &length) != 0) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

// Every write leaves at once, as Kestrel (NoDelay) and Node's ws do: with Nagle's algorithm a
// progress message written while the client's delayed ACK of the previous one is still due
// would wait for that ACK (40 ms on Linux, 200 ms on Windows).
TEST(HttpServerSockets, AcceptedConnectionsHaveNagleOff) {
  TestServer server;
  Client client(server.port());
  const auto nodelay = nodelay_of_accepted(server.port(), client.local_endpoint());
  ASSERT_TRUE(nodelay.has_value()) << "the server's socket for this client was not found";
  EXPECT_NE(*nodelay, 0);
}

}  // namespace
}  // namespace scanhub::signalr
