#pragma once
// Password hashing with Argon2id (RFC 9106) through the reference libargon2, in its PHC string
// form (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), which carries its own parameters, so a
// hash made with other costs still verifies.
//
// Cost: the defaults are OWASP's first Argon2id choice (19 MiB, 2 passes, 1 lane): about 30 ms
// per call on one core. Both calls block for that long and take that memory: never on a network
// thread. Thread-safe (no shared state).

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace scanhub::argon2 {

/// The one error of this wrapper, keeping libargon2's result code (ARGON2_MEMORY_ALLOCATION_ERROR,
/// ...). Thrown for failures of the environment, never for a wrong password.
class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

struct HashCost {
  std::uint32_t memory_kib = 19 * 1024;  ///< m
  std::uint32_t passes = 2;              ///< t
  std::uint32_t lanes = 1;               ///< p
};

/// The Argon2id PHC string of `password` with a fresh random 16-byte salt (OpenSSL's RAND).
/// Throws Error.
std::string hash_password(std::string_view password, const HashCost& cost = {});

/// Whether `password` matches `encoded` (a PHC string of hash_password). False for a wrong
/// password and for an `encoded` that is not an Argon2id string. Throws Error only for an
/// environment failure (memory).
bool verify_password(const std::string& encoded, std::string_view password);

}  // namespace scanhub::argon2
