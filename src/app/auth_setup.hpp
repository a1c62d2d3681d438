#pragma once
// Authentication for `scanhub serve` (issue 16; README "Authentication"): its flags and the
// set-up that builds the Authenticator and the sign-in routes. Called on the main thread at
// start-up.
//
// Flags (also settable in the config file's [serve] or [auth] section by their long names):
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

/// The config file's `[auth]` section (issue 16: "or the [auth] section of the config file"):
/// the same settings by their long names (`jwt-key = /etc/scanhub/idp.pem`). CLI11 reads a
/// section into the subcommand of that name, so this adds a hidden subcommand `auth` to `app`
/// (the main app, which reads --config) whose options fill `section`. Running `scanhub auth`
/// itself is refused by main. Unknown keys in the section are errors, as in [serve].
CLI::App* add_auth_section(CLI::App& app, AuthFlags& section);

/// Each setting of `section` that `serve`'s own flag (or its [serve] key) did not give, into
/// `flags`: the command line wins over the file.
void merge_auth_section(const CLI::App& serve, const CLI::App& auth_section, const AuthFlags& section,
                        AuthFlags& flags);

/// `flags` into `options` (leaving `required` as it is).
void apply_auth_flags(const AuthFlags& flags, auth::AuthOptions& options);

/// Builds the authenticator of `options` over `store` (creating the server key beside the
/// database on first start) and adds /api/auth/config, /api/auth/login and /api/auth/me to
/// `router`. Returns the authenticator, for the surfaces to ask. Throws std::runtime_error with
/// one line (a bad or unreadable key file or server key).
std::shared_ptr<auth::ServiceAuthenticator> install_auth(http::Router& router, store::Store& store,
                                                         const auth::AuthOptions& options);

}  // namespace scanhub::app
