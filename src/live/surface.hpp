#pragma once
// What the /ws sockets and /api/events streams of one process share (internal to src/live):
// their settings, counters, the registry of open connections (for a graceful stop) and the
// close reasons they send. EventService (event_service.hpp) owns one per surface.
//
// Threading: options are immutable; counters are relaxed atomics; the registry has a mutex.

#include "push/send_counters.hpp"
#include "push/send_pipeline.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace scanhub::live {

struct EventSurfaceOptions {
  /// welcome's serverId; empty: a random one per process.
  std::string server_id;
  /// welcome's serverVersion; empty: scanhub's version.
  std::string server_version;
  /// /ws: a WebSocket Ping goes to each client this often (Metarr's server: 30 s).
  std::chrono::milliseconds ping_interval{std::chrono::seconds(30)};
  /// /ws: a client from which nothing arrived (no message, no Pong) for ping_interval plus
  /// this is closed (1008, kSilentReason).
  std::chrono::milliseconds client_timeout_grace{std::chrono::seconds(5)};
  /// /api/events: a comment line (": keep-alive") goes out this often, so proxies and the
  /// client see the stream alive.
  std::chrono::milliseconds keep_alive_interval{std::chrono::seconds(15)};
  /// A write to a client that has not completed after this long closes it as a slow client
  /// (SignalR's TransportSendTimeout).
  std::chrono::milliseconds send_timeout{std::chrono::seconds(10)};
  /// A connection whose close has begun is dropped when it has not ended after this long (a
  /// client that reads nothing never completes the closing handshake).
  std::chrono::milliseconds close_timeout{std::chrono::seconds(5)};
  /// Each connection's outbox: past either bound after conflation, the client is closed as
  /// slow (push::kSlowClientReason) and counted.
  push::SendPipeline::Limits limits{1024, 4 * 1024 * 1024, 64 * 1024};
  /// Threads that run the clients' commands (resync, startLibraryScan, cancelLibraryScan),
  /// which read or write the database: never on a network thread.
  unsigned command_threads = 2;
};

/// Close reasons (static storage). The codes: RFC 6455 section 7.4.1.
inline constexpr std::string_view kShutdownReason = "the server is shutting down";  // 1001
inline constexpr std::string_view kSilentReason =
    "nothing arrived from the client (no message, no Pong) within the ping interval";  // 1008
inline constexpr std::string_view kTokenExpiredReason =
    "the access token expired; connect again with a new token";  // 1008
/// push::kSlowClientReason: 1008.
inline constexpr std::uint16_t kGoingAway = 1001;
inline constexpr std::uint16_t kPolicyViolation = 1008;

struct SurfaceCounters {
  push::SendCounters send;                        ///< records sent, conflated, slow clients
  std::atomic<std::uint64_t> accepted{0};         ///< connections taken over
  std::atomic<std::uint64_t> clients_timed_out{0};  ///< /ws clients closed for their silence
  std::atomic<std::uint64_t> commands{0};         ///< /ws client messages answered
};

/// An open /ws socket or /api/events stream, as the registry knows it. Any thread.
class LiveConnection {
 public:
  virtual ~LiveConnection() = default;
  /// Closes with kShutdownReason after what is queued (posts to the connection's strand).
  virtual void shutdown() = 0;
  /// Drops the socket now (posts to the connection's strand).
  virtual void abort_now() = 0;
};

/// The open connections of one surface, for stop() and abort_all(). Any thread.
class ConnectionRegistry {
 public:
  void add(const std::shared_ptr<LiveConnection>& connection) {
    std::lock_guard lock(mutex_);
    connections_.emplace(connection.get(), connection);
  }
  void remove(const LiveConnection* connection) {
    std::lock_guard lock(mutex_);
    connections_.erase(connection);
  }
  std::vector<std::shared_ptr<LiveConnection>> snapshot() const {
    std::vector<std::shared_ptr<LiveConnection>> out;
    std::lock_guard lock(mutex_);
    out.reserve(connections_.size());
    for (const auto& [raw, weak] : connections_) {
      if (auto connection = weak.lock()) out.push_back(std::move(connection));
    }
    return out;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return connections_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<const LiveConnection*, std::weak_ptr<LiveConnection>> connections_;
};

}  // namespace scanhub::live
