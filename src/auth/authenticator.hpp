#pragma once
// The one question every surface asks: who sent these credentials, if anyone valid?
//
// Every surface (REST routes, SignalR negotiate and transports, the /ws socket, the
// /api/events stream) takes the credentials from its request and asks an Authenticator:
// `Authorization: Bearer <jwt>` or the `access_token` query parameter (WebSockets, SSE and the
// event streams, seed 004's OnMessageReceived), or `X-Api-Key: <key>` (an API key may also come
// as a Bearer token). A failure becomes 401 with `WWW-Authenticate` (RFC 6750 section 3).
//
// Source: ASP.NET Core's JwtBearer defaults (signature required, issuer, audience and lifetime
// validated, clock skew 300 s, `exp` required) and RFC 6750 for the challenge; issue 16.
//
// Threading: authenticate() from any thread, concurrently. It may read the database once (an
// API key's point lookup) but never waits on the network.

#include "auth/principal.hpp"

#include <expected>
#include <string>
#include <string_view>

namespace scanhub::auth {

/// What a request carried. Either may be empty.
struct Credentials {
  std::string_view bearer_token;  ///< from `Authorization: Bearer` or `access_token=`
  std::string_view api_key;       ///< from `X-Api-Key`
};

/// Why credentials were refused, as RFC 6750 section 3.1 names it.
struct AuthFailure {
  /// `invalid_request` (no or malformed credentials) or `invalid_token` (signature, lifetime,
  /// issuer, audience, algorithm, unknown or revoked API key).
  std::string error = "invalid_token";
  /// One sentence for people, never a secret: "The token expired at 2026-12-07T03:00:00Z.",
  /// "The signature is invalid.", "The audience 'x' is invalid.". Empty when no credentials
  /// were given at all (the challenge is then a plain `Bearer`).
  std::string description;
};

/// The `WWW-Authenticate` value for a 401: `Bearer` when `failure` is null or has no
/// description, else `Bearer error="...", error_description="..."` (quotes and backslashes in
/// the description escaped).
std::string www_authenticate(const AuthFailure* failure);

class Authenticator {
 public:
  virtual ~Authenticator() = default;

  /// Whether callers must authenticate (`serve --auth`). When false, authenticate() returns
  /// anonymous_principal() whatever it is given.
  virtual bool required() const noexcept = 0;

  /// The principal of valid credentials, or why they are refused. A bearer token is tried
  /// first, then an API key. Empty credentials while required(): AuthFailure with
  /// error `invalid_request` and no description.
  virtual std::expected<Principal, AuthFailure> authenticate(const Credentials& credentials) const = 0;
};

/// Authentication off: every caller is anonymous_principal().
class AnonymousAuthenticator final : public Authenticator {
 public:
  bool required() const noexcept override { return false; }
  std::expected<Principal, AuthFailure> authenticate(const Credentials&) const override {
    return anonymous_principal();
  }
};

}  // namespace scanhub::auth
