#include "lib/crypto/random.hpp"

#include "lib/crypto/error.hpp"

#include <openssl/rand.h>

#include <climits>

namespace scanhub::crypto {

std::vector<std::uint8_t> random_bytes(std::size_t count) {
  std::vector<std::uint8_t> bytes(count);
  if (count > static_cast<std::size_t>(INT_MAX)) throw Error(0, "random_bytes: too many bytes");
  if (count > 0 && RAND_bytes(bytes.data(), static_cast<int>(count)) != 1) throw_error("RAND_bytes");
  return bytes;
}

}  // namespace scanhub::crypto
