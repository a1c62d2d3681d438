#pragma once
// One HTTP/1.1 connection (internal to src/http): reads requests with limits and a deadline,
// answers them through handle_request, keeps the connection alive, and hands requests to a
// hub's path to src/signalr: WebSocket upgrades and Server-Sent Events take the stream over;
// long polls, POSTs and DELETEs are answered asynchronously (the session neither reads nor
// writes until the reply comes). Each request's header is checked by RequestPolicy
// (request_policy.hpp) before its body is read or it is routed; a refusal is answered and the
// connection closed. CORS headers (cors.hpp) go on every response it writes. Requests to a
// stream path (stream_route.hpp) are handed, with the connection, to their StreamEndpoint.
// Beast advanced_server's http_session, without the pipelining queue (one request at a time).
//
// Threading: all work on the socket's strand; shutdown(), abort() and the reply handlers given
// to src/signalr from any thread.

#include "http/message.hpp"
#include "http/query.hpp"
#include "http/server_state.hpp"
#include "signalr/http_transports.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>

#include <memory>
#include <optional>

namespace scanhub::http {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<ServerState> state);
  ~HttpSession();

  void run();
  /// Close when idle; a request being handled still gets its response (with Connection: close).
  void shutdown();
  /// Drop the socket now.
  void abort();
  /// The answer to a request handed to src/signalr (any thread; posts to the strand).
  void post_reply(signalr::HttpReply reply);

 private:
  void do_read();
  void on_header(boost::beast::error_code ec, std::size_t bytes);
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void on_read_error(boost::beast::error_code ec);
  void on_request(Request&& request);
  void on_transport_request(const signalr::HubRoute& route, Request&& request,
                            const Target& target);
  void on_stream_request(StreamEndpoint& endpoint, Access access, Request&& request,
                         const Target& target);
  signalr::ReplyHandler make_reply_handler();
  void send(Response&& response, bool close);
  void on_write(bool close, boost::beast::error_code ec, std::size_t bytes);
  void do_close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<ServerState> state_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  Response response_;
  std::string request_origin_;  // the Origin header, for CORS on the response
  unsigned request_version_ = 11;
  bool request_keep_alive_ = true;
  bool reading_ = false;
  bool stopping_ = false;
  bool closed_ = false;
};

}  // namespace scanhub::http
