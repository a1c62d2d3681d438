#pragma once
// SHA-256 (FIPS 180-4) through OpenSSL's EVP interface, streaming. Issue 4's cache-asset job
// hashes every asset with it (seed 002, "Phase 3: Asset Caching": "Hash asset file (SHA256)").

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace scanhub::crypto {

/// A SHA-256 digest: 32 bytes, in the order FIPS 180-4 outputs them.
using Sha256Digest = std::array<std::uint8_t, 32>;

/// The 64-character lower-case hexadecimal form (what `sha256sum` prints).
std::string to_hex(const Sha256Digest& digest);

/// Parses 64 hexadecimal characters (either case); nullopt for anything else.
std::optional<Sha256Digest> parse_sha256_hex(std::string_view hex) noexcept;

/// One streaming SHA-256 computation: update() any number of times, then finish(). Move-only;
/// not thread-safe (one hasher per thread). The EVP_MD is fetched once per process
/// (EVP_MD_fetch, default provider) and shared by every hasher, so construction costs only the
/// context. Throws Error if OpenSSL cannot allocate or initialise the context.
class Sha256 {
 public:
  Sha256();
  ~Sha256() noexcept;
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  /// Feeds `data`. Throws Error (OpenSSL failure; does not happen for valid contexts).
  void update(std::span<const std::byte> data);
  void update(std::string_view data) { update(std::as_bytes(std::span(data.data(), data.size()))); }

  /// The digest of everything fed since construction or the last finish(); the hasher is then
  /// reset and can be reused. Throws Error.
  Sha256Digest finish();

  evp_md_ctx_st* get() const noexcept { return ctx_; }

 private:
  evp_md_ctx_st* ctx_ = nullptr;
};

/// The SHA-256 of `data` in one call. Throws Error.
Sha256Digest sha256(std::string_view data);

}  // namespace scanhub::crypto
