#pragma once
// Validates JWT bearer tokens as ASP.NET Core's JwtBearer does by default (issue 16 item 1):
// a signature is required (`alg: none` and algorithms outside HS/RS/ES 256/384/512 refused),
// `exp` required, `exp` and `nbf` checked with a clock skew (300 s), issuer and audience (`aud`
// a string or an array) checked against the configured ones. The user id is the configured claim
// (`sub` by default, ASP.NET Core's NameIdentifier), the roles the `role`/`roles` claims (a
// string or an array), role `admin` -> Principal::admin.
//
// Which algorithms a key verifies is decided by the KEY (jwt.hpp key_allows): a secret verifies
// HS* only, an RSA key RS* only, an EC key the ES* of its curve, and a key that names its `alg`
// (a JWK's) that one only. A token's `kid` picks the keys with that kid (else keys without one);
// without a kid every key is tried, as JwtBearer's TryAllIssuerSigningKeys.
//
// Checks run in JwtBearer's order (signature, lifetime, audience, issuer) and the first failure
// is the answer: an AuthFailure with one sentence for people that never holds a secret.
//
// Threading: validate() is const and may run on any thread at once (network threads: it reads
// no file and no database; an RS256 verification is ~30 us). Keys are loaded by key_file.hpp.

#include "auth/authenticator.hpp"
#include "lib/crypto/public_key.hpp"

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::auth {

/// One key a token may be signed with: a shared secret (HS*) or a public key (RS*, ES*).
struct VerificationKey {
  std::string kid;                            ///< the JWK's `kid`; empty: matches tokens without one
  std::string alg;                            ///< the JWK's `alg`; empty: whatever the key type allows
  std::vector<std::uint8_t> secret;           ///< HS*: the secret's bytes (when public_key is empty)
  std::optional<crypto::PublicKey> public_key;  ///< RS*/ES*
};

struct JwtValidationOptions {
  /// Accepted `iss` values; empty: the issuer is not checked (ASP.NET Core's ValidateIssuer off).
  std::vector<std::string> issuers;
  /// Accepted audiences (one of `aud`'s must be among them); empty: not checked.
  std::vector<std::string> audiences;
  std::string user_id_claim = "sub";
  std::chrono::seconds clock_skew{300};  ///< JwtBearer's ClockSkew default
  std::vector<VerificationKey> keys;
  /// Now, for lifetime checks; tests inject theirs. Null: the system clock.
  std::function<std::chrono::system_clock::time_point()> clock;
};

/// Longest token read (bytes); a longer one is malformed. Identity providers' tokens with many
/// groups reach a few KiB.
inline constexpr std::size_t kMaxTokenSize = 16 * 1024;

class JwtValidator {
 public:
  explicit JwtValidator(JwtValidationOptions options);

  /// The principal of a valid token (Source kToken, `expires` its `exp`), or why it is refused:
  /// `invalid_request` for a token that is not a JWS compact serialization, `invalid_token` for
  /// everything else.
  std::expected<Principal, AuthFailure> validate(std::string_view token) const;

  const JwtValidationOptions& options() const noexcept { return options_; }

 private:
  JwtValidationOptions options_;
};

/// The `iss` of `token` read WITHOUT validating it, or empty: to choose which validator to ask
/// (the server's own tokens or an identity provider's). Never trust it for anything else.
std::string unverified_issuer(std::string_view token);

}  // namespace scanhub::auth
