#include "auth/api_key.hpp"

#include "auth/base64url.hpp"
#include "lib/crypto/random.hpp"
#include "lib/crypto/sha256.hpp"

namespace scanhub::auth {

namespace {
constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kKeyTextSize = 4 + 43;  // prefix + base64url of 32 bytes
}  // namespace

NewApiKey generate_api_key() {
  NewApiKey key;
  key.text = std::string(kApiKeyPrefix) + base64url_encode(crypto::random_bytes(kKeyBytes));
  key.hash = api_key_hash(key.text);
  return key;
}

std::string api_key_hash(std::string_view text) { return crypto::to_hex(crypto::sha256(text)); }

bool looks_like_api_key(std::string_view text) noexcept {
  return text.starts_with(kApiKeyPrefix) && text.size() == kKeyTextSize;
}

}  // namespace scanhub::auth
