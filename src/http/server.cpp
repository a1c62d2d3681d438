#include "http/server.hpp"

#include "http/http_session.hpp"
#include "signalr/hub_host.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <vector>

namespace scanhub::http {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kStopPoll = std::chrono::milliseconds(20);
constexpr auto kForceWait = std::chrono::seconds(1);
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::io_context& io_context, std::shared_ptr<ServerState> server_state)
      : io(io_context),
        strand(asio::make_strand(io_context)),
        acceptor(strand),
        stop_timer(strand),
        accept_retry_timer(strand),
        state(std::move(server_state)) {}

  void do_accept() {
    // Each connection gets its own strand (Beast advanced_server).
    acceptor.async_accept(asio::make_strand(io), [self = shared_from_this()](
                                                      boost::system::error_code ec,
                                                      tcp::socket socket) {
      self->on_accept(ec, std::move(socket));
    });
  }

  void on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors and the like: keep serving the connections we have and retry a
      // little later instead of spinning on an accept that fails at once.
      spdlog::warn("http: accept failed: {}", ec.message());
      accept_retry_timer.expires_after(kAcceptRetry);
      accept_retry_timer.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
        if (!wait_ec && self->acceptor.is_open()) self->do_accept();
      });
      return;
    }
    // Nagle off, as Kestrel (NoDelay) and Node's ws do: a progress message written while the
    // client's delayed ACK of the previous one is still due would otherwise wait for that ACK
    // (40 ms on Linux, 200 ms on Windows). Best effort: a socket that refuses still serves.
    boost::system::error_code nodelay_ec;
    socket.set_option(tcp::no_delay(true), nodelay_ec);
    std::make_shared<HttpSession>(std::move(socket), state)->run();
    do_accept();
  }

  void begin_stop(std::function<void()> on_stopped) {
    if (on_stopped) callbacks.push_back(std::move(on_stopped));
    if (stopped) {
      stopped = false;  // already stopped: run the late callback now
      finish();
      return;
    }
    if (stopping) return;
    stopping = true;
    state->stopping.store(true);  // responses from now on close their HTTP connection
    state->context.hubs.stop();   // a Close to every hub connection; negotiate answers 503
    deadline = std::chrono::steady_clock::now() + state->options.shutdown_grace;
    poll();
  }

  // Accepting stops, and idle keep-alive sessions close, only once the hub connections are
  // gone (or the grace is over): a Long Polling client that was between two polls when the
  // stop began must still be able to come back for its Close message.
  void stop_listening() {
    listening_stopped = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    accept_retry_timer.cancel();
    for (auto& session : state->snapshot()) session->shutdown();
  }

  void poll() {
    const auto now = std::chrono::steady_clock::now();
    const std::size_t connections = state->context.hubs.live_connections();
    if (!listening_stopped && (connections == 0 || now >= deadline)) stop_listening();
    const std::size_t sessions = state->session_count();
    if (sessions == 0 && connections == 0) {
      finish();
      return;
    }
    if (!forced && now >= deadline) {
      spdlog::warn("http: shutdown grace elapsed; dropping {} sessions and {} hub connections",
                   sessions, connections);
      forced = true;
      deadline = now + kForceWait;
      for (auto& session : state->snapshot()) session->abort();
      state->context.hubs.abort_all();
    } else if (forced && now >= deadline) {
      spdlog::error("http: {} sessions and {} hub connections did not close", sessions,
                    connections);
      finish();
      return;
    }
    stop_timer.expires_after(kStopPoll);
    stop_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->poll();
    });
  }

  void finish() {
    if (stopped) return;
    stopped = true;
    auto pending = std::move(callbacks);
    for (auto& callback : pending) {
      try {
        callback();
      } catch (const std::exception& e) {
        spdlog::error("http: stop callback threw: {}", e.what());
      }
    }
  }

  asio::io_context& io;
  asio::strand<asio::io_context::executor_type> strand;  // acceptor and stop sequence
  tcp::acceptor acceptor;
  asio::steady_timer stop_timer;
  asio::steady_timer accept_retry_timer;
  std::shared_ptr<ServerState> state;
  std::uint16_t port = 0;
  bool stopping = false;
  bool listening_stopped = false;  // acceptor closed, idle sessions told to close
  bool forced = false;
  bool stopped = false;
  std::chrono::steady_clock::time_point deadline{};
  std::vector<std::function<void()>> callbacks;
};

Server::Server(asio::io_context& io, ServerOptions options, const Router& router,
               signalr::HubHost& hubs, const StaticFiles& files)
    : impl_(std::make_shared<Impl>(
          io, std::make_shared<ServerState>(std::move(options), router, hubs, files,
                                            io.get_executor()))) {}

Server::~Server() = default;

void Server::start() {
  const auto& options = impl_->state->options;
  const tcp::endpoint endpoint(asio::ip::make_address(options.address), options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  impl_->port = acceptor.local_endpoint().port();
  spdlog::info("http: listening on {}:{}", options.address, impl_->port);
  asio::post(impl_->strand, [impl = impl_] { impl->do_accept(); });
}

std::uint16_t Server::port() const noexcept { return impl_->port; }

void Server::stop(std::function<void()> on_stopped) {
  asio::post(impl_->strand, [impl = impl_, callback = std::move(on_stopped)]() mutable {
    impl->begin_stop(std::move(callback));
  });
}

}  // namespace scanhub::http
