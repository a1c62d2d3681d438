#pragma once
// JSON Web Tokens in JWS compact form (RFC 7519, RFC 7515): the algorithms scanhub knows
// (RFC 7518 section 3) and signing, for the tokens POST /api/auth/login issues (HS256 with the
// server key) and for tests that make tokens of every kind. Verification: jwt_validator.hpp.
//
// Signatures are OpenSSL's (lib/crypto); this file only assembles the JWS text. Thread-safe.

#include "lib/crypto/hmac.hpp"
#include "lib/crypto/public_key.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace scanhub::auth {

enum class JwtAlgorithm { kHs256, kHs384, kHs512, kRs256, kRs384, kRs512, kEs256, kEs384, kEs512 };

/// `HS256` ... `ES512`; nullopt for any other name, `none` included.
std::optional<JwtAlgorithm> parse_jwt_algorithm(std::string_view name) noexcept;
std::string_view to_string(JwtAlgorithm algorithm) noexcept;
crypto::DigestAlgorithm digest_of(JwtAlgorithm algorithm) noexcept;

/// Whether a key of `type` may verify `algorithm`: HS* only with a secret (`type` nullopt),
/// RS* only with RSA, ES256/384/512 only with P-256/384/521. Deciding this from the key, never
/// from the token, is what stops the confusion attack (an HS256 token "signed" with an RSA
/// public key's PEM text as the HMAC secret).
bool key_allows(std::optional<crypto::KeyType> type, JwtAlgorithm algorithm) noexcept;

/// `header.payload.signature` signed with HMAC (`algorithm` HS*). Header: alg, typ JWT, kid
/// when not empty. Throws crypto::Error (OpenSSL failure only), std::invalid_argument for a
/// non-HS algorithm.
std::string sign_jwt(JwtAlgorithm algorithm, std::span<const std::uint8_t> secret,
                     const boost::json::object& payload, std::string_view kid = {});
/// The same with a private key (RS* or ES*, the signature in JOSE's R||S for ES*).
std::string sign_jwt(JwtAlgorithm algorithm, const crypto::PrivateKey& key, crypto::KeyType type,
                     const boost::json::object& payload, std::string_view kid = {});

}  // namespace scanhub::auth
