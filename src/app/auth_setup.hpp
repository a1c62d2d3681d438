#pragma once
// Authentication for `scanhub serve` (issue 16; README "Authentication"): its flags and the
// set-up that builds the Authenticator and the sign-in routes. Called on the main thread at
// start-up.
//
// Flags (also settable in the config file's [serve] section by their long names):
// --jwt-issuer, --jwt-audience, --jwt-key FILE (a PEM public key or certificate, a JWKS/JWK, or
// a file holding an HS secret), --jwt-user-claim (default sub), --token-lifetime SECONDS (the
// tokens POST /api/auth/login issues; default 43200, 12 h). Whether authentication is required
// (`--auth`) is AuthOptions::required, set by the serve command's own flag.

#include "auth/service_authenticator.hpp"
#include "http/router.hpp"
#include "store/store.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>

namespace scanhub::app {

/// What the flags hold before they become AuthOptions.
struct AuthFlags {
  std::string issuer;
  std::string audience;
  std::string key_file;
  std::string user_id_claim = "sub";
  std::int64_t token_lifetime_seconds = 12 * 3600;
};

void add_auth_options(CLI::App& serve, AuthFlags& flags);

/// `flags` into `options` (leaving `required` as it is).
void apply_auth_flags(const AuthFlags& flags, auth::AuthOptions& options);

/// Builds the authenticator of `options` over `store` (creating the server key beside the
/// database on first start) and adds /api/auth/config, /api/auth/login and /api/auth/me to
/// `router`. Returns the authenticator, for the surfaces to ask. Throws std::runtime_error with
/// one line (a bad or unreadable key file or server key).
std::shared_ptr<auth::ServiceAuthenticator> install_auth(http::Router& router, store::Store& store,
                                                         const auth::AuthOptions& options);

}  // namespace scanhub::app
