#pragma once
// The Authenticator `serve` builds (issue 16 items 1-4): the server's own tokens (issued by
// POST /api/auth/login to local users, HS256 with the server key, issuer and audience
// "scanhub"), tokens of a configured identity provider (`--jwt-issuer`, `--jwt-audience`,
// `--jwt-key FILE`), and API keys (`shk_...`, as `X-Api-Key` or a Bearer token).
//
// Which validator a token meets: its unverified `iss` picks the server's own ("scanhub") or
// the identity provider's; the chosen one then verifies everything. A local token's user must
// still exist, and its name and admin flag are read from the users table, so removing a user
// or changing their role takes effect at their next request (one point lookup), not at expiry.
//
// Principals: a local user's id is their numeric id as text ("3"); an identity provider's, its
// user-id claim; an API key acts for its owner (`--user`: the owner's id) or for itself
// ("apikey:NAME"), admin only when created with --admin.
//
// Threading: authenticate() from any thread at once; it may run one read on a pooled
// connection (an API key or a local token), never an Argon2 verification.

#include "auth/authenticator.hpp"
#include "auth/jwt_validator.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace scanhub::store {
class Store;
struct UserRow;
}  // namespace scanhub::store

namespace scanhub::auth {

/// The issuer and audience of the server's own tokens.
inline constexpr std::string_view kLocalIssuer = "scanhub";

/// `serve`'s authentication settings (flags or the config file's `[auth]` section).
struct AuthOptions {
  bool required = false;  ///< `--auth` / `auth = on`
  /// An identity provider's tokens are accepted when key_file is set. Its issuer and audience
  /// (empty: not checked, which JwtBearer allows only when told; set both in production).
  std::string issuer;
  std::string audience;
  /// A PEM public key or certificate, a JWKS or JWK, or a file holding an HS secret; which, is
  /// decided by content (key_file.hpp).
  std::filesystem::path key_file;
  std::string user_id_claim = "sub";
  std::chrono::seconds clock_skew{300};
  /// Lifetime of the tokens POST /api/auth/login issues.
  std::chrono::seconds token_lifetime{std::chrono::hours(12)};
  /// The server key; empty: auth.key beside the database (server_key.hpp).
  std::filesystem::path server_key_file;
  /// Now, for lifetimes; null: the system clock (tests inject theirs).
  std::function<std::chrono::system_clock::time_point()> clock;
};

struct IssuedToken {
  std::string token;
  std::chrono::system_clock::time_point expires_at;
};

class ServiceAuthenticator final : public Authenticator {
 public:
  /// `store` holds the users and API keys and must outlive this object. `server_key`: the
  /// HS256 key of local tokens. Throws std::runtime_error for a bad key file (one line).
  ServiceAuthenticator(AuthOptions options, std::vector<std::uint8_t> server_key, store::Store& store);

  bool required() const noexcept override { return options_.required; }
  std::expected<Principal, AuthFailure> authenticate(const Credentials& credentials) const override;

  /// A token for local user `user`, valid for options().token_lifetime. Throws crypto::Error.
  IssuedToken issue(const store::UserRow& user) const;

  const AuthOptions& options() const noexcept { return options_; }
  bool external_tokens() const noexcept { return external_.has_value(); }

 private:
  std::expected<Principal, AuthFailure> from_token(std::string_view token) const;
  std::expected<Principal, AuthFailure> from_api_key(std::string_view key) const;

  AuthOptions options_;
  std::vector<std::uint8_t> server_key_;
  store::Store& store_;
  JwtValidator local_;
  std::optional<JwtValidator> external_;
};

/// The authenticator of `options` for the database `store` (its server key beside the database
/// unless options.server_key_file says otherwise, created on first start). Throws
/// std::runtime_error with one line for a bad or unreadable key file or server key.
std::unique_ptr<ServiceAuthenticator> make_authenticator(const AuthOptions& options, store::Store& store);

}  // namespace scanhub::auth
