#pragma once
// Method + path routing for the REST API: `router.add(verb::get, "/api/scans/{id}", handler)`.
//
// Every route has an Access (authorize.hpp): kUser unless add() says otherwise. dispatch()
// asks the router's Authenticator (set_authenticator; anonymous when none is set) with the
// request's `Authorization: Bearer` or `X-Api-Key` (never a query token on REST) and answers
// 401 with `WWW-Authenticate`, or 403 for a caller without role admin on a kAdmin route,
// before the handler runs. A PrincipalHandler gets the caller's principal (issue 16); a
// ClientHandler gets it and the client's TCP peer address (the one dispatch() was given; the
// unspecified address 0.0.0.0 when the caller did not say), e.g. to limit sign-ins per client.
//
// Patterns are absolute paths of '/'-separated segments; a segment `{name}` matches one
// non-empty path segment and its percent-decoded value lands in PathParams. Literal segments
// match exactly (case-sensitive). A trailing '/' on the request path is ignored.
//
// Stream paths (`router.add_stream("/ws", endpoint)`, stream_route.hpp) are exact paths whose
// connection a StreamEndpoint takes over; the HTTP session asks stream() before anything else.
//
// Threading: add() and add_stream() during set-up only; route()/dispatch()/stream() from any
// thread concurrently. Handlers run on the calling HTTP session's strand (a network thread):
// they must not block for long (hand slow work to a worker pool). Errors: see dispatch().

#include "auth/authenticator.hpp"
#include "http/authorize.hpp"
#include "http/message.hpp"
#include "http/stream_route.hpp"

#include <boost/asio/ip/address.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::http {

using Handler = std::function<Response(const Request&, const PathParams&)>;
/// A handler that acts for its caller (authorize.hpp says which principal it gets).
using PrincipalHandler =
    std::function<Response(const Request&, const PathParams&, const auth::Principal&)>;
/// A handler that also needs the client's TCP peer address.
using ClientHandler = std::function<Response(const Request&, const PathParams&, const auth::Principal&,
                                             const boost::asio::ip::address& client)>;

class Router {
 public:
  Router();

  /// Throws std::invalid_argument for a malformed pattern or a duplicate method + pattern.
  void add(Verb method, std::string_view pattern, Handler handler, Access access = Access::kUser);
  void add(Verb method, std::string_view pattern, PrincipalHandler handler,
           Access access = Access::kUser);
  void add(Verb method, std::string_view pattern, ClientHandler handler,
           Access access = Access::kUser);

  /// Who authenticates requests: dispatch() here, and the HTTP server for hubs and stream
  /// paths. Set-up only; null restores the anonymous one.
  void set_authenticator(std::shared_ptr<const auth::Authenticator> authenticator);
  const auth::Authenticator& authenticator() const noexcept { return *authenticator_; }

  struct Match {
    enum class Kind { kFound, kMethodNotAllowed, kNotFound };
    Kind kind = Kind::kNotFound;
    const ClientHandler* handler = nullptr;  ///< kFound
    Access access = Access::kUser;           ///< kFound
    PathParams params;                       ///< kFound
    std::vector<Verb> allowed;               ///< kMethodNotAllowed: the methods the path has
  };
  /// `path`: the request path without query string, not yet decoded.
  Match route(Verb method, std::string_view path) const;

  /// Routes, authorizes (401/403 before the handler) and runs the handler, turning every
  /// outcome into a response: 404 and 405 (with Allow) as JSON errors, HttpError -> its
  /// status, std::invalid_argument -> 400 with its message, anything else -> 500 with a
  /// generic message (the details are logged).
  /// Returns nullopt when no route has this path (the caller may try static files).
  /// `client`: the TCP peer's address, handed to ClientHandlers (default: unknown).
  std::optional<Response> dispatch(const Request& request, std::string_view path,
                                   const boost::asio::ip::address& client = {}) const;

  bool empty() const noexcept { return routes_.empty(); }

  /// Hands requests for exactly `path` (a trailing '/' ignored) to `endpoint`, once the
  /// request passed `access` (the token from the header or `access_token=`). Throws
  /// std::invalid_argument for a path not starting with '/' or already a stream path.
  void add_stream(std::string_view path, std::shared_ptr<StreamEndpoint> endpoint,
                  Access access = Access::kUser);
  /// The endpoint of stream path `path` (not decoded, no query), or nullptr; `access` (when
  /// not null) receives what the path asks of its callers.
  StreamEndpoint* stream(std::string_view path, Access* access = nullptr) const;
  /// Every stream endpoint (for the server's stop).
  std::vector<StreamEndpoint*> streams() const;

 private:
  struct Segment {
    std::string text;
    bool is_param = false;
  };
  struct Route {
    Verb method;
    std::string pattern;
    std::vector<Segment> segments;
    ClientHandler handler;
    Access access;
  };
  struct StreamPath {
    std::string path;
    std::shared_ptr<StreamEndpoint> endpoint;
    Access access;
  };
  std::vector<Route> routes_;
  std::vector<StreamPath> streams_;
  std::shared_ptr<const auth::Authenticator> authenticator_;
};

}  // namespace scanhub::http
