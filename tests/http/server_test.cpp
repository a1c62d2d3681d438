// The connection cap of the HTTP server (src/http/server.hpp) over real loopback sockets: a
// connection past ServerOptions::max_connections gets the fixed 503 without its request being
// read, and Server::counters() counts it (what /metrics will report).
#include "http/server.hpp"

#include "signalr/hub_host.hpp"

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace scanhub::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class ConnectionCap : public testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.max_connections = kCap;
    server_ = std::make_unique<Server>(io_, options, router_, hubs_, files_);
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();  // run() returns once the server has stopped
  }

  tcp::socket connect() {
    tcp::socket socket(client_io_);
    socket.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
    return socket;
  }
  // One request on `socket`; the answer's status line. Reads the whole answer (headers, then
  // Content-Length bytes) and keeps the connection open.
  static std::string status_line(tcp::socket& socket, const std::string& request) {
    asio::write(socket, asio::buffer(request));
    std::string answer;
    boost::system::error_code ec;
    const std::size_t head = asio::read_until(socket, asio::dynamic_buffer(answer), "\r\n\r\n", ec);
    if (ec) return "read failed: " + ec.message();
    const auto length_at = answer.find("Content-Length: ");
    const std::size_t length =
        length_at == std::string::npos ? 0 : std::stoul(answer.substr(length_at + 16));
    if (answer.size() < head + length) {
      asio::read(socket, asio::dynamic_buffer(answer),
                 asio::transfer_exactly(head + length - answer.size()), ec);
    }
    return answer.substr(0, answer.find("\r\n") + 2);
  }

  static constexpr std::size_t kCap = 3;
  static constexpr const char* kRequest = "GET /nothing HTTP/1.1\r\nHost: localhost\r\n\r\n";
  asio::io_context io_;
  asio::io_context client_io_;
  Router router_;
  signalr::HubHost hubs_;
  StaticFiles files_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

TEST_F(ConnectionCap, RefusesPastTheCapAndCountsIt) {
  std::vector<tcp::socket> open;
  for (std::size_t i = 0; i < kCap; ++i) {
    open.push_back(connect());
    // Answered: the server has accepted it and holds its session.
    EXPECT_EQ(status_line(open.back(), kRequest), "HTTP/1.1 404 Not Found\r\n");
  }
  EXPECT_EQ(server_->counters().connections_open, kCap);
  EXPECT_EQ(server_->counters().max_connections, kCap);
  EXPECT_EQ(server_->counters().connections_refused, 0u);

  tcp::socket extra = connect();
  std::string answer;
  boost::system::error_code ec;
  asio::read(extra, asio::dynamic_buffer(answer), ec);  // sent nothing; read to the server's close
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n")) << answer;
  EXPECT_NE(answer.find("\r\nRetry-After: 1\r\n"), std::string::npos) << answer;
  EXPECT_NE(answer.find("\r\nConnection: close\r\n"), std::string::npos) << answer;
  EXPECT_EQ(server_->counters().connections_refused, 1u);
  EXPECT_EQ(server_->counters().connections_open, kCap);

  // The connections that were in keep serving.
  EXPECT_EQ(status_line(open.front(), kRequest), "HTTP/1.1 404 Not Found\r\n");
}

TEST(ConnectionCapDefault, DerivedFromTheDescriptorLimit) {
  asio::io_context io;
  Router router;
  signalr::HubHost hubs;
  StaticFiles files;
  ServerOptions options;
  options.max_connections = 1'000'000'000;  // far above any descriptor limit
  Server server(io, options, router, hubs, files);
  server.start();
  EXPECT_GT(server.counters().max_connections, 0u);
  EXPECT_LT(server.counters().max_connections, options.max_connections);
  server.stop();
  io.run();
}

}  // namespace
}  // namespace scanhub::http
