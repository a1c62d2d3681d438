// The Server-Sent Events transport (TransportProtocols.md "Server-Sent Events"): a GET that
// stays open, one event per transport message (sse_framing.hpp); client-to-server traffic
// comes by POST (http_transport.hpp). The stream ends when the connection does.
#include "signalr/http_transports.hpp"
#include "signalr/hub_connection.hpp"
#include "signalr/hub_endpoint.hpp"
#include "signalr/sse_framing.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include <spdlog/spdlog.h>

#include <array>

namespace scanhub::signalr {
namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

// Nothing legitimate arrives on an event stream after its GET; a little is tolerated (a
// pipelined request), a flood ends the connection.
constexpr std::size_t kMaxIgnoredBytes = 64 * 1024;

bool header_value_ok(std::string_view text) {
  return text.find_first_of("\r\n") == std::string_view::npos;
}

class SseTransport final : public HttpTransport {
 public:
  SseTransport(HubEndpoint& endpoint, std::string token, beast::tcp_stream&& stream)
      : HttpTransport(endpoint, TransportKind::kServerSentEvents, std::move(token),
                      stream.get_executor()),
        stream_(std::move(stream)) {}

  void run(CallerContext caller, const HeaderList& headers) {
    stream_.expires_never();  // liveness is the hub's keep-alive and client timeout
    std::string head =
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: text/event-stream\r\n"
        "Cache-Control: no-cache\r\n"
        "X-Accel-Buffering: no\r\n"  // proxies must not buffer the stream
        "Connection: close\r\n"      // no length: the body ends when the connection does
        "Server: scanhub\r\n";
    for (const auto& [name, value] : headers) {
      if (!header_value_ok(name) || !header_value_ok(value)) continue;
      head += name;
      head += ": ";
      head += value;
      head += "\r\n";
    }
    // A comment line first: some browsers fire `open` only once body bytes arrive.
    head += "\r\n:\r\n";
    write_buffer_ = std::move(head);
    // The connection is registered before the head goes out: the client sends its handshake
    // as soon as it sees the stream open, and that POST must find the connection (it got 404
    // when the head's write ran first and this thread was preempted before registering). A
    // send during start_connection waits behind the head (send() sees a write in flight).
    writing_ = true;
    start_connection(std::move(caller));
    do_write();
    do_read();
  }

  push::SendStatus send(const std::vector<push::SharedRecord>& records) override {
    if (finished()) return push::SendStatus::kPending;
    if (writing_) {
      // Only the response head can be in flight here (HubConnection keeps one send in flight).
      next_ = format_sse_event(records);
      return push::SendStatus::kPending;
    }
    write_buffer_ = format_sse_event(records);
    do_write();
    return push::SendStatus::kPending;
  }

  void close(std::string_view /*reason*/) override {
    if (finished()) return;
    closing_ = true;
    if (writing_) return;  // on_write ends the stream once the last bytes are out
    end_stream();
  }

  bool supports_binary() const noexcept override { return false; }

  void abort() override {
    if (finished()) return;
    beast::error_code ignored;
    stream_.socket().close(ignored);
    post_finish();
  }

 private:
  void do_write() {
    writing_ = true;
    asio::async_write(stream_, asio::buffer(write_buffer_),
                      beast::bind_front_handler(&SseTransport::on_write,
                                                std::static_pointer_cast<SseTransport>(
                                                    shared_from_this())));
  }

  void on_write(beast::error_code ec, std::size_t /*bytes*/) {
    writing_ = false;
    write_buffer_.clear();
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        spdlog::debug("signalr: {} sse write: {}", endpoint_.path(), ec.message());
      }
      abort();
      return;
    }
    if (head_pending_) {
      head_pending_ = false;
      if (!next_.empty()) {
        write_buffer_ = std::exchange(next_, {});
        do_write();
        return;
      }
      if (closing_) end_stream();
      return;  // the head is not a hub send: nothing to report
    }
    if (connection_) connection_->on_send_complete(true);
    if (closing_ && !writing_) end_stream();
  }

  void do_read() {
    stream_.socket().async_read_some(
        asio::buffer(scratch_),
        beast::bind_front_handler(&SseTransport::on_read,
                                  std::static_pointer_cast<SseTransport>(shared_from_this())));
  }

  void on_read(beast::error_code ec, std::size_t bytes) {
    if (finished()) return;
    if (ec) {
      // The client went away (EventSource closed, TCP reset): the connection ends.
      abort();
      return;
    }
    ignored_bytes_ += bytes;
    if (ignored_bytes_ > kMaxIgnoredBytes) {
      spdlog::debug("signalr: {} sse client sent {} unexpected bytes", endpoint_.path(),
                    ignored_bytes_);
      abort();
      return;
    }
    do_read();
  }

  void end_stream() {
    if (finished()) return;
    // Everything is written: end the response, which is what tells the client we are done.
    // The connection ends first (on the next turn: the caller may be inside HubConnection),
    // so a request the client sends after seeing the end finds it gone (404), never alive.
    asio::post(stream_.get_executor(), [self = std::static_pointer_cast<SseTransport>(
                                            shared_from_this())] {
      self->finish();
      beast::error_code ignored;
      self->stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      self->stream_.socket().close(ignored);
    });
  }

  beast::tcp_stream stream_;
  std::string write_buffer_;
  std::string next_;
  std::array<char, 512> scratch_{};
  std::size_t ignored_bytes_ = 0;
  bool head_pending_ = true;
  bool writing_ = false;
  bool closing_ = false;
};

}  // namespace

std::optional<HttpReply> accept_server_sent_events(const HubRoute& route, TransportRequest params,
                                                   beast::tcp_stream& stream,
                                                   const HeaderList& headers) {
  HubEndpoint& endpoint = *route.endpoint;
  if (!params.id) return transport_error(400, "Connection ID required");
  auto claim = endpoint.claim(params.id, TransportKind::kServerSentEvents);
  if (!claim) {
    switch (claim.error()) {
      case HubEndpoint::ClaimError::kNotFound:
        return transport_error(404, "No Connection with that ID.");
      case HubEndpoint::ClaimError::kConflict:
        return transport_error(409, "The connection already has a transport.");
      case HubEndpoint::ClaimError::kStopping:
        return transport_error(503, "The server is shutting down.");
    }
  }
  auto transport =
      std::make_shared<SseTransport>(endpoint, claim->token, std::move(stream));
  transport->run(CallerContext{std::move(claim->connection_id), std::move(params.access_token),
                               std::move(params.user)},
                 headers);
  return std::nullopt;
}

}  // namespace scanhub::signalr
