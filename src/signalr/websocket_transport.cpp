#include "signalr/websocket_transport.hpp"

#include "push/websocket.hpp"
#include "push/websocket_handshake.hpp"
#include "signalr/hub_connection.hpp"
#include "signalr/hub_endpoint.hpp"
#include "text/json_text.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/object.hpp>

#include <spdlog/spdlog.h>

namespace scanhub::signalr {
namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

namespace {

// RFC 6455 7.4.1: the close code of every close the server starts (the reason says why).
constexpr std::uint16_t kNormalClosure = 1000;

// A hub connection's WebSocket: push::WebSocket does the framing, the control frames, the
// closing handshake and the direct writes; this forwards between it and the HubConnection.
// SignalR's keep-alive and client timeout (HubConnection) are the deadlines; records never
// span messages (one send is one message).
class WebSocketTransport final : public push::WebSocket, public Transport {
 public:
  WebSocketTransport(HubEndpoint& endpoint, Socket&& socket)
      : push::WebSocket(std::move(socket)), endpoint_(endpoint) {}

  void run(std::string upgrade_response, HubEndpoint::Claim claim, std::string access_token,
           auth::Principal user) {
    if (claim.resume) {
      resuming_ = true;  // same strand: accept_websocket moved the socket onto it
      connection_ = std::move(claim.resume);
    } else {
      token_ = claim.token;
      connection_ = std::make_shared<HubConnection>(
          endpoint_,
          CallerContext{std::move(claim.connection_id), std::move(access_token), std::move(user)},
          std::move(claim.token), get_executor(), claim.stateful);
    }
    start(std::move(upgrade_response));
  }

  // Transport
  push::SendStatus send(const std::vector<push::SharedRecord>& records) override {
    return send_message(records);
  }
  void resume_receive() override { resume_reading(); }
  void close(std::string_view reason) override { push::WebSocket::close(kNormalClosure, reason); }
  void abort() override { push::WebSocket::abort(); }
  void use_binary() override { binary_messages(); }  // MessagePack: Binary frames

 private:
  std::shared_ptr<WebSocketTransport> self() {
    return std::static_pointer_cast<WebSocketTransport>(shared_from_this());
  }

  void on_websocket_open() override {
    std::string().swap(token_);  // only needed to give the claim back if the open failed
    opened_ = true;
    if (resuming_) {
      connection_->resume(self());
    } else {
      connection_->start(self());
    }
  }

  bool on_websocket_data(std::string_view bytes, bool /*text*/, bool /*end*/) override {
    // Text or Binary alike: records carry their own framing (0x1E, or a length prefix).
    if (!connection_) return true;
    auto keep = connection_;  // a protocol error may end the connection meanwhile
    return keep->on_receive(bytes);
  }

  void on_websocket_sent() override {
    if (connection_) connection_->on_send_complete(true);
  }

  void on_websocket_closed() override {
    auto connection = std::move(connection_);
    if (!connection) return;
    if (opened_) {
      connection->on_transport_closed();
    } else if (resuming_) {
      connection->on_resume_failed();  // still suspended: resumable by another attempt
    } else {
      spdlog::debug("signalr: {} websocket upgrade response not sent", endpoint_.path());
      endpoint_.release_claim(token_);
    }
  }

  HubEndpoint& endpoint_;
  std::string token_;  // a new connection's, until it opened
  std::shared_ptr<HubConnection> connection_;
  bool resuming_ = false;
  bool opened_ = false;
};

HttpReply error_reply(unsigned status, std::string_view message) {
  boost::json::object body;
  body["error"] = message;
  return {status, text::serialize_json(body), {}};
}

}  // namespace

std::optional<HttpReply> accept_websocket(const HubRoute& route, TransportRequest params,
                                          beast::tcp_stream& stream,
                                          http::request<http::string_body>&& request) {
  HubEndpoint& endpoint = *route.endpoint;
  auto response = push::websocket_upgrade_response(request);
  if (!response) {
    HttpReply reply = error_reply(response.error().status, response.error().message);
    if (response.error().status == 426) reply.headers.emplace_back("Sec-WebSocket-Version", "13");
    return reply;
  }
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
    push::WebSocket::Socket moved(claim->resume->executor());
    if (!ec) moved.assign(protocol, handle, ec);
    if (ec) {
      spdlog::debug("signalr: {} resume: cannot move the socket: {}", endpoint.path(),
                    ec.message());
      auto connection = claim->resume;
      asio::post(connection->executor(), [connection] { connection->on_resume_failed(); });
      return std::nullopt;  // the socket is gone; the client retries or gives up
    }
    auto transport = std::make_shared<WebSocketTransport>(endpoint, std::move(moved));
    // The connection's strand is not this one: start there.
    asio::post(transport->get_executor(), [transport, response = std::move(*response),
                                           claim = std::move(*claim),
                                           token = std::move(params.access_token),
                                           user = std::move(params.user)]() mutable {
      transport->run(std::move(response), std::move(claim), std::move(token), std::move(user));
    });
    return std::nullopt;
  }
  // release_socket() also cancels the HTTP layer's pending deadline.
  std::make_shared<WebSocketTransport>(endpoint, stream.release_socket())
      ->run(std::move(*response), std::move(*claim), std::move(params.access_token),
            std::move(params.user));
  return std::nullopt;
}

}  // namespace scanhub::signalr
