// fanout-floor-server: the least a server can do to fan a message out over WebSockets on this
// machine, as a yardstick for bench/fanout (BENCHMARKS.md, "Fan-out"). It speaks the plain `ws`
// peer's protocol (ws-server.mjs: every connection a subscriber, each published payload sent as
// one text frame {"event":"ScanProgress","data":<payload>}), so fanout-bench drives it in the ws
// column with `--ws-server <this program>`.
//
// After Beast's WebSocket handshake it never reads again (the load client's keep-alives pile up
// in the socket's receive buffer, a few hundred bytes per run) and keeps no per-connection state
// but the descriptor. Each message is framed once; N threads (default 2) each run a plain loop of
// blocking send() over their share of the sockets. No strand, no queue, no timer, no outbox:
// what is left of a delivery is the kernel's TCP path, so its latency is the floor that any
// server, scanhub included, pays here.
//
// Trigger interface, the same as the three servers (see scanhub_server.cpp): stdout
// "ready <port>\n" once listening on 127.0.0.1; stdin "msg <json>\n" publishes <json>; stdin
// EOF stops the server.
//
// Usage: fanout-floor-server [--threads N]
#include "server_args.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;

// An unmasked, final text frame (RFC 6455 5.2) holding `payload`.
std::string text_frame(const std::string& payload) {
  std::string frame;
  frame.push_back(static_cast<char>(0x81));
  const std::size_t n = payload.size();
  if (n < 126) {
    frame.push_back(static_cast<char>(n));
  } else if (n <= 0xffff) {
    frame.push_back(static_cast<char>(126));
    frame.push_back(static_cast<char>(n >> 8));
    frame.push_back(static_cast<char>(n & 0xff));
  } else {
    frame.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(n >> shift));
  }
  return frame + payload;
}

struct Shared {
  std::mutex mutex;
  std::condition_variable published;
  std::vector<int> sockets;                          // every subscriber, in accept order
  std::vector<std::shared_ptr<const std::string>> frames;  // every message, in publish order
  bool stopping = false;
};

// Sender `index` of `count`: every message, in order, to sockets index, index + count, ...
void send_loop(Shared& shared, unsigned index, unsigned count) {
  std::size_t next = 0;
  std::vector<int> sockets;
  for (;;) {
    std::shared_ptr<const std::string> frame;
    {
      std::unique_lock lock(shared.mutex);
      shared.published.wait(lock, [&] { return shared.stopping || next < shared.frames.size(); });
      if (next >= shared.frames.size()) return;  // stopping, nothing left
      frame = shared.frames[next++];
      sockets.clear();
      for (std::size_t i = index; i < shared.sockets.size(); i += count) {
        sockets.push_back(shared.sockets[i]);
      }
    }
    for (const int fd : sockets) {
      std::size_t sent = 0;
      while (sent < frame->size()) {
        const ssize_t n = ::send(fd, frame->data() + sent, frame->size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // the client went away; the bench reports what it missed
        sent += static_cast<std::size_t>(n);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<unsigned> parsed =
      scanhub::bench::parse_server_threads(argc, argv, "fanout-floor-server");
  if (!parsed) return 2;
  const unsigned threads = *parsed;

  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  Shared shared;

  // Handshakes one after the other on their own thread (the load client opens 256 at a time).
  std::thread accepting([&] {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket(io);
      acceptor.accept(socket, ec);
      if (ec) return;  // closed at stop
      boost::beast::flat_buffer buffer;
      http::request<http::empty_body> request;
      http::read(socket, buffer, request, ec);
      if (ec) continue;
      websocket::stream<tcp::socket> ws(std::move(socket));
      // The 101 goes out and the socket joins the list under one lock: a client that has seen
      // its handshake complete may be sent a message at once, and a sender that takes that
      // message (under the same lock) must find the socket there, as ws's clients set has it.
      std::lock_guard lock(shared.mutex);
      ws.accept(request, ec);
      if (ec) continue;
      const int fd = ws.next_layer().release(ec);
      if (ec || fd < 0) continue;
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      const int on = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      shared.sockets.push_back(fd);
    }
  });

  std::vector<std::thread> senders;
  for (unsigned i = 0; i < threads; ++i) {
    senders.emplace_back([&shared, i, threads] { send_loop(shared, i, threads); });
  }

  std::printf("ready %u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
  std::fflush(stdout);

  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.starts_with("msg ")) {
      std::fprintf(stderr, "fanout-floor-server: unknown command: %.40s\n", line.c_str());
      continue;
    }
    auto frame = std::make_shared<const std::string>(
        text_frame("{\"event\":\"ScanProgress\",\"data\":" + line.substr(4) + "}"));
    {
      std::lock_guard lock(shared.mutex);
      shared.frames.push_back(std::move(frame));
    }
    shared.published.notify_all();
  }

  {
    std::lock_guard lock(shared.mutex);
    shared.stopping = true;
  }
  shared.published.notify_all();
  for (auto& sender : senders) sender.join();
  ::shutdown(acceptor.native_handle(), SHUT_RDWR);  // wakes the blocked accept()
  accepting.join();
  std::lock_guard lock(shared.mutex);
  for (const int fd : shared.sockets) ::close(fd);
  return 0;
}
