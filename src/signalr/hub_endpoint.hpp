#pragma once
// One mapped hub: its negotiated and live connections, its groups, and the HubContext that
// the rest of the program uses to send to its clients. Internal to src/signalr; the HTTP layer
// reaches it through HubHost and HubRoute.
//
// Source: TransportProtocols.md ("POST [endpoint-base]/negotiate", WebSockets 404/409, HTTP Post,
// Server-Sent Events, Long Polling) and HubProtocol.md. Threading: every public member is
// callable from any thread; one mutex guards the maps, and no hub code or I/O runs under it.
// Sends serialize the message once per hub protocol among the recipients, outside the lock,
// append the shared record to each recipient's inbox in call order, and run the recipients'
// drains in chunks of 128 per io_context task (push::fan_out, push/fan_out.hpp).

#include "signalr/hub.hpp"
#include "signalr/hub_counters.hpp"
#include "signalr/hub_host.hpp"
#include "signalr/hub_options.hpp"
#include "signalr/pending_negotiations.hpp"
#include "signalr/transport.hpp"

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace scanhub::signalr {

class HubConnection;
class HttpTransport;

class HubEndpoint final : public HubContext {
 public:
  HubEndpoint(std::string path, std::shared_ptr<Hub> hub, HubOptions options,
              HubCounters& counters);
  ~HubEndpoint() override;

  const std::string& path() const noexcept { return path_; }
  Hub& hub() noexcept { return *hub_; }
  const HubOptions& options() const noexcept { return options_; }
  HubCounters& counters() noexcept { return counters_; }

  /// POST {path}/negotiate. `negotiate_version`: the query value, nullopt when absent (= 0).
  /// `use_stateful_reconnect`: the client asked for it (`useStatefulReconnect=true`); the
  /// reply then says `"useStatefulReconnect": true` when options().allow_stateful_reconnect.
  /// `client`: the TCP peer's address, for the per-client limits (pending_negotiations.hpp):
  /// past them 429 with Retry-After; past the hub's max_pending_negotiations 503.
  HttpReply negotiate(const boost::asio::ip::address& client,
                      std::optional<std::string_view> negotiate_version,
                      bool use_stateful_reconnect = false);

  enum class ClaimError { kNotFound, kConflict, kStopping };
  struct Claim {
    std::string connection_id;
    std::string token;
    /// Negotiated with useStatefulReconnect and claimed by a WebSocket: a version 2 handshake
    /// makes the connection stateful.
    bool stateful = false;
    /// A stateful connection waiting in its grace period that this WebSocket resumes
    /// (HubConnection::resume); null for a new connection.
    std::shared_ptr<HubConnection> resume;
  };
  /// A transport asks for connection `token` (the `id` query value); nullopt (skipNegotiation)
  /// creates a connection on the spot. The token stays claimed until release_claim/detach. A
  /// WebSocket presenting the token of a suspended stateful connection gets it back (`resume`).
  std::expected<Claim, ClaimError> claim(std::optional<std::string_view> token,
                                         TransportKind kind = TransportKind::kWebSockets);
  void release_claim(const std::string& token);

  /// A stateful connection lost its WebSocket: it may be resumed by claim() until expire().
  void suspend(std::shared_ptr<HubConnection> connection);
  /// The grace period of a suspended connection ended. Returns false when a WebSocket claimed
  /// it meanwhile (its resume is on the way); true when it is no longer resumable.
  bool expire(const HubConnection& connection);

  /// Server-Sent Events and Long Polling: makes the transport that claimed `token` reachable
  /// by the connection's later HTTP requests (POST, polls, DELETE) until detach.
  void register_http_transport(const std::string& token, std::shared_ptr<HttpTransport> transport);
  enum class FindError {
    kNotFound,   ///< never negotiated, expired, or closed long ago: 404
    kClosed,     ///< closed recently (within options().closed_token_memory)
    kWebSocket,  ///< the connection uses WebSockets: no HTTP requests besides the upgrade
    kNotReady,   ///< negotiated, but no transport has started yet
  };
  /// The HTTP transport of connection `token`, for its POST, poll and DELETE requests.
  std::expected<std::shared_ptr<HttpTransport>, FindError> find_http_transport(
      std::string_view token);

  /// The transport connected: the connection is live (closed by stop()), not yet open.
  /// Returns false when the endpoint is stopping: the caller closes the connection.
  bool attach(std::shared_ptr<HubConnection> connection);
  /// The handshake succeeded: the connection receives sends and may join groups.
  void mark_open(const HubConnection& connection);
  /// The transport closed: leaves all groups, frees its id and token.
  void detach(const HubConnection& connection);

  /// Refuses new connections and closes the live ones with an allowReconnect Close message.
  void stop();
  /// Drops every live socket now (after the shutdown grace period).
  void abort_all();
  std::size_t live_connections() const;

  // HubContext
  void send_all(std::string_view target, boost::json::array arguments,
                const SendOptions& options = {}) override;
  void send_group(std::string_view group, std::string_view target, boost::json::array arguments,
                  const SendOptions& options = {}) override;
  void send_connection(std::string_view connection_id, std::string_view target,
                       boost::json::array arguments, const SendOptions& options = {}) override;
  void add_to_group(std::string_view connection_id, std::string_view group) override;
  void remove_from_group(std::string_view connection_id, std::string_view group) override;

 private:
  using Clock = std::chrono::steady_clock;
  using ConnectionPtr = std::shared_ptr<HubConnection>;

  struct Live {
    ConnectionPtr connection;
    bool open = false;
    std::unordered_set<std::string> groups;
  };

  using Recipients = std::shared_ptr<const std::vector<ConnectionPtr>>;
  void deliver(Recipients recipients, std::string_view target,
               const boost::json::array& arguments, const SendOptions& options);
  void remember_closed_locked(std::string token, Clock::time_point now);

  const std::string path_;
  const std::shared_ptr<Hub> hub_;
  const HubOptions options_;
  HubCounters& counters_;

  mutable std::mutex mutex_;
  bool stopping_ = false;
  PendingNegotiations pending_;  // tokens negotiated, not yet claimed
  std::unordered_map<std::string, TransportKind> claimed_tokens_;  // tokens held by a transport
  std::unordered_map<std::string, std::shared_ptr<HttpTransport>> http_transports_;  // by token
  // Tokens of connections that ended, oldest first, for late polls (bounded: see .cpp).
  std::deque<std::string> closed_order_;
  std::unordered_map<std::string, Clock::time_point> closed_tokens_;  // token -> when closed
  std::unordered_map<std::string, Live> live_;         // connection id -> connection
  std::unordered_map<std::string, ConnectionPtr> suspended_;  // token -> resumable connection
  struct Group {
    std::unordered_map<std::string, ConnectionPtr> members;  // by connection id
    // The members as send_group hands them to deliver: rebuilt by the first send after a
    // change, shared by every send until the next one (no copy of thousands of pointers per
    // message).
    Recipients snapshot;
  };
  std::unordered_map<std::string, Group> groups_;
};

}  // namespace scanhub::signalr
