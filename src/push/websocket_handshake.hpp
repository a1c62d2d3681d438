#pragma once
// The server's side of the WebSocket opening handshake: checks an upgrade request and writes
// the 101 Switching Protocols response that accepts it.
//
// Source: RFC 6455 section 4.2 (the checks and the Sec-WebSocket-Accept value), worded as
// Beast's websocket::stream::accept words its refusals. No extension and no subprotocol is
// ever selected. Pure; any thread. Throws only std::bad_alloc.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <expected>
#include <string>
#include <string_view>

namespace scanhub::push {

/// Why an upgrade request was refused: 400, or 426 with `Sec-WebSocket-Version: 13` for a
/// version the server does not speak.
struct UpgradeRefusal {
  unsigned status = 400;
  std::string_view message;  ///< static storage
};

/// The complete 101 response (status line, headers, blank line) for `request`, with a
/// `Server: scanhub` header; or why the request cannot be accepted.
std::expected<std::string, UpgradeRefusal> websocket_upgrade_response(
    const boost::beast::http::request<boost::beast::http::string_body>& request);

}  // namespace scanhub::push
