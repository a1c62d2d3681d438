#include "http/http_session.hpp"

#include "http/authorize.hpp"

#include "http/json_response.hpp"
#include "http/query.hpp"
#include "signalr/http_transports.hpp"
#include "signalr/hub_host.hpp"
#include "signalr/websocket_transport.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>

namespace scanhub::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = beast::http;

namespace {

constexpr std::string_view kServerName = "scanhub";
constexpr std::string_view kTransportMethods = "GET, POST, DELETE, OPTIONS";

Response to_response(const signalr::HttpReply& reply, unsigned version) {
  Response response{static_cast<Status>(reply.status), version};
  response.set(beast_http::field::cache_control, "no-cache");
  if (reply.status == 204) return response;  // no body, no Content-Length
  if (!reply.body.empty() || reply.status != 202) {
    response.set(beast_http::field::content_type, reply.content_type.empty()
                                                      ? "application/json; charset=utf-8"
                                                      : reply.content_type);
  }
  response.body() = reply.body;
  response.prepare_payload();
  return response;
}

bool accepts_event_stream(const Request& request) {
  const auto accept = request[beast_http::field::accept];
  for (std::size_t at = 0; at + 17 <= accept.size(); ++at) {
    if (beast::iequals(accept.substr(at, 17), "text/event-stream")) return true;
  }
  return false;
}

// Exactly one answer per request handed to src/signalr: a handler dropped without being
// called (a bug, or a transport torn down mid-request) still answers, so the session is never
// left waiting.
class ReplyOnce {
 public:
  explicit ReplyOnce(std::shared_ptr<HttpSession> session) : session_(std::move(session)) {}
  ~ReplyOnce() {
    if (done_.load(std::memory_order_relaxed)) return;
    try {
      deliver({500, R"({"error":"The request was not answered."})", {}});
    } catch (...) {
      // noexcept destructor; the session's read deadline closes it eventually.
    }
  }
  void deliver(signalr::HttpReply reply) {
    if (done_.exchange(true)) return;
    session_->post_reply(std::move(reply));
  }

 private:
  std::shared_ptr<HttpSession> session_;
  std::atomic<bool> done_{false};
};

}  // namespace

HttpSession::HttpSession(asio::ip::tcp::socket&& socket, std::shared_ptr<ServerState> state)
    : stream_(std::move(socket)), state_(std::move(state)) {}

HttpSession::~HttpSession() { state_->forget(this); }

void HttpSession::run() {
  state_->track(shared_from_this());
  // The acceptor handed us a socket whose executor is this session's strand; start there.
  asio::dispatch(stream_.get_executor(),
                 beast::bind_front_handler(&HttpSession::do_read, shared_from_this()));
}

void HttpSession::shutdown() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->stopping_ = true;
    if (self->reading_) self->stream_.cancel();  // idle or mid-request: the read ends aborted
  });
}

void HttpSession::abort() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->stopping_ = true;
    self->do_close();
  });
}

void HttpSession::post_reply(signalr::HttpReply reply) {
  asio::post(stream_.get_executor(), [self = shared_from_this(), reply = std::move(reply)] {
    self->send(to_response(reply, self->request_version_), false);
  });
}

void HttpSession::do_read() {
  request_origin_.clear();
  if (stopping_ || closed_) {
    do_close();
    return;
  }
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(state_->options.header_limit));
  parser_->body_limit(state_->options.body_limit);
  stream_.expires_after(state_->options.read_timeout);
  reading_ = true;
  beast_http::async_read_header(
      stream_, buffer_, *parser_,
      beast::bind_front_handler(&HttpSession::on_header, shared_from_this()));
}

void HttpSession::on_header(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    on_read_error(ec);
    return;
  }
  const auto& header = parser_->get();
  request_origin_ = std::string(header[beast_http::field::origin]);
  request_version_ = header.version();
  // Framing, Host, Origin and content type are settled on the header, before any body is
  // read: a refused request's body is never parsed (nor taken for a second request).
  const auto path = split_target(header.target()).path;
  const auto surface =
      state_->context.hubs.match(path) ? RequestSurface::kHub : RequestSurface::kRest;
  if (auto refusal = state_->policy.check(header, surface)) {
    reading_ = false;
    spdlog::debug("http: {} {} refused: {}", header.method_string(), header.target(),
                  refusal->message);
    send(error_response(refusal->status, refusal->message), true);
    return;
  }
  if (beast::iequals(header[beast_http::field::expect], "100-continue")) {
    // curl and other clients wait for this before sending a large body. The interim response
    // is tiny; write it synchronously-ordered before reading the body.
    auto interim = std::make_shared<beast_http::response<beast_http::empty_body>>(
        beast_http::status::continue_, header.version());
    beast_http::async_write(
        stream_, *interim,
        [self = shared_from_this(), interim](beast::error_code write_ec, std::size_t) {
          if (write_ec) {
            self->on_read_error(write_ec);
            return;
          }
          beast_http::async_read(
              self->stream_, self->buffer_, *self->parser_,
              beast::bind_front_handler(&HttpSession::on_read, self));
        });
    return;
  }
  beast_http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
}

void HttpSession::on_read(beast::error_code ec, std::size_t /*bytes*/) {
  reading_ = false;
  if (ec) {
    on_read_error(ec);
    return;
  }
  on_request(parser_->release());
}

void HttpSession::on_read_error(beast::error_code ec) {
  reading_ = false;
  if (ec == beast_http::error::end_of_stream || ec == asio::error::operation_aborted ||
      ec == beast::error::timeout || ec == asio::error::eof ||
      ec == asio::error::connection_reset || stopping_) {
    do_close();
    return;
  }
  if (ec == beast_http::error::bad_transfer_encoding ||
      ec == beast_http::error::bad_content_length ||
      ec == beast_http::error::multiple_content_length) {
    // Beast refuses these while parsing the header (Transfer-Encoding after Content-Length or
    // twice, Content-Length after chunked, conflicting lengths), before request_policy sees it.
    send(error_response(Status::bad_request,
                        "The request's length is malformed or ambiguous: Transfer-Encoding "
                        "with Content-Length, or either of them twice (RFC 9112 section 6.3)."),
         true);
  } else if (ec == beast_http::error::body_limit) {
    send(error_response(Status::payload_too_large,
                        fmt::format("The request body exceeds {} bytes.",
                                    state_->options.body_limit)),
         true);
  } else if (ec == beast_http::error::header_limit) {
    send(error_response(Status::request_header_fields_too_large,
                        "The request headers are too large."),
         true);
  } else {
    spdlog::debug("http: bad request: {}", ec.message());
    send(error_response(Status::bad_request, "Malformed HTTP request."), true);
  }
}

void HttpSession::on_request(Request&& request) {
  request_version_ = request.version();
  request_keep_alive_ = request.keep_alive();
  const Target target = split_target(request.target());

  if (auto preflight = state_->cors.preflight(request)) {
    send(std::move(*preflight), false);
    return;
  }
  Access stream_access = Access::kUser;
  if (StreamEndpoint* endpoint = state_->context.router.stream(target.path, &stream_access)) {
    on_stream_request(*endpoint, stream_access, std::move(request), target);
    return;
  }
  if (beast::websocket::is_upgrade(request)) {
    auto route = state_->context.hubs.match(target.path);
    if (!route || route->kind != signalr::HubRoute::Kind::kConnect) {
      send(error_response(Status::not_found, "No WebSocket endpoint at this path."), true);
      return;
    }
    if (stopping_) {
      send(error_response(Status::service_unavailable, "The server is shutting down."), true);
      return;
    }
    auto principal = authorize(state_->context.router.authenticator(), request, target.query,
                               Access::kUser, TokenSources::kHeaderOrQuery);
    if (!principal) {
      send(std::move(principal.error()), true);
      return;
    }
    const QueryParams query(target.query);
    signalr::TransportRequest params;
    if (auto id = query.get("id")) params.id = std::string(*id);
    params.access_token = access_token_of(request, target.query);
    params.user = std::move(*principal);
    stream_.expires_never();
    auto reply = signalr::accept_websocket(*route, std::move(params), stream_, std::move(request));
    if (!reply) return;  // the stream now belongs to the WebSocket transport
    Response response{static_cast<Status>(reply->status), 11};
    response.set(beast_http::field::content_type, "application/json; charset=utf-8");
    for (const auto& [name, value] : reply->headers) response.set(name, value);
    response.body() = std::move(reply->body);
    response.prepare_payload();
    send(std::move(response), true);
    return;
  }

  if (auto route = state_->context.hubs.match(target.path);
      route && route->kind == signalr::HubRoute::Kind::kConnect) {
    on_transport_request(*route, std::move(request), target);
    return;
  }

  boost::system::error_code peer_error;  // unknown peer: the unspecified address, one client
  Response response = handle_request(request, state_->context,
                                     stream_.socket().remote_endpoint(peer_error).address());
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("http: {} {} -> {}", request.method_string(), request.target(),
                  response.result_int());
  }
  send(std::move(response), false);
}

void HttpSession::on_transport_request(const signalr::HubRoute& route, Request&& request,
                                       const Target& target) {
  if (stopping_) {
    send(error_response(Status::service_unavailable, "The server is shutting down."), true);
    return;
  }
  // Every transport request is authenticated (ASP.NET Core's [Authorize] applies to polls,
  // POSTs and DELETEs too); the one that starts the connection gives it its principal.
  auto principal = authorize(state_->context.router.authenticator(), request, target.query,
                             Access::kUser, TokenSources::kHeaderOrQuery);
  if (!principal) {
    send(std::move(principal.error()), false);
    return;
  }
  const QueryParams query(target.query);
  signalr::TransportRequest params;
  if (auto id = query.get("id")) params.id = std::string(*id);
  params.access_token = access_token_of(request, target.query);
  params.user = std::move(*principal);
  switch (request.method()) {
    case Verb::get:
      if (accepts_event_stream(request)) {
        auto reply = signalr::accept_server_sent_events(
            route, std::move(params), stream_, state_->cors.headers_for(request_origin_));
        if (!reply) return;  // the stream now belongs to the Server-Sent Events transport
        send(to_response(*reply, request_version_), false);
        return;
      }
      signalr::long_poll(route, std::move(params), state_->io, make_reply_handler());
      return;
    case Verb::post:
      signalr::send_to_connection(route, std::move(params), std::move(request.body()),
                                  make_reply_handler());
      return;
    case Verb::delete_:
      signalr::delete_connection(route, std::move(params), make_reply_handler());
      return;
    default: {
      Response response = error_response(Status::method_not_allowed,
                                         "Hub requests are GET, POST, DELETE or a WebSocket upgrade.");
      response.set(beast_http::field::allow, kTransportMethods);
      send(std::move(response), false);
      return;
    }
  }
}

void HttpSession::on_stream_request(StreamEndpoint& endpoint, Access access,
                                    Request&& request, const Target& target) {
  const bool upgrade = beast::websocket::is_upgrade(request);
  if (stopping_ || state_->stopping.load(std::memory_order_relaxed)) {
    send(error_response(Status::service_unavailable, "The server is shutting down."), true);
    return;
  }
  auto principal = authorize(state_->context.router.authenticator(), request, target.query,
                             access, TokenSources::kHeaderOrQuery);
  if (!principal) {
    send(std::move(principal.error()), upgrade);
    return;
  }
  StreamRequest stream_request{std::move(request), std::string(target.query),
                               state_->cors.headers_for(request_origin_),
                               ConnectionLease(state_->stream_connections),
                               std::move(*principal)};
  // The endpoint's connection has deadlines of its own; a refusal gets the write timeout.
  stream_.expires_never();
  auto refusal = endpoint.accept(std::move(stream_request), stream_);
  if (!refusal) return;  // the connection now belongs to the endpoint
  send(std::move(*refusal), upgrade);
}

signalr::ReplyHandler HttpSession::make_reply_handler() {
  auto once = std::make_shared<ReplyOnce>(shared_from_this());
  return [once](signalr::HttpReply reply) { once->deliver(std::move(reply)); };
}

void HttpSession::send(Response&& response, bool close) {
  const bool keep_alive = !close && request_keep_alive_ && !stopping_ &&
                          !state_->stopping.load(std::memory_order_relaxed);
  response_ = std::move(response);
  response_.version(request_version_ == 10 ? 10 : 11);
  response_.keep_alive(keep_alive);
  response_.set(beast_http::field::server, kServerName);
  state_->cors.decorate(request_origin_, response_);
  stream_.expires_after(state_->options.write_timeout);
  beast_http::async_write(
      stream_, response_,
      beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), !keep_alive));
}

void HttpSession::on_write(bool close, beast::error_code ec, std::size_t /*bytes*/) {
  response_ = {};
  if (ec || close) {
    do_close();
    return;
  }
  do_read();
}

void HttpSession::do_close() {
  if (closed_) return;
  closed_ = true;
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream_.close();
}

}  // namespace scanhub::http
