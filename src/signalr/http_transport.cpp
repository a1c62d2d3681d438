#include "signalr/http_transport.hpp"

#include "signalr/http_transports.hpp"
#include "signalr/hub_connection.hpp"
#include "signalr/hub_endpoint.hpp"
#include "text/json_text.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/object.hpp>

namespace scanhub::signalr {
namespace asio = boost::asio;

HttpReply transport_error(unsigned status, std::string_view message) {
  boost::json::object body;
  body["error"] = message;
  return {status, text::serialize_json(body), {}};
}

HttpTransport::HttpTransport(HubEndpoint& endpoint, TransportKind kind, std::string token,
                             asio::any_io_executor strand)
    : endpoint_(endpoint), token_(std::move(token)), strand_(std::move(strand)), kind_(kind) {}

HttpTransport::~HttpTransport() = default;

void HttpTransport::start_connection(CallerContext caller) {
  connection_ = std::make_shared<HubConnection>(endpoint_, std::move(caller), token_, strand_);
  endpoint_.register_http_transport(token_, shared_from_this());
  connection_->start(shared_from_this());
}

void HttpTransport::on_post(std::string body, ReplyHandler reply) {
  if (finished_ || !connection_) {
    reply(transport_error(404, "No Connection with that ID."));
    return;
  }
  if (held_post_) {
    reply(transport_error(409, "Another send request is in progress."));
    return;
  }
  // Keep the connection alive across on_receive: a protocol error may end it meanwhile.
  auto connection = connection_;
  if (connection->on_receive(body)) {
    reply(HttpReply{200, {}, "text/plain"});
  } else {
    held_post_ = std::move(reply);  // answered by resume_receive or finish
  }
}

void HttpTransport::on_poll(ReplyHandler reply) {
  reply(transport_error(400, "Cannot change transports mid-connection."));
}

void HttpTransport::on_delete(ReplyHandler reply) {
  reply(transport_error(400, "Cannot terminate this connection using the DELETE endpoint."));
}

void HttpTransport::resume_receive() {
  if (auto reply = std::exchange(held_post_, nullptr)) reply(HttpReply{200, {}, "text/plain"});
}

void HttpTransport::finish() {
  if (finished_) return;
  finished_ = true;
  if (auto reply = std::exchange(held_post_, nullptr)) {
    reply(transport_error(404, "The connection has ended."));
  }
  if (auto connection = std::move(connection_)) connection->on_transport_closed();
}

void HttpTransport::post_finish() {
  asio::post(strand_, [self = shared_from_this()] { self->finish(); });
}

void send_to_connection(const HubRoute& route, TransportRequest params, std::string body,
                        ReplyHandler reply) {
  if (!params.id) {
    reply(transport_error(400, "Connection ID required"));
    return;
  }
  auto found = route.endpoint->find_http_transport(*params.id);
  if (!found) {
    switch (found.error()) {
      case HubEndpoint::FindError::kWebSocket:
        reply(transport_error(405, "POST requests are not allowed on WebSocket connections."));
        return;
      case HubEndpoint::FindError::kNotReady:
      case HubEndpoint::FindError::kClosed:
      case HubEndpoint::FindError::kNotFound:
        reply(transport_error(404, "No Connection with that ID."));
        return;
    }
  }
  auto transport = std::move(*found);
  asio::post(transport->executor(),
             [transport, body = std::move(body), reply = std::move(reply)]() mutable {
               transport->on_post(std::move(body), std::move(reply));
             });
}

void delete_connection(const HubRoute& route, TransportRequest params, ReplyHandler reply) {
  if (!params.id) {
    reply(transport_error(400, "Connection ID required"));
    return;
  }
  auto found = route.endpoint->find_http_transport(*params.id);
  if (!found) {
    if (found.error() == HubEndpoint::FindError::kWebSocket) {
      reply(transport_error(400, "Cannot terminate this connection using the DELETE endpoint."));
    } else {
      reply(transport_error(404, "No Connection with that ID."));
    }
    return;
  }
  auto transport = std::move(*found);
  asio::post(transport->executor(), [transport, reply = std::move(reply)]() mutable {
    transport->on_delete(std::move(reply));
  });
}

}  // namespace scanhub::signalr
