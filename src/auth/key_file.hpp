#pragma once
// The verification keys of an identity provider, from the file `--jwt-key FILE` (or the `[auth]`
// section's `jwt_key`) names. What the file is, is decided by its content:
// - PEM (text starting with `-----BEGIN`): `PUBLIC KEY` (RSA or EC) or a `CERTIFICATE`'s key;
// - JSON (text starting with `{`): a JWKS (`{"keys": [...]}`, RFC 7517 section 5) or one JWK;
//   members `kty` RSA (`n`, `e`), EC (`crv` P-256/P-384/P-521, `x`, `y`) or oct (`k`); keys
//   whose `use` is not `sig` are skipped, `kid` and `alg` kept (a token's kid picks its key);
// - anything else: an HS256/384/512 secret, the file's bytes without one trailing line break,
//   at least 32 bytes (RFC 7518 section 3.2: a key as long as the hash output).
//
// Called once at start-up on the main thread; reads the file.

#include "auth/jwt_validator.hpp"

#include <filesystem>
#include <string_view>
#include <vector>

namespace scanhub::auth {

/// The keys of `path`. Throws std::runtime_error with one line naming the file and what is
/// wrong: unreadable, empty, a PEM that is not a public key, a JWKS without a usable key, a JWK
/// with missing or malformed members, a secret shorter than 32 bytes.
std::vector<VerificationKey> load_verification_keys(const std::filesystem::path& path);

/// The same for text already read (`source` names it in errors).
std::vector<VerificationKey> parse_verification_keys(std::string_view text, std::string_view source);

/// Shortest HS secret accepted (bytes).
inline constexpr std::size_t kMinSecretSize = 32;

}  // namespace scanhub::auth
