#pragma once
// Who may call what: the credentials of a request, the Authenticator's answer, and the 401 or
// 403 that refuses it before a handler runs. Every surface of the HTTP server goes through
// authorize(): REST routes (Router::dispatch, by each route's Access), SignalR negotiate and
// transport requests, and stream paths (/ws, /api/events) before their endpoint takes over.
//
// Source: RFC 6750 sections 2.1 and 2.3 (Bearer in the Authorization header; the query
// parameter only where a browser cannot set a header: WebSockets, EventSource, seed 004's
// OnMessageReceived), section 3 (the challenge); ASP.NET Core's authorization middleware (401
// without valid credentials, 403 for an authenticated caller lacking the role); issue 16.
//
// Pure functions over the request; any thread; throw only std::bad_alloc (the Authenticator's
// own exceptions are answered as 500 by the caller's catch).

#include "auth/authenticator.hpp"
#include "http/message.hpp"

#include <chrono>
#include <expected>
#include <string_view>

namespace scanhub::http {

/// What a route, hub or stream path asks of its callers.
enum class Access {
  kOpen,   ///< anyone (healthz, the sign-in routes, static files)
  kUser,   ///< any authenticated caller
  kAdmin,  ///< an authenticated caller with role admin
};

/// Where a bearer token may come from.
enum class TokenSources {
  kHeader,         ///< `Authorization: Bearer` only (REST)
  kHeaderOrQuery,  ///< also `access_token=` in the query (hubs, /ws, /api/events)
};

/// The request's credentials: `Authorization: Bearer X` (scheme case-insensitive), else with
/// kHeaderOrQuery the `access_token` query value; `X-Api-Key`. The views point into `request`
/// and `decoded_query_token`, which the caller keeps alive (the query value must be decoded,
/// so it is returned through that string).
auth::Credentials credentials_of(const Request& request, std::string_view query,
                                 TokenSources sources, std::string& decoded_query_token);

/// 401 `{"error": ...}` with `WWW-Authenticate` (auth::www_authenticate).
Response unauthorized_response(const auth::AuthFailure& failure);
/// 403 `{"error": ...}`: authenticated, but the caller lacks role admin.
Response forbidden_response();

/// The principal the request acts for, or the response that refuses it:
/// - authentication off (authenticator.required() false): anonymous_principal(), always;
/// - kOpen: the principal of valid credentials, else a Principal with no user and no role
///   (never refused);
/// - kUser: 401 without valid credentials;
/// - kAdmin: as kUser, then 403 unless principal.admin.
std::expected<auth::Principal, Response> authorize(const auth::Authenticator& authenticator,
                                                   const Request& request,
                                                   std::string_view query, Access access,
                                                   TokenSources sources);

/// The steady-clock moment `principal` expires (its token's `exp`), for a connection's timer:
/// steady_clock::time_point::max() when it never does. Computed once at connect, so a wall
/// clock jump later does not move it.
std::chrono::steady_clock::time_point steady_expiry(const auth::Principal& principal);

}  // namespace scanhub::http
