#pragma once
// The load client of bench/fanout: thousands of WebSocket subscribers on one epoll loop, speaking
// whichever protocol the server under test speaks. One client for the three systems, so none is
// favoured by its client; it does little per message (find "seq" and "sentAt", count), so the
// server stays the bottleneck.
//
// Protocols (client side, RFC 6455 frames, masked as clients must):
//   SignalR   GET /hubs/bench (skipNegotiation), handshake {"protocol":"json","version":1},
//             invocation Subscribe("bench") awaited by its completion; a Ping every 15 s, as
//             the official client's keep-alive (HubProtocol.md; TransportProtocols.md).
//   Socket.IO GET /socket.io/?EIO=4&transport=websocket, Engine.IO open "0{...}", "40" to join the
//             main namespace, `421["subscribe","bench"]` awaited by its ack "431[...]"; pings "2"
//             answered with "3" (Engine.IO protocol v4, Socket.IO protocol v5).
//   ws        GET /; every connection is a subscriber once upgraded.
//   scanhub /ws  GET /ws (Metarr's event socket); a subscriber once its welcome arrived; the
//             server's WebSocket Pings answered (its keep-alive), no JSON pings sent.
// Every data message carries "seq":N and "sentAt":T (steady-clock ns of this process).
//
// Threading: one thread (the caller's); not thread-safe. Sockets close with SO_LINGER 0 (no
// TIME_WAIT), and connections rotate over source addresses 127.0.0.1-127.0.0.8, so repeated runs
// of 20,000 connections do not run out of ephemeral ports. Throws ClientError on a failure.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace scanhub::bench {

enum class System { kScanhub, kScanhubWs, kSocketIo, kWs };

std::string_view system_name(System system) noexcept;

/// A connection failed or a wait timed out; what() says which and why.
class ClientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Connection;

/// Latency of each data message (ns from its sentAt), in receive order.
struct Latencies {
  /// When the message reached the client's socket: the kernel's receive timestamp
  /// (SO_TIMESTAMPNS) of the segment that completed it. What the server's delivery took,
  /// whatever the load client's own loop was doing meanwhile.
  std::vector<std::int64_t> arrived;
  /// When the client's loop read and parsed it (arrival plus the client's own delay).
  std::vector<std::int64_t> read;
  /// The message (its seq) of each sample, in the same order.
  std::vector<std::uint64_t> seq;
};

class LoadClient {
 public:
  LoadClient(System system, std::uint16_t port);
  ~LoadClient();
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  /// Opens connections (at most `parallel` in their handshakes at once) until `total` are
  /// subscribed. Throws ClientError when one fails or `timeout` passes.
  void connect_to(std::size_t total, std::chrono::milliseconds timeout, std::size_t parallel = 256);

  /// Runs the loop until every subscribed connection has received data messages up to and
  /// including `last_seq`. Returns false at `timeout`. Throws ClientError when a connection
  /// ends or receives messages out of order.
  bool wait_delivered(std::uint64_t last_seq, std::chrono::milliseconds timeout);

  /// Runs the loop for `duration` (answering pings, recording latencies).
  void run_for(std::chrono::nanoseconds duration);

  /// Latencies of each data message received since the last call (both measures; ns).
  /// Recording is off until the first call to record_latencies(true).
  void record_latencies(bool on) noexcept { record_latencies_ = on; }
  Latencies take_latencies();

  /// Steady-clock time of the last data message received, ns.
  std::int64_t last_receive_ns() const noexcept { return last_receive_ns_; }
  std::size_t subscribed() const noexcept { return subscribed_; }
  std::uint64_t messages_received() const noexcept { return messages_received_; }

  /// Closes every connection (RST).
  void close_all() noexcept;

 private:
  void open_one();
  bool poll_once(int timeout_ms);
  void on_event(Connection& c, std::uint32_t events);
  void on_readable(Connection& c);
  void on_upgrade_response(Connection& c);
  void on_frames(Connection& c);
  void on_message(Connection& c, std::string_view payload);
  void on_signalr_record(Connection& c, std::string_view record);
  void on_data(Connection& c, std::string_view message);
  void send_text(Connection& c, std::string_view text, std::uint8_t opcode = 0x1);
  void flush(Connection& c);
  void fail(Connection& c, std::string_view why);
  void become_subscribed(Connection& c);
  void send_pings();

  System system_;
  std::uint16_t port_;
  int epoll_ = -1;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::size_t in_handshake_ = 0;
  std::size_t subscribed_ = 0;
  std::size_t opened_ = 0;
  std::uint64_t messages_received_ = 0;
  std::int64_t last_receive_ns_ = 0;
  std::int64_t next_ping_check_ns_ = 0;
  bool record_latencies_ = false;
  Latencies latencies_;
  std::string error_;  // the first failure, thrown by the next loop call
};

/// Steady-clock now in ns (the clock of sentAt and of every receive time).
std::int64_t now_ns() noexcept;

}  // namespace scanhub::bench
