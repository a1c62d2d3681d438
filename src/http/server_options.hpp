#pragma once
// Settings of the HTTP server (src/http/server.hpp).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace scanhub::http {

struct ServerOptions {
  /// IPv4 or IPv6 literal ("0.0.0.0", "::": all interfaces; "[::1]" brackets allowed) or a host
  /// name, resolved at start() (the first IPv4 address it resolves to, else the first one).
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;             ///< 0: an ephemeral port, read it back with Server::port()
  std::size_t header_limit = 16 * 1024;   ///< request line + headers, bytes (431 beyond)
  std::size_t body_limit = 1024 * 1024;   ///< request body, bytes (413 beyond)
  /// Reading one request, including the idle wait between keep-alive requests.
  std::chrono::milliseconds read_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
  /// Graceful stop: how long sessions and SignalR connections get to close before sockets are
  /// dropped.
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(5)};
  /// Development: serve files from this directory before the embedded ones. Empty: off.
  std::filesystem::path web_root;
  /// Origins allowed to call the API and the hubs from a browser (`scheme://host[:port]`),
  /// with credentials (cors.hpp). Empty: no CORS headers at all.
  std::vector<std::string> cors_origins;
  /// Host names a request's Host header may name besides IP literals, `localhost`,
  /// `*.localhost` and a host name given as `address`; "*" allows any (request_policy.hpp).
  std::vector<std::string> allowed_hosts;
  /// Connections at once, HTTP sessions and hub transports together; one more is answered
  /// 503 and closed without its request being read. 0: derived from the descriptor limit
  /// (open_files.hpp); never above that limit.
  std::size_t max_connections = 0;
};

}  // namespace scanhub::http
