#include "http/server.hpp"

#include "http/http_session.hpp"
#include "http/open_files.hpp"
#include "signalr/hub_host.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/system_error.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace scanhub::http {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kStopPoll = std::chrono::milliseconds(20);
constexpr auto kForceWait = std::chrono::seconds(1);
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
// A repeated warning (accept failing for want of descriptors, connections refused at the
// cap) is logged at most this often, with the number left out in between.
constexpr auto kWarningInterval = std::chrono::seconds(10);
// A refused connection is drained this long before it is closed (see Lingering), and at most
// this many at once; beyond that they are closed at once.
constexpr auto kLinger = std::chrono::seconds(1);
constexpr std::size_t kMaxLingering = 64;

constexpr std::string_view kBusyBody = R"({"error":"Too many connections; try again shortly."})";

// The whole answer to a connection past the cap, written without reading its request.
const std::string& busy_response() {
  static const std::string response =
      "HTTP/1.1 503 Service Unavailable\r\n"
      "Server: scanhub\r\n"
      "Content-Type: application/json; charset=utf-8\r\n"
      "Retry-After: 1\r\n"
      "Connection: close\r\n"
      "Content-Length: " +
      std::to_string(kBusyBody.size()) + "\r\n\r\n" + std::string(kBusyBody);
  return response;
}

// "Log it, then at most once per interval": the count of occurrences not logged is returned
// with the next one that is. Used on the acceptor's strand only.
class RateLimitedWarning {
 public:
  /// nullopt: do not log now; else how many occurrences were left out since the last log.
  std::optional<std::uint64_t> occur(std::chrono::steady_clock::time_point now) {
    if (logged_ && now - last_ < kWarningInterval) {
      ++suppressed_;
      return std::nullopt;
    }
    logged_ = true;
    last_ = now;
    return std::exchange(suppressed_, 0);
  }

 private:
  bool logged_ = false;
  std::chrono::steady_clock::time_point last_{};
  std::uint64_t suppressed_ = 0;
};

// A refused connection after its 503: the client may have sent its request already, and
// closing a socket with unread bytes makes the kernel send a reset that can destroy the 503
// before the client reads it. So it half-closes, reads and discards until the client closes
// or kLinger passes, then closes (nginx's lingering close, shortened).
class Lingering : public std::enable_shared_from_this<Lingering> {
 public:
  Lingering(tcp::socket socket, std::atomic<std::size_t>& count)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), count_(count) {
    count_.fetch_add(1, std::memory_order_relaxed);
  }
  ~Lingering() { count_.fetch_sub(1, std::memory_order_relaxed); }

  void run() {
    timer_.expires_after(kLinger);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->close();
    });
    do_read();
  }

 private:
  void do_read() {
    socket_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                              if (ec) {
                                self->timer_.cancel();
                                self->close();
                                return;
                              }
                              self->do_read();
                            });
  }
  void close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  std::array<char, 1024> scratch_{};
  std::atomic<std::size_t>& count_;
};

// options.address as an endpoint: an IP literal ("[::1]" brackets allowed) as is, a host name
// through the resolver (blocking; start-up only), preferring IPv4 as most clients try it first.
tcp::endpoint resolve_listen_endpoint(asio::io_context& io, const std::string& address,
                                      std::uint16_t port) {
  std::string literal = address;
  if (literal.size() >= 2 && literal.front() == '[' && literal.back() == ']') {
    literal = literal.substr(1, literal.size() - 2);
  }
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(literal, ec);
  if (!ec) return {ip, port};
  tcp::resolver resolver(io);
  const auto results =
      resolver.resolve(literal, std::to_string(port), tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    throw boost::system::system_error(ec ? ec : asio::error::host_not_found,
                                      "cannot resolve '" + address + "'");
  }
  for (const auto& entry : results) {
    if (entry.endpoint().address().is_v4()) return entry.endpoint();
  }
  return results.begin()->endpoint();
}

bool is_loopback(const asio::ip::address& address) {
  if (address.is_loopback()) return true;
  if (address.is_v6()) {
    const auto v6 = address.to_v6();
    return v6.is_v4_mapped() && asio::ip::make_address_v4(asio::ip::v4_mapped, v6).is_loopback();
  }
  return false;
}

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
      if (auto left_out = accept_warning.occur(std::chrono::steady_clock::now())) {
        spdlog::warn("http: accept failed: {}{}", ec.message(),
                     *left_out ? fmt::format(" ({} more since the last warning)", *left_out)
                               : std::string());
      }
      accept_retry_timer.expires_after(kAcceptRetry);
      accept_retry_timer.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
        if (!wait_ec && self->acceptor.is_open()) self->do_accept();
      });
      return;
    }
    // Nagle off, as Kestrel (NoDelay) and Node's ws do: a progress message written while the
    // client's delayed ACK of the previous one is still due would otherwise wait for that ACK
    // (40 ms on Linux, 200 ms on Windows). Best effort: a socket that refuses still serves.
    if (state->open_connections() >= max_connections) {
      refuse(std::move(socket));
      do_accept();
      return;
    }
    boost::system::error_code nodelay_ec;
    socket.set_option(tcp::no_delay(true), nodelay_ec);
    std::make_shared<HttpSession>(std::move(socket), state)->run();
    do_accept();
  }

  // The cap is reached: a fixed 503 goes out in one non-blocking write (a new socket's send
  // buffer holds it whole) and the request is never read, so a flood costs no parsing.
  void refuse(tcp::socket socket) {
    const auto refused = state->connections_refused.fetch_add(1, std::memory_order_relaxed) + 1;
    if (auto left_out = cap_warning.occur(std::chrono::steady_clock::now())) {
      spdlog::warn(
          "http: {} connections open, the cap (--max-connections); refusing new ones "
          "with 503 ({} refused so far, {} since the last warning)",
          max_connections, refused, *left_out);
    }
    boost::system::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(busy_response()), ignored);
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    if (lingering.load(std::memory_order_relaxed) >= kMaxLingering) {
      socket.close(ignored);
      return;
    }
    std::make_shared<Lingering>(std::move(socket), lingering)->run();
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
    for (StreamEndpoint* stream : state->context.router.streams()) stream->stop();
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
    const std::size_t connections =
        state->context.hubs.live_connections() + state->streams_open();
    if (!listening_stopped && (connections == 0 || now >= deadline)) stop_listening();
    const std::size_t sessions = state->session_count();
    if (sessions == 0 && connections == 0) {
      finish();
      return;
    }
    if (!forced && now >= deadline) {
      spdlog::warn("http: shutdown grace elapsed; dropping {} sessions and {} hub and stream "
                   "connections",
                   sessions, connections);
      forced = true;
      deadline = now + kForceWait;
      for (auto& session : state->snapshot()) session->abort();
      state->context.hubs.abort_all();
      for (StreamEndpoint* stream : state->context.router.streams()) stream->abort_all();
    } else if (forced && now >= deadline) {
      spdlog::error("http: {} sessions and {} hub and stream connections did not close", sessions,
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
  ListenEndpoint endpoint;
  std::size_t max_connections = 0;  // set by start(), before the first accept
  std::atomic<std::size_t> lingering{0};
  RateLimitedWarning accept_warning;
  RateLimitedWarning cap_warning;
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
  const tcp::endpoint endpoint = resolve_listen_endpoint(impl_->io, options.address, options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  if (endpoint.address().is_v6() && endpoint.address().is_unspecified()) {
    // "::" means every interface, IPv4 too, whatever the system's bindv6only default.
    boost::system::error_code ignored;
    acceptor.set_option(asio::ip::v6_only(false), ignored);
  }
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  const auto bound = acceptor.local_endpoint();
  impl_->endpoint = {bound.address().to_string(), bound.port(), bound.address().is_v6(),
                     is_loopback(bound.address()), bound.address().is_unspecified()};

  const auto limit = open_file_limit();
  impl_->max_connections = effective_max_connections(options.max_connections, limit.soft);
  if (options.max_connections > impl_->max_connections) {
    spdlog::warn(
        "http: --max-connections {} lowered to {}: the descriptor limit is {} and {} "
        "are kept for files and the database",
        options.max_connections, impl_->max_connections, limit.soft, kDescriptorReserve);
  }
  spdlog::info("http: listening on {} port {}, at most {} connections (descriptor limit {})",
               impl_->endpoint.address, impl_->endpoint.port, impl_->max_connections, limit.soft);
  asio::post(impl_->strand, [impl = impl_] { impl->do_accept(); });
}

std::uint16_t Server::port() const noexcept {
  return impl_->endpoint.port;
}

const ListenEndpoint& Server::endpoint() const noexcept {
  return impl_->endpoint;
}

ServerCounters Server::counters() const {
  return {impl_->state->open_connections(),
          impl_->state->connections_refused.load(std::memory_order_relaxed),
          impl_->max_connections};
}

void Server::stop(std::function<void()> on_stopped) {
  asio::post(impl_->strand, [impl = impl_, callback = std::move(on_stopped)]() mutable {
    impl->begin_stop(std::move(callback));
  });
}

}  // namespace scanhub::http
