#include "lib/crypto/hmac.hpp"

#include "lib/crypto/error.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace scanhub::crypto {

const char* digest_name(DigestAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case DigestAlgorithm::kSha256: return "SHA256";
    case DigestAlgorithm::kSha384: return "SHA384";
    case DigestAlgorithm::kSha512: return "SHA512";
  }
  return "SHA256";
}

std::vector<std::uint8_t> hmac(DigestAlgorithm algorithm, std::span<const std::uint8_t> key,
                               std::string_view data) {
  std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
  std::size_t size = 0;
  // EVP_Q_mac refuses a null key pointer even for an empty key.
  static const std::uint8_t kEmpty = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, digest_name(algorithm), nullptr,
                key.empty() ? &kEmpty : key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
                out.size(), &size) == nullptr) {
    throw_error("HMAC");
  }
  out.resize(size);
  return out;
}

bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace scanhub::crypto
