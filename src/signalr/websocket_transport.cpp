#include "signalr/websocket_transport.hpp"

#include "signalr/hub_connection.hpp"
#include "signalr/hub_endpoint.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <spdlog/spdlog.h>

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

class WebSocketTransport final : public Transport,
                                 public std::enable_shared_from_this<WebSocketTransport> {
 public:
  WebSocketTransport(HubEndpoint& endpoint, Socket&& socket)
      : endpoint_(endpoint), ws_(std::move(socket)) {}

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

  void send(const std::vector<SharedRecord>& records) override {
    buffers_.clear();
    buffers_.reserve(records.size());
    for (const auto& record : records) buffers_.emplace_back(record->data(), record->size());
    // A span, not the vector: Beast copies the buffer sequence in each layer of the write, and
    // copying a vector allocates (a fifth of the fan-out's instructions went there).
    ws_.async_write(std::span<const asio::const_buffer>(buffers_),
                    beast::bind_front_handler(&WebSocketTransport::on_write, shared_from_this()));
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

  void use_binary() override { ws_.binary(true); }  // MessagePack: Binary frames

  void abort() override {
    if (finished_) return;
    beast::error_code ignored;
    ws_.next_layer().close(ignored);
    // Report on the next turn: the caller is inside HubConnection and must not see its
    // transport released under its feet.
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->finish(); });
  }

 private:
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
    ws_.next_layer().close(ignored);
    finish();
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    if (auto connection = std::move(connection_)) connection->on_transport_closed();
  }

  HubEndpoint& endpoint_;
  websocket::stream<Socket> ws_;
  http::request<http::string_body> request_;
  std::string token_;
  std::shared_ptr<HubConnection> connection_;
  beast::flat_buffer read_buffer_;
  std::vector<asio::const_buffer> buffers_;
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
