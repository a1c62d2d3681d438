#include "push/websocket_handshake.hpp"

#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>

namespace scanhub::push {

namespace http = boost::beast::http;

std::expected<std::string, UpgradeRefusal> websocket_upgrade_response(
    const http::request<http::string_body>& request) {
  const auto refuse = [](std::string_view message, unsigned status = 400) {
    return std::unexpected(UpgradeRefusal{status, message});
  };
  if (request.version() != 11) return refuse("The WebSocket handshake needs HTTP/1.1.");
  if (request.method() != http::verb::get) return refuse("The WebSocket handshake is a GET.");
  if (request.find(http::field::host) == request.end()) return refuse("Missing Host.");
  const auto connection = request.find(http::field::connection);
  if (connection == request.end() || !http::token_list{connection->value()}.exists("upgrade")) {
    return refuse("Missing or bad Connection.");
  }
  const auto upgrade = request.find(http::field::upgrade);
  if (upgrade == request.end() || !http::token_list{upgrade->value()}.exists("websocket")) {
    return refuse("Missing or bad Upgrade.");
  }
  const auto key = request.find(http::field::sec_websocket_key);
  if (key == request.end()) return refuse("Missing Sec-WebSocket-Key.");
  // A valid key is 16 random bytes in base64: 24 characters (Beast's limit too).
  if (key->value().empty() ||
      key->value().size() > boost::beast::websocket::detail::sec_ws_key_type::static_capacity) {
    return refuse("Bad Sec-WebSocket-Key.");
  }
  const auto version = request.find(http::field::sec_websocket_version);
  if (version == request.end()) return refuse("Missing Sec-WebSocket-Version.");
  if (version->value() != "13") return refuse("Unsupported Sec-WebSocket-Version.", 426);

  boost::beast::websocket::detail::sec_ws_accept_type accept;
  boost::beast::websocket::detail::make_sec_ws_accept(accept, key->value());
  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  response.append(accept.data(), accept.size());
  response += "\r\nServer: scanhub\r\n\r\n";
  return response;
}

}  // namespace scanhub::push
