#pragma once
// Asymmetric keys for JWS signatures (RFC 7518 sections 3.3 and 3.4): RSA PKCS#1 v1.5 (RS256,
// RS384, RS512) and ECDSA on P-256/P-384/P-521 (ES256, ES384, ES512), through OpenSSL 3's
// EVP_PKEY. A PublicKey comes from PEM text (SubjectPublicKeyInfo or an X.509 certificate) or
// from a JWK's components (RFC 7518 section 6); a PrivateKey signs (the tests' tokens, tools).
//
// JWS carries an ECDSA signature as R||S, each the curve's size (RFC 7518 section 3.4), where
// OpenSSL speaks DER: ecdsa_raw_to_der and ecdsa_der_to_raw convert.
//
// Threading: a const key may be used by many threads at once (EVP_PKEY is reference counted
// and verification makes its own context). Errors: malformed key input throws Error.

#include "lib/crypto/hmac.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct evp_pkey_st;

namespace scanhub::crypto {

/// What a key is, which decides the JWS algorithms it may verify.
enum class KeyType { kRsa, kEcP256, kEcP384, kEcP521, kOther };

class PublicKey {
 public:
  /// The first key in `pem`: `-----BEGIN PUBLIC KEY-----` (RSA or EC) or a certificate's.
  /// Throws Error when there is none or it cannot be parsed.
  static PublicKey from_pem(std::string_view pem);
  /// An RSA key from its modulus and public exponent (big-endian bytes, JWK `n` and `e`).
  static PublicKey from_rsa(std::span<const std::uint8_t> n, std::span<const std::uint8_t> e);
  /// An EC key on `curve` (kEcP256, kEcP384 or kEcP521) from its affine coordinates (JWK `x`,
  /// `y`, each the curve's size). Throws Error for a point not on the curve.
  static PublicKey from_ec(KeyType curve, std::span<const std::uint8_t> x,
                           std::span<const std::uint8_t> y);

  ~PublicKey() noexcept;
  PublicKey(PublicKey&& other) noexcept;
  PublicKey& operator=(PublicKey&& other) noexcept;
  PublicKey(const PublicKey& other) noexcept;  ///< shares the key (EVP_PKEY_up_ref)
  PublicKey& operator=(const PublicKey& other) noexcept;

  KeyType type() const noexcept { return type_; }
  /// RSA modulus size in bits (the JWA asks for at least 2048), the curve's size for EC.
  int bits() const noexcept;

  /// Whether `signature` is a valid signature of `data` with `digest`: RSA PKCS#1 v1.5, or ECDSA
  /// with a DER signature. False for a wrong or malformed signature; never throws for bad input.
  bool verify(DigestAlgorithm digest, std::string_view data,
              std::span<const std::uint8_t> signature) const noexcept;

  evp_pkey_st* get() const noexcept { return key_; }

 private:
  explicit PublicKey(evp_pkey_st* key) noexcept;
  evp_pkey_st* key_ = nullptr;
  KeyType type_ = KeyType::kOther;
};

/// A private key that signs: tests make tokens with it, so the validator is checked against
/// signatures OpenSSL made rather than ones we assembled.
class PrivateKey {
 public:
  static PrivateKey generate_rsa(int bits);
  static PrivateKey generate_ec(KeyType curve);
  ~PrivateKey() noexcept;
  PrivateKey(PrivateKey&& other) noexcept;
  PrivateKey& operator=(PrivateKey&& other) noexcept;
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;

  /// The public half as `-----BEGIN PUBLIC KEY-----` PEM.
  std::string public_pem() const;
  /// RSA: `n` and `e` (big-endian); EC: `x` and `y` (each the curve's size).
  std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>> public_components() const;
  /// RSA PKCS#1 v1.5, or ECDSA as DER. Throws Error.
  std::vector<std::uint8_t> sign(DigestAlgorithm digest, std::string_view data) const;

 private:
  explicit PrivateKey(evp_pkey_st* key, KeyType type) noexcept : key_(key), type_(type) {}
  evp_pkey_st* key_ = nullptr;
  KeyType type_ = KeyType::kOther;
};

/// The size in bytes of one ECDSA component on `curve` (32, 48, 66); 0 for other types.
std::size_t ec_component_size(KeyType curve) noexcept;

/// JOSE's R||S (each `component_size` bytes) as a DER ECDSA-Sig-Value; nullopt when `raw` is
/// not exactly twice `component_size` bytes.
std::optional<std::vector<std::uint8_t>> ecdsa_raw_to_der(std::span<const std::uint8_t> raw,
                                                          std::size_t component_size);
/// The reverse, for signing. Throws Error for malformed DER.
std::vector<std::uint8_t> ecdsa_der_to_raw(std::span<const std::uint8_t> der,
                                           std::size_t component_size);

}  // namespace scanhub::crypto
