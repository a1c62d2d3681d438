#pragma once
// The sign-in routes (issue 16 item 2; README "Authentication"):
// - GET /api/auth/config (open): `{"required": bool, "localUsers": bool}`, so the dashboard
//   knows whether to show its sign-in form;
// - POST /api/auth/login (open) `{"username", "password"}` -> 200 `{token, expiresAt, user:
//   {id, name, admin}}` (Cache-Control: no-store); 400 for a malformed body; 401 `{"error":
//   "Wrong user name or password."}` whether or not the user exists; 429 with Retry-After after
//   5 failures for one name or 20 from one client address (the TCP peer) within 60 s
//   (auth/login_limiter.hpp);
// - GET /api/auth/me: `{userId, name, roles, admin}` of the caller; 401 with WWW-Authenticate
//   without valid credentials while authentication is on.
//
// Threading: handlers run on the session's strand. The Argon2id check of a login (~30 ms) runs
// on this module's own two-thread pool; the handler waits for it, at most 10 s (then 503).
// Router handlers answer synchronously today, so the network thread still waits: an
// asynchronous route would free it (see the report of this change).

#include "auth/authenticator.hpp"
#include "http/router.hpp"

#include <memory>

namespace scanhub::auth {
class LoginService;
}

namespace scanhub::api {

struct AuthRouteServices {
  std::shared_ptr<const auth::Authenticator> authenticator;
  /// Signs local users in; null when there is no user database (login answers 404).
  std::shared_ptr<auth::LoginService> login;
};

void add_auth_routes(http::Router& router, AuthRouteServices services);

}  // namespace scanhub::api
