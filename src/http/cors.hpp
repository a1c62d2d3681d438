#pragma once
// Cross-origin resource sharing for the REST API, negotiate and the SignalR transports: a
// configured list of allowed origins, credentials allowed (so the origin is echoed, never `*`).
//
// Source: WHATWG Fetch "CORS protocol" (Access-Control-Allow-Origin / -Credentials / -Methods /
// -Headers / -Max-Age, preflight = OPTIONS with Origin and Access-Control-Request-Method);
// ASP.NET Core's WithOrigins(...).AllowCredentials() as the SignalR docs configure it.
//
// An origin not in the list gets no CORS headers (the browser then refuses the response);
// with an empty list CORS is off and nothing is added. Threading: immutable after
// construction, any thread. The constructor throws std::invalid_argument for an origin that
// is not `scheme://host[:port]` (and for `*`: a wildcard cannot go with credentials).

#include "http/message.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::http {

class CorsPolicy {
 public:
  CorsPolicy() = default;
  explicit CorsPolicy(const std::vector<std::string>& origins);

  bool enabled() const noexcept { return !origins_.empty(); }
  /// Whether `origin` (an Origin header value) is in the list; ASCII case-insensitive.
  bool allows(std::string_view origin) const;

  /// Adds the CORS headers for `origin` (the request's Origin header, may be empty) to
  /// `response`: Vary: Origin whenever CORS is on, the rest only for an allowed origin.
  void decorate(std::string_view origin, Response& response) const;
  /// The same headers as name/value pairs (for responses the HTTP layer does not build itself,
  /// such as the Server-Sent Events stream).
  std::vector<std::pair<std::string, std::string>> headers_for(std::string_view origin) const;

  /// A preflight request (OPTIONS with Origin and Access-Control-Request-Method) answered with
  /// 204: allowed methods GET, POST, DELETE, OPTIONS and the requested headers, for an allowed
  /// origin; without CORS headers otherwise. nullopt when `request` is not a preflight.
  std::optional<Response> preflight(const Request& request) const;

 private:
  std::vector<std::string> origins_;  // lower case, no trailing '/'
};

}  // namespace scanhub::http
