#include "signalr/websocket_transport.hpp"

#include "signalr/gated_socket.hpp"
#include "signalr/hub_connection.hpp"
#include "signalr/hub_endpoint.hpp"
#include "push/websocket_frame.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <span>
#include <vector>

namespace scanhub::signalr {
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
namespace asio = boost::asio;

namespace {

// Payload bytes handed to HubConnection per read. The buffer stays allocated while the next read
// waits, which is almost always: with tens of thousands of idle subscribers it is per-connection
// memory (16 KiB here cost 1.5 KiB each, Beast capping a read at its 1,536-byte frame buffer).
// Clients send little (handshake, invocations, pings); a larger message arrives in pieces.
constexpr std::size_t kReadChunk = 256;

// The WebSocket runs on the bare socket, not beast::tcp_stream: SignalR's keep-alive and client
// timeout (HubConnection) are the deadlines here, and tcp_stream's per-operation timers cost
// memory per connection and a layer of work on every read and write.
using Socket = asio::ip::tcp::socket;

// Records per direct write (one iovec each, plus the header); a larger batch takes Beast's path.
constexpr std::size_t kMaxDirectRecords = 63;

class WebSocketTransport final : public Transport,
                                 public std::enable_shared_from_this<WebSocketTransport> {
 public:
  WebSocketTransport(HubEndpoint& endpoint, Socket&& socket)
      : endpoint_(endpoint), ws_(GatedSocket(std::move(socket))) {}

  void run(http::request<http::string_body>&& request, HubEndpoint::Claim claim,
           std::string access_token) {
    request_ = std::move(request);
    token_ = claim.token;
    if (claim.resume) {
      resuming_ = true;  // same strand: accept_websocket moved the socket onto it
      connection_ = std::move(claim.resume);
    } else {
      connection_ = std::make_shared<HubConnection>(
          endpoint_, CallerContext{std::move(claim.connection_id), std::move(access_token)},
          std::move(claim.token), ws_.get_executor(), claim.stateful);
    }

    // The HTTP layer's deadlines ended with its tcp_stream (accept_websocket); SignalR's
    // keep-alive and client timeout take over.
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = endpoint_.options().close_timeout;  // opening and closing
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& response) { response.set(http::field::server, "scanhub"); }));
    ws_.auto_fragment(false);  // one frame per message: a record is never split across frames
    ws_.text(true);            // the JSON protocol uses Text frames (the JS client requires it)
    ws_.async_accept(request_,
                     beast::bind_front_handler(&WebSocketTransport::on_accept, shared_from_this()));
  }

  push::SendStatus send(const std::vector<push::SharedRecord>& records) override {
    if (direct_write_allowed() && records.size() <= kMaxDirectRecords) {
      if (auto status = write_direct(records)) return *status;
    }
    buffers_.clear();
    buffers_.reserve(records.size());
    for (const auto& record : records) buffers_.emplace_back(record->data(), record->size());
    // A span, not the vector: Beast copies the buffer sequence in each layer of the write, and
    // copying a vector allocates (a fifth of the fan-out's instructions went there).
    ws_.async_write(std::span<const asio::const_buffer>(buffers_),
                    beast::bind_front_handler(&WebSocketTransport::on_write, shared_from_this()));
    return push::SendStatus::kPending;
  }

  void resume_receive() override {
    if (!reading_ && !finished_) do_read();
  }

  void close(std::string_view reason) override {
    if (closing_ || finished_) return;
    closing_ = true;
    websocket::close_reason why(websocket::close_code::normal);
    const auto text = reason.substr(0, 120);  // a close reason holds at most 123 bytes
    why.reason.assign(text.data(), text.size());
    ws_.async_close(why,
                    beast::bind_front_handler(&WebSocketTransport::on_close, shared_from_this()));
  }

  void use_binary() override {  // MessagePack: Binary frames
    ws_.binary(true);
    binary_ = true;
  }

  void abort() override {
    if (finished_) return;
    beast::error_code ignored;
    ws_.next_layer().next_layer().close(ignored);
    // Report on the next turn: the caller is inside HubConnection and must not see its
    // transport released under its feet.
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->finish(); });
  }

 private:
  bool direct_write_allowed() const noexcept {
    // ws_.is_open(): no close frame sent nor being sent (Beast's reply to the client's Close
    // changes the status before it writes), so no data frame follows one (RFC 6455 5.5.1).
    return accepted_ && !closing_ && !finished_ && ws_.is_open() && ws_.next_layer().idle();
  }

  // The fan-out's common case: the whole frame in one non-blocking sendmsg on the socket,
  // without Beast's and Asio's write machinery (a composed operation, a reactor operation, a
  // completion through the scheduler: a third of a delivery's CPU at 10 messages/s). Returns
  // kWritten when every byte left; kPending when the kernel took part of them and the rest is
  // on its way (on_rest_written); nullopt when nothing was written (the socket is full, or an
  // error, which Beast's write then meets and reports).
  std::optional<push::SendStatus> write_direct(const std::vector<push::SharedRecord>& records) {
    std::array<iovec, kMaxDirectRecords + 1> iov;
    std::uint64_t payload = 0;
    for (std::size_t i = 0; i < records.size(); ++i) {
      iov[i + 1] = {const_cast<char*>(records[i]->data()), records[i]->size()};
      payload += records[i]->size();
    }
    const std::size_t header_size = push::write_server_frame_header(binary_, payload, header_);
    iov[0] = {header_.data(), header_size};
    msghdr message{};
    message.msg_iov = iov.data();
    message.msg_iovlen = records.size() + 1;
    const ssize_t sent = ::sendmsg(ws_.next_layer().next_layer().native_handle(), &message,
                                   MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent <= 0) return std::nullopt;
    const auto written = static_cast<std::size_t>(sent);
    if (written == header_size + payload) return push::SendStatus::kWritten;
    // The rest, raw: the frame has begun and must end before any other byte, Beast's included.
    buffers_.clear();
    std::size_t skip = written;
    for (std::size_t i = 0; i < records.size() + 1; ++i) {
      if (skip >= iov[i].iov_len) {
        skip -= iov[i].iov_len;
        continue;
      }
      buffers_.emplace_back(static_cast<const char*>(iov[i].iov_base) + skip,
                            iov[i].iov_len - skip);
      skip = 0;
    }
    ws_.next_layer().begin_raw_write();
    asio::async_write(ws_.next_layer().next_layer(),
                      std::span<const asio::const_buffer>(buffers_),
                      beast::bind_front_handler(&WebSocketTransport::on_rest_written,
                                                shared_from_this()));
    return push::SendStatus::kPending;
  }

  void on_rest_written(beast::error_code ec, std::size_t bytes) {
    ws_.next_layer().end_raw_write();
    on_write(ec, bytes);
  }

  void on_accept(beast::error_code ec) {
    if (ec) {
      spdlog::debug("signalr: {} websocket accept failed: {}", endpoint_.path(), ec.message());
      if (resuming_) {
        connection_->on_resume_failed();  // still suspended: resumable by another attempt
      } else {
        endpoint_.release_claim(token_);
      }
      connection_.reset();
      finished_ = true;
      return;
    }
    request_ = {};
    accepted_ = true;
    if (resuming_) {
      connection_->resume(shared_from_this());
    } else {
      connection_->start(shared_from_this());
    }
    do_read();
  }

  void do_read() {
    if (finished_) return;
    reading_ = true;
    ws_.async_read_some(read_buffer_, kReadChunk,
                        beast::bind_front_handler(&WebSocketTransport::on_read,
                                                  shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    reading_ = false;
    if (ec) {
      if (ec != websocket::error::closed && ec != asio::error::operation_aborted &&
          ec != beast::error::timeout && ec != asio::error::eof) {
        spdlog::debug("signalr: {} websocket read: {}", endpoint_.path(), ec.message());
      }
      finish();
      return;
    }
    if (!connection_) return;
    const auto data = read_buffer_.cdata();
    const bool more =
        connection_->on_receive({static_cast<const char*>(data.data()), data.size()});
    read_buffer_.consume(read_buffer_.size());
    if (more) do_read();
  }

  void on_write(beast::error_code ec, std::size_t /*bytes*/) {
    buffers_.clear();
    if (ec && ec != asio::error::operation_aborted) {
      spdlog::debug("signalr: {} websocket write: {}", endpoint_.path(), ec.message());
    }
    if (connection_) connection_->on_send_complete(!ec);
  }

  void on_close(beast::error_code ec) {
    if (ec && ec != asio::error::operation_aborted) {
      spdlog::debug("signalr: {} websocket close: {}", endpoint_.path(), ec.message());
    }
    beast::error_code ignored;
    ws_.next_layer().next_layer().close(ignored);
    finish();
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    if (auto connection = std::move(connection_)) connection->on_transport_closed();
  }

  HubEndpoint& endpoint_;
  websocket::stream<GatedSocket> ws_;
  http::request<http::string_body> request_;
  std::string token_;
  std::shared_ptr<HubConnection> connection_;
  beast::flat_buffer read_buffer_;
  std::vector<asio::const_buffer> buffers_;
  push::WebSocketFrameHeader header_{};  // of the direct write in flight (its rest may still be going)
  bool binary_ = false;            // Binary frames (MessagePack), as ws_.binary()
  bool accepted_ = false;          // the upgrade response went out
  bool resuming_ = false;
  bool reading_ = false;
  bool closing_ = false;
  bool finished_ = false;
};

HttpReply error_reply(unsigned status, std::string_view message) {
  boost::json::object body;
  body["error"] = message;
  return {status, boost::json::serialize(body), {}};
}

}  // namespace

std::optional<HttpReply> accept_websocket(const HubRoute& route, TransportRequest params,
                                          beast::tcp_stream& stream,
                                          http::request<http::string_body>&& request) {
  HubEndpoint& endpoint = *route.endpoint;
  auto claim = endpoint.claim(params.id);
  if (!claim) {
    switch (claim.error()) {
      case HubEndpoint::ClaimError::kNotFound:
        return error_reply(404, "No Connection with that ID.");
      case HubEndpoint::ClaimError::kConflict:
        return error_reply(409, "The connection already has a WebSocket.");
      case HubEndpoint::ClaimError::kStopping:
        return error_reply(503, "The server is shutting down.");
    }
  }
  if (claim->resume) {
    // Stateful reconnect: the connection's state lives on its strand, so its new socket must
    // complete there too. Move the descriptor onto a socket bound to that strand.
    boost::system::error_code ec;
    auto& old_socket = stream.socket();
    const auto protocol = old_socket.local_endpoint(ec).protocol();
    const auto handle = ec ? -1 : old_socket.release(ec);
    Socket moved(claim->resume->executor());
    if (!ec) moved.assign(protocol, handle, ec);
    if (ec) {
      spdlog::debug("signalr: {} resume: cannot move the socket: {}", endpoint.path(), ec.message());
      auto connection = claim->resume;
      asio::post(connection->executor(), [connection] { connection->on_resume_failed(); });
      return std::nullopt;  // the socket is gone; the client retries or gives up
    }
    std::make_shared<WebSocketTransport>(endpoint, std::move(moved))
        ->run(std::move(request), std::move(*claim), std::move(params.access_token));
    return std::nullopt;
  }
  // release_socket() also cancels the HTTP layer's pending deadline.
  std::make_shared<WebSocketTransport>(endpoint, stream.release_socket())
      ->run(std::move(request), std::move(*claim), std::move(params.access_token));
  return std::nullopt;
}

}  // namespace scanhub::signalr
