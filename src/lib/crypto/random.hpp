#pragma once
// Cryptographically secure random bytes from OpenSSL's default DRBG (RAND_bytes), for keys:
// the server's token signing key, API keys, password salts. Thread-safe.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace scanhub::crypto {

/// `count` random bytes. Throws Error when the generator cannot be seeded (no entropy source).
std::vector<std::uint8_t> random_bytes(std::size_t count);

}  // namespace scanhub::crypto
