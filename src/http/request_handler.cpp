#include "http/request_handler.hpp"

#include "http/json_response.hpp"
#include "http/query.hpp"
#include "signalr/hub_host.hpp"

#include <fmt/format.h>

namespace scanhub::http {
namespace beast_http = boost::beast::http;

namespace {

Response hub_request(const Request& request, const signalr::HubRoute& route,
                     std::string_view query, const RequestContext& context,
                     const boost::asio::ip::address& client) {
  signalr::HubHost& hubs = context.hubs;
  if (route.kind == signalr::HubRoute::Kind::kNegotiate) {
    if (request.method() != Verb::post) {
      Response response =
          error_response(Status::method_not_allowed, "Negotiate requires a POST request.");
      response.set(beast_http::field::allow, "POST");
      return response;
    }
    // As ASP.NET Core's [Authorize] hub: negotiate without valid credentials is 401, so the
    // client learns it before choosing a transport.
    auto principal = authorize(context.router.authenticator(), request, query, Access::kUser,
                               TokenSources::kHeaderOrQuery);
    if (!principal) return std::move(principal.error());
    const QueryParams params(query);
    const signalr::HttpReply reply =
        hubs.negotiate(route, client, params.get("negotiateVersion"),
                       params.get("useStatefulReconnect") == "true");
    Response response{static_cast<Status>(reply.status), 11};
    response.set(beast_http::field::content_type, "application/json; charset=utf-8");
    response.set(beast_http::field::cache_control, "no-store");
    if (reply.retry_after.count() > 0) {
      response.set(beast_http::field::retry_after, std::to_string(reply.retry_after.count()));
    }
    response.body() = reply.body;
    response.prepare_payload();
    return response;
  }
  // Transport requests (WebSockets, Server-Sent Events, Long Polling, POST, DELETE) need the
  // connection itself and are served by the HTTP session (http_session.cpp).
  return error_response(Status::bad_request,
                        "Connect with a transport: a WebSocket upgrade, an event stream or a "
                        "long poll.");
}

std::optional<Response> static_file(std::string_view raw_path,
                                    const RequestContext& context) {
  auto path = percent_decode(raw_path);
  if (!path || has_dot_segment(*path)) return std::nullopt;
  Response response{Status::ok, 11};
  if (!context.web_root.empty()) {
    if (auto bytes = read_under_root(context.web_root, *path)) {
      response.body() = std::move(*bytes);
      const std::string_view name = *path == "/" ? std::string_view("/index.html") : *path;
      response.set(beast_http::field::content_type, content_type_for(name));
    }
  }
  if (response.body().empty()) {
    const StaticFile* file = context.files.find(*path);
    if (file == nullptr) return std::nullopt;
    response.body().assign(file->bytes);
    response.set(beast_http::field::content_type, file->content_type);
  }
  response.set(beast_http::field::cache_control, "no-cache");
  response.prepare_payload();
  return response;
}

}  // namespace

std::string access_token_of(const Request& request, std::string_view query) {
  std::string decoded;
  return std::string(
      credentials_of(request, query, TokenSources::kHeaderOrQuery, decoded).bearer_token);
}

Response handle_request(const Request& request, const RequestContext& context,
                        const boost::asio::ip::address& client) {
  const Target target = split_target(request.target());
  if (target.path.empty() || target.path.front() != '/') {
    return error_response(Status::bad_request, "The request target must be an absolute path.");
  }
  if (auto route = context.hubs.match(target.path)) {
    return hub_request(request, *route, target.query, context, client);
  }

  const bool head = request.method() == Verb::head;
  std::optional<Response> response;
  if (head) {
    // HEAD is GET without the body, unless a route claims HEAD itself.
    if (context.router.route(Verb::head, target.path).kind == Router::Match::Kind::kFound) {
      response = context.router.dispatch(request, target.path, client);
    } else {
      Request as_get = request;
      as_get.method(Verb::get);
      response = context.router.dispatch(as_get, target.path, client);
    }
  } else {
    response = context.router.dispatch(request, target.path, client);
  }
  if (!response && (request.method() == Verb::get || head)) {
    response = static_file(target.path, context);
  }
  if (!response) {
    response = error_response(Status::not_found, fmt::format("No resource at {}.", target.path));
  }
  if (head) {
    const auto length = response->body().size();
    response->body().clear();
    response->content_length(length);
  }
  return std::move(*response);
}

}  // namespace scanhub::http
