#pragma once
// Where hubs are mapped, and the SignalR server's entry points for the HTTP layer.
//
// Source: TransportProtocols.md (negotiate, WebSockets) and HubProtocol.md in dotnet/aspnetcore.
// Usage (src/app): map every hub before the HTTP server starts; keep the returned HubContext
// for sending from anywhere; Server::stop() calls stop(). The HTTP layer (src/http) calls
// match(), negotiate(), accept_websocket() (websocket_transport.hpp) and the Server-Sent
// Events, Long Polling and HTTP POST entry points (http_transports.hpp).
//
// Threading: map_hub() before serving (not concurrently with requests); everything else from
// any thread. Throws std::invalid_argument from map_hub for a bad or duplicate path.

#include "signalr/hub.hpp"
#include "signalr/hub_counters.hpp"
#include "signalr/hub_options.hpp"

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scanhub::signalr {

class HubEndpoint;

/// A complete HTTP answer computed by the SignalR layer: status code, body and its type.
struct HttpReply {
  unsigned status = 200;
  std::string body;
  /// Empty: `application/json; charset=utf-8` (errors and negotiate). Ignored for 202 and 204
  /// without a body.
  std::string content_type;
  /// Nonzero: a `Retry-After` header with these seconds (a negotiate refused by a limit).
  std::chrono::seconds retry_after{0};
  /// More response headers (a WebSocket upgrade refused for its version: Sec-WebSocket-Version).
  std::vector<std::pair<std::string, std::string>> headers{};
};

/// A request path that belongs to a mapped hub.
struct HubRoute {
  enum class Kind {
    kNegotiate,  ///< {path}/negotiate
    kConnect,    ///< {path}: transports (WebSocket upgrade, SSE, long polls, POST, DELETE)
  };
  HubEndpoint* endpoint = nullptr;
  Kind kind = Kind::kConnect;
};

class HubHost {
 public:
  HubHost();
  ~HubHost();
  HubHost(const HubHost&) = delete;
  HubHost& operator=(const HubHost&) = delete;

  /// Maps `hub` at `path` (e.g. "/hubs/progress": starts with '/', no trailing '/').
  /// The returned context lives as long as the host.
  HubContext& map_hub(std::string path, std::shared_ptr<Hub> hub, HubOptions options = {});

  /// The context of the hub mapped at `path`, or nullptr.
  HubContext* context(std::string_view path) const;

  /// Whether `path` (no query string) is a hub's negotiate or connect path.
  std::optional<HubRoute> match(std::string_view path) const;

  /// Answers POST {path}/negotiate; `client` is the TCP peer's address (limits per client:
  /// 429 with retry_after past them), `negotiate_version` the query value if present,
  /// `use_stateful_reconnect` whether the query says `useStatefulReconnect=true`.
  /// Errors come back as {"error": ...} with a 4xx/5xx status.
  HttpReply negotiate(const HubRoute& route, const boost::asio::ip::address& client,
                      std::optional<std::string_view> negotiate_version,
                      bool use_stateful_reconnect = false);

  /// Graceful stop: refuse new connections, send every client a Close message with
  /// allowReconnect and close its transport. Idempotent.
  void stop();
  /// Drops every remaining connection's socket (after the grace period).
  void abort_all();
  /// Transports attached now, all hubs.
  std::size_t live_connections() const;

  /// Counters of all hubs together.
  HubCountersSnapshot counters() const { return counters_.snapshot(); }

 private:
  HubCounters counters_;
  std::map<std::string, std::unique_ptr<HubEndpoint>, std::less<>> endpoints_;
};

}  // namespace scanhub::signalr
