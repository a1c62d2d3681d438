#pragma once
// Unguessable identifiers for connection ids and connection tokens: random bytes from the
// kernel (getrandom), encoded as unpadded base64url so they are URL-safe as the `id=` query
// value. Thread-safe. Throws std::system_error when the kernel refuses randomness.

#include <cstddef>
#include <string>

namespace scanhub::signalr {

/// `bytes` random bytes as base64url (16 bytes -> 22 characters).
std::string random_token(std::size_t bytes = 16);

}  // namespace scanhub::signalr
