#pragma once
// Method + path routing for the REST API: `router.add(verb::get, "/api/scans/{id}", handler)`.
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

#include "http/message.hpp"
#include "http/stream_route.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::http {

using Handler = std::function<Response(const Request&, const PathParams&)>;

class Router {
 public:
  /// Throws std::invalid_argument for a malformed pattern or a duplicate method + pattern.
  void add(Verb method, std::string_view pattern, Handler handler);

  struct Match {
    enum class Kind { kFound, kMethodNotAllowed, kNotFound };
    Kind kind = Kind::kNotFound;
    const Handler* handler = nullptr;  ///< kFound
    PathParams params;                 ///< kFound
    std::vector<Verb> allowed;         ///< kMethodNotAllowed: the methods the path has
  };
  /// `path`: the request path without query string, not yet decoded.
  Match route(Verb method, std::string_view path) const;

  /// Routes and runs the handler, turning every outcome into a response: 404 and 405 (with
  /// Allow) as JSON errors, HttpError -> its status, std::invalid_argument -> 400 with its
  /// message, anything else -> 500 with a generic message (the details are logged).
  /// Returns nullopt when no route has this path (the caller may try static files).
  std::optional<Response> dispatch(const Request& request, std::string_view path) const;

  bool empty() const noexcept { return routes_.empty(); }

  /// Hands requests for exactly `path` (a trailing '/' ignored) to `endpoint`. Throws
  /// std::invalid_argument for a path not starting with '/' or already a stream path.
  void add_stream(std::string_view path, std::shared_ptr<StreamEndpoint> endpoint);
  /// The endpoint of stream path `path` (not decoded, no query), or nullptr.
  StreamEndpoint* stream(std::string_view path) const;
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
    Handler handler;
  };
  std::vector<Route> routes_;
  std::vector<std::pair<std::string, std::shared_ptr<StreamEndpoint>>> streams_;
};

}  // namespace scanhub::http
