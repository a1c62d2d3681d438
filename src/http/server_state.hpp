#pragma once
// State shared by the server and its sessions (internal to src/http). Sessions hold it by
// shared_ptr, so it outlives the last of them. The session registry is guarded by `mutex`.

#include "http/cors.hpp"
#include "http/request_handler.hpp"
#include "http/request_policy.hpp"
#include "http/server_options.hpp"
#include "signalr/hub_host.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace scanhub::http {

class HttpSession;

struct ServerState {
  ServerState(ServerOptions server_options, const Router& router, signalr::HubHost& hubs,
              const StaticFiles& files, boost::asio::any_io_executor io_executor)
      : options(std::move(server_options)),
        context{router, hubs, files, options.web_root},
        cors(options.cors_origins),
        policy({options.allowed_hosts, options.address}, cors),
        io(std::move(io_executor)) {}

  const ServerOptions options;
  const RequestContext context;
  const CorsPolicy cors;
  const RequestPolicy policy;  // refers to `cors`
  /// The io_context's executor: Long Polling connections get their strands here.
  const boost::asio::any_io_executor io;
  std::atomic<bool> stopping{false};
  /// Connections answered 503 because the cap was reached (Server::counters()).
  std::atomic<std::uint64_t> connections_refused{0};
  /// Connections a stream endpoint holds (their ConnectionLeases; stream_route.hpp).
  const std::shared_ptr<std::atomic<std::size_t>> stream_connections =
      std::make_shared<std::atomic<std::size_t>>(0);

  void track(const std::shared_ptr<HttpSession>& session) {
    std::lock_guard lock(mutex);
    sessions.emplace(session.get(), session);
  }
  void forget(HttpSession* session) {
    std::lock_guard lock(mutex);
    sessions.erase(session);
  }
  std::vector<std::shared_ptr<HttpSession>> snapshot() {
    std::vector<std::shared_ptr<HttpSession>> out;
    std::lock_guard lock(mutex);
    for (auto& [raw, weak] : sessions) {
      if (auto session = weak.lock()) out.push_back(std::move(session));
    }
    return out;
  }
  std::size_t session_count() {
    std::lock_guard lock(mutex);
    return sessions.size();
  }
  std::size_t streams_open() const {
    return stream_connections->load(std::memory_order_relaxed);
  }
  /// What the connection cap counts: HTTP sessions plus hub connections (a WebSocket or an
  /// event stream owns its socket once its session handed it over; a Long Polling connection
  /// holds no socket between polls but counts too: it holds the server's memory) plus the
  /// connections of stream endpoints (the /ws socket, the /api/events stream).
  std::size_t open_connections() {
    return session_count() + context.hubs.live_connections() + streams_open();
  }

 private:
  std::mutex mutex;
  std::unordered_map<HttpSession*, std::weak_ptr<HttpSession>> sessions;
};

}  // namespace scanhub::http
