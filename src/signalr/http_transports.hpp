#pragma once
// The HTTP layer's entry points for the transports that ride on plain HTTP requests to a hub's
// path (TransportProtocols.md): Server-Sent Events (GET with `Accept: text/event-stream`),
// Long Polling (GET), HTTP Post (POST) and the Long Polling end (DELETE). The WebSocket upgrade
// is websocket_transport.hpp.
//
// Status codes (TransportProtocols.md, and ASP.NET Core where the spec is silent):
//   no `id`: 400 - unknown or expired id: 404 - a poll for a connection that ended within
//   HubOptions::closed_token_memory: 204 - a poll or DELETE for an SSE connection, or a GET that
//   names another transport's connection: 400 - POST to a WebSocket connection: 405 - a second
//   concurrent POST: 409 - DELETE: 202 - shutting down: 503.
//
// Threading: called on the HTTP session's strand. `reply` is called exactly once, possibly
// before the call returns, possibly later from the connection's strand; the HTTP layer posts
// it back to its own strand. No exception escapes (std::bad_alloc aside).

#include "signalr/http_transport.hpp"
#include "signalr/websocket_transport.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace scanhub::signalr {

/// Extra response headers (CORS) the HTTP layer wants on a streamed response.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// GET {hub}?id= with `Accept: text/event-stream`. On an error returns the reply to send and
/// leaves `stream` untouched; otherwise moves from `stream` (whose executor, a strand, becomes
/// the connection's strand), writes the 200 `text/event-stream` head with `headers` and keeps
/// the stream open until the connection ends; returns nullopt.
std::optional<HttpReply> accept_server_sent_events(const HubRoute& route, TransportRequest params,
                                                   boost::beast::tcp_stream& stream,
                                                   const HeaderList& headers);

/// GET {hub}?id= (a long poll). The first poll starts the connection and is answered at once
/// with an empty 200 (the client waits for it before sending its handshake); later polls get
/// the queued records, or wait for one up to HubOptions::long_poll_timeout (then an empty 200).
/// A new poll while one waits answers the waiting one with 204. `io` is the executor a new
/// connection's strand is made on.
void long_poll(const HubRoute& route, TransportRequest params, boost::asio::any_io_executor io,
               ReplyHandler reply);

/// POST {hub}?id=: `body` is one or more records for the connection.
void send_to_connection(const HubRoute& route, TransportRequest params, std::string body,
                        ReplyHandler reply);

/// DELETE {hub}?id=: ends a Long Polling connection (202); its waiting poll gets 204.
void delete_connection(const HubRoute& route, TransportRequest params, ReplyHandler reply);

}  // namespace scanhub::signalr
