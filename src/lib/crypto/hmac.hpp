#pragma once
// HMAC (RFC 2104) with SHA-256/384/512 through OpenSSL's EVP_MAC, and a constant-time compare.
// Used for JWS HS256/HS384/HS512 (RFC 7518 section 3.2): verifying tokens of a configured
// secret and signing the server's own tokens. Thread-safe (no shared state).

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace scanhub::crypto {

/// The SHA-2 digests JWS uses (RFC 7518 section 3.1: the number in HS256, RS256, ES256).
enum class DigestAlgorithm { kSha256, kSha384, kSha512 };

/// OpenSSL's name of `algorithm` ("SHA256", ...).
const char* digest_name(DigestAlgorithm algorithm) noexcept;

/// HMAC of `data` under `key`: 32, 48 or 64 bytes. Throws Error (OpenSSL failure only).
std::vector<std::uint8_t> hmac(DigestAlgorithm algorithm, std::span<const std::uint8_t> key,
                               std::string_view data);

/// Whether `a` and `b` are equal, in time independent of where they differ (CRYPTO_memcmp), so a
/// signature or key hash compared with it leaks nothing through timing. Different sizes: false.
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

}  // namespace scanhub::crypto
