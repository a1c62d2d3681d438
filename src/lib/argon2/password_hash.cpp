#include "lib/argon2/password_hash.hpp"

#include "lib/crypto/random.hpp"

#include <argon2.h>

#include <vector>

namespace scanhub::argon2 {

namespace {
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
}  // namespace

std::string hash_password(std::string_view password, const HashCost& cost) {
  const auto salt = crypto::random_bytes(kSaltBytes);
  const std::size_t size = argon2_encodedlen(cost.passes, cost.memory_kib, cost.lanes, kSaltBytes,
                                             kHashBytes, Argon2_id);
  std::vector<char> encoded(size);
  const int result = argon2id_hash_encoded(cost.passes, cost.memory_kib, cost.lanes, password.data(),
                                           password.size(), salt.data(), salt.size(), kHashBytes,
                                           encoded.data(), encoded.size());
  if (result != ARGON2_OK) {
    throw Error(result, std::string("argon2id hashing failed: ") + argon2_error_message(result));
  }
  return std::string(encoded.data());
}

bool verify_password(const std::string& encoded, std::string_view password) {
  const int result = argon2id_verify(encoded.c_str(), password.data(), password.size());
  if (result == ARGON2_OK) return true;
  if (result == ARGON2_MEMORY_ALLOCATION_ERROR) {
    throw Error(result, std::string("argon2id verification failed: ") + argon2_error_message(result));
  }
  return false;
}

}  // namespace scanhub::argon2
