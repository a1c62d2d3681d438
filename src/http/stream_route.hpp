#pragma once
// Stream routes: request paths whose connection a handler outside src/http takes over for as
// long as the client stays (the /ws event socket's WebSocket upgrade, the /api/events
// Server-Sent Events stream; src/live). The HTTP layer knows them only through this interface,
// so it depends on none of them: src/app registers them in the Router (router.hpp).
//
// A request to a stream path passes RequestPolicy (request_policy.hpp: framing, Host, and the
// Origin of a WebSocket upgrade) and CORS preflight like any other, then authorization
// (authorize.hpp: 401 without a valid token from the header or `access_token=`), then goes to
// its StreamEndpoint instead of the router. While the endpoint keeps the connection it holds the
// request's ConnectionLease, so the connection counts in the server's cap
// (ServerOptions::max_connections). Server::stop() calls every endpoint's stop(), waits (up to
// the shutdown grace) until every lease is released, then calls abort_all().
//
// Threading: accept() on the HTTP session's strand; stop() and abort_all() from any thread.

#include "auth/principal.hpp"
#include "http/message.hpp"

#include <boost/beast/core/tcp_stream.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace scanhub::http {

/// One connection counted in the server's connection cap while the lease lives. Move-only;
/// release() (or destruction) gives the slot back. Any thread.
class ConnectionLease {
 public:
  ConnectionLease() = default;
  /// Counts one more in `count` until released.
  explicit ConnectionLease(std::shared_ptr<std::atomic<std::size_t>> count) noexcept
      : count_(std::move(count)) {
    if (count_) count_->fetch_add(1, std::memory_order_relaxed);
  }
  ~ConnectionLease() { release(); }
  ConnectionLease(ConnectionLease&& other) noexcept : count_(std::move(other.count_)) {}
  ConnectionLease& operator=(ConnectionLease&& other) noexcept {
    if (this != &other) {
      release();
      count_ = std::move(other.count_);
    }
    return *this;
  }
  ConnectionLease(const ConnectionLease&) = delete;
  ConnectionLease& operator=(const ConnectionLease&) = delete;

  void release() noexcept {
    if (count_) count_->fetch_sub(1, std::memory_order_relaxed);
    count_.reset();
  }

 private:
  std::shared_ptr<std::atomic<std::size_t>> count_;
};

/// What a stream endpoint gets besides the connection.
struct StreamRequest {
  Request request;     ///< the whole request (header; a body is read within the limits as any)
  std::string query;   ///< the target after '?', not decoded; empty when none
  /// The CORS headers for the request's Origin (cors.hpp), for a response the endpoint writes
  /// itself.
  std::vector<std::pair<std::string, std::string>> cors_headers;
  /// Keep it while the connection lives (it counts in the connection cap).
  ConnectionLease lease;
  /// Who the request was authenticated as (Router::add_stream's Access; the session refused
  /// it with 401 otherwise). The endpoint closes the connection when it expires.
  auth::Principal user = auth::anonymous_principal();
};

class StreamEndpoint {
 public:
  virtual ~StreamEndpoint() = default;

  /// Takes the connection over: moves the socket out of `stream` (whose executor, a strand,
  /// becomes the connection's) and returns nullopt; or returns the response to send instead
  /// (a refusal: wrong method, a bad parameter, not an upgrade), leaving `stream` to the
  /// session. On the session's strand; must not block. No exception but std::bad_alloc.
  virtual std::optional<Response> accept(StreamRequest&& request,
                                         boost::beast::tcp_stream& stream) = 0;
  /// Graceful stop: every connection is closed with a reason, new ones are refused. Any
  /// thread; idempotent.
  virtual void stop() = 0;
  /// Drops every connection now (after the shutdown grace). Any thread.
  virtual void abort_all() = 0;
};

}  // namespace scanhub::http
