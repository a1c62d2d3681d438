#pragma once
// The HTTP/1.1 server: REST routes, static files, and the SignalR endpoints of a HubHost.
// Modelled on Boost.Beast's advanced_server: an acceptor, one strand per session, keep-alive,
// header and body limits, a read deadline; WebSocket upgrades on a hub path are handed to
// src/signalr, requests to a stream path (stream_route.hpp, Router::add_stream) to their
// StreamEndpoint. Every request passes request_policy.hpp first. Connections beyond
// options.max_connections are answered with a fixed 503 (Retry-After, Connection: close)
// without their request being read, and counted.
//
// Usage (src/app):
//   asio::io_context ioc;  Router router;  signalr::HubHost hubs;  ... map hubs, add routes
//   StaticFiles files = embedded_static_files();
//   Server server(ioc, {.address = "0.0.0.0", .port = 5031}, router, hubs, files);
//   server.start();                      // throws std::system_error (e.g. port in use)
//   signals.async_wait([&](auto, int) { server.stop(); });
//   run ioc on N threads; run() returns once the server has stopped and nothing else is queued.
//
// Threading: start() once, before or while the io_context runs; port() after start(); stop()
// from any thread, any number of times. Router, HubHost and StaticFiles must outlive the
// server and the io_context's handlers.

#include "http/listen_address.hpp"
#include "http/router.hpp"
#include "http/server_options.hpp"
#include "http/static_files.hpp"

#include <cstdint>
#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}
namespace scanhub::signalr {
class HubHost;
}

namespace scanhub::http {

/// Connection statistics (for tests and /metrics). Plain copies of atomics.
struct ServerCounters {
  std::size_t connections_open = 0;       ///< HTTP sessions plus hub connections now
  std::uint64_t connections_refused = 0;  ///< answered 503 because the cap was reached
  std::size_t max_connections = 0;        ///< the cap in force (after start())
};

class Server {
 public:
  /// Throws std::invalid_argument for a malformed options.cors_origins or allowed_hosts entry
  /// (cors.hpp, request_policy.hpp).
  Server(boost::asio::io_context& io, ServerOptions options, const Router& router,
         signalr::HubHost& hubs, const StaticFiles& files);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Resolves options.address (a host name: blocking DNS, the first IPv4 result, else the
  /// first), binds, listens and starts accepting; logs the connection cap at info. Throws
  /// boost::system::system_error when the name does not resolve or the address cannot be
  /// bound.
  void start();
  /// The bound port (the ephemeral one when options.port was 0). 0 before start().
  std::uint16_t port() const noexcept;
  /// The bound address and port; empty before start().
  const ListenEndpoint& endpoint() const noexcept;
  /// Any thread, after start().
  ServerCounters counters() const;

  /// Graceful stop, asynchronous: SignalR clients get a Close message (allowReconnect) and a
  /// close frame, stream endpoints close their connections (StreamEndpoint::stop), negotiate
  /// answers 503, and every response closes its HTTP connection; once no hub or stream
  /// connection is left (so a Long Polling client between two polls can still collect
  /// its Close), accepting stops and idle keep-alive sessions close, busy ones after their
  /// response. After options.shutdown_grace whatever remains is dropped. `on_stopped` runs (on
  /// a network thread) once everything is closed. Idempotent.
  void stop(std::function<void()> on_stopped = {});

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace scanhub::http
