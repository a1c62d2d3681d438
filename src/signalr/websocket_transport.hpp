#pragma once
// The WebSockets transport: `GET {hub path}[?id={connectionToken}]` with an Upgrade header.
//
// Source: TransportProtocols.md "WebSockets (Full Duplex)". Called by the HTTP layer (src/http)
// on the session's strand after it read an upgrade request for a hub's connect path. The
// socket's executor must be a strand: it becomes the connection's strand.

#include "signalr/hub_host.hpp"

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>
#include <string>

namespace scanhub::signalr {

/// What the HTTP layer extracted from the transport request.
struct TransportRequest {
  std::optional<std::string> id;  ///< the `id` query value (connection token); none: skipNegotiation
  std::string access_token;       ///< `Authorization: Bearer ...` or `access_token=` query; may be empty
  /// Who the request was authenticated as (the HTTP layer refused it otherwise): a connection
  /// this request starts acts for it (CallerContext::user) until it closes, and is closed when
  /// it expires (HubConnection).
  auth::Principal user = auth::anonymous_principal();
};

/// Accepts the WebSocket upgrade and runs the connection. On an error (404 unknown or expired
/// id, 409 the connection already has a transport, 503 shutting down) returns the reply to send
/// and leaves `stream` untouched; otherwise moves from `stream` and returns nullopt.
std::optional<HttpReply> accept_websocket(
    const HubRoute& route, TransportRequest params, boost::beast::tcp_stream& stream,
    boost::beast::http::request<boost::beast::http::string_body>&& request);

}  // namespace scanhub::signalr
