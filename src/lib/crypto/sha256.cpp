#include "lib/crypto/sha256.hpp"

#include "lib/crypto/error.hpp"

#include <openssl/evp.h>

#include <utility>

namespace scanhub::crypto {

namespace {

// Fetched once: an implicit fetch (EVP_sha256()) inside EVP_DigestInit_ex looks the algorithm
// up again in the provider store on every init, and takes a lock to do so. The EVP_MD is never
// freed on purpose: OpenSSL tears its providers down in an atexit handler, and freeing after
// that would touch freed memory; the process owns it until exit.
const EVP_MD* sha256_md() {
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!fetched) throw_error("EVP_MD_fetch(SHA256)");
    return fetched;
  }();
  return md;
}

}  // namespace

std::string to_hex(const Sha256Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(digest.size() * 2, '0');
  for (std::size_t i = 0; i < digest.size(); ++i) {
    hex[2 * i] = kDigits[digest[i] >> 4];
    hex[2 * i + 1] = kDigits[digest[i] & 0x0f];
  }
  return hex;
}

std::optional<Sha256Digest> parse_sha256_hex(std::string_view hex) noexcept {
  if (hex.size() != 64) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Sha256Digest digest{};
  for (std::size_t i = 0; i < digest.size(); ++i) {
    const int high = nibble(hex[2 * i]);
    const int low = nibble(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    digest[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return digest;
}

Sha256::Sha256() {
  const EVP_MD* md = sha256_md();
  ctx_ = EVP_MD_CTX_new();
  if (!ctx_) throw_error("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex2(ctx_, md, nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = nullptr;
    throw_error("EVP_DigestInit_ex2(SHA256)");
  }
}

Sha256::~Sha256() noexcept {
  EVP_MD_CTX_free(ctx_);
}

Sha256::Sha256(Sha256&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

void Sha256::update(std::span<const std::byte> data) {
  if (data.empty()) return;
  if (EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1)
    throw_error("EVP_DigestUpdate(SHA256)");
}

Sha256Digest Sha256::finish() {
  Sha256Digest digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_, digest.data(), &length) != 1 || length != digest.size()) {
    throw_error("EVP_DigestFinal_ex(SHA256)");
  }
  // Final leaves the context unusable until it is initialised again; re-init here so the
  // hasher is reusable (one context per worker thread, not one per file).
  if (EVP_DigestInit_ex2(ctx_, nullptr, nullptr) != 1) throw_error("EVP_DigestInit_ex2(SHA256)");
  return digest;
}

Sha256Digest sha256(std::string_view data) {
  Sha256 hasher;
  hasher.update(data);
  return hasher.finish();
}

}  // namespace scanhub::crypto
