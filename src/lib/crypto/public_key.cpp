#include "lib/crypto/public_key.hpp"

#include "lib/crypto/error.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <climits>
#include <memory>
#include <utility>

namespace scanhub::crypto {

namespace {

struct BioFree {
  void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
struct BnFree {
  void operator()(BIGNUM* bn) const noexcept { BN_free(bn); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* bld) const noexcept { OSSL_PARAM_BLD_free(bld); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* params) const noexcept { OSSL_PARAM_free(params); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
struct SigFree {
  void operator()(ECDSA_SIG* sig) const noexcept { ECDSA_SIG_free(sig); }
};
struct X509Free {
  void operator()(X509* cert) const noexcept { X509_free(cert); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

const char* group_name(KeyType curve) {
  switch (curve) {
    case KeyType::kEcP256: return "prime256v1";
    case KeyType::kEcP384: return "secp384r1";
    case KeyType::kEcP521: return "secp521r1";
    default: throw Error(0, "not an elliptic curve key type");
  }
}

KeyType type_of(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) return KeyType::kRsa;
  if (EVP_PKEY_is_a(key, "EC")) {
    char name[64] = {};
    std::size_t size = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &size) != 1) {
      ERR_clear_error();
      return KeyType::kOther;
    }
    const std::string_view group(name, size);
    if (group == "prime256v1" || group == "P-256") return KeyType::kEcP256;
    if (group == "secp384r1" || group == "P-384") return KeyType::kEcP384;
    if (group == "secp521r1" || group == "P-521") return KeyType::kEcP521;
  }
  return KeyType::kOther;
}

Bn to_bn(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) throw Error(0, "number too large");
  Bn bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!bn) throw_error("BN_bin2bn");
  return bn;
}

std::vector<std::uint8_t> to_bytes(const BIGNUM* bn, std::size_t pad_to) {
  std::vector<std::uint8_t> out(std::max<std::size_t>(pad_to, static_cast<std::size_t>(BN_num_bytes(bn))));
  if (BN_bn2binpad(bn, out.data(), static_cast<int>(out.size())) < 0) throw_error("BN_bn2binpad");
  return out;
}

EVP_PKEY* from_data(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  if (!params) throw_error("OSSL_PARAM_BLD_to_param");
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!ctx) throw_error("EVP_PKEY_CTX_new_from_name");
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    throw_error(std::string("cannot make a ") + type + " public key from its components");
  }
  return key;
}

}  // namespace

PublicKey::PublicKey(evp_pkey_st* key) noexcept : key_(key), type_(type_of(key)) {}

PublicKey::~PublicKey() noexcept { EVP_PKEY_free(key_); }

PublicKey::PublicKey(PublicKey&& other) noexcept
    : key_(std::exchange(other.key_, nullptr)), type_(other.type_) {}

PublicKey& PublicKey::operator=(PublicKey&& other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(key_);
    key_ = std::exchange(other.key_, nullptr);
    type_ = other.type_;
  }
  return *this;
}

PublicKey::PublicKey(const PublicKey& other) noexcept : key_(other.key_), type_(other.type_) {
  if (key_) EVP_PKEY_up_ref(key_);
}

PublicKey& PublicKey::operator=(const PublicKey& other) noexcept {
  if (this != &other) {
    if (other.key_) EVP_PKEY_up_ref(other.key_);
    EVP_PKEY_free(key_);
    key_ = other.key_;
    type_ = other.type_;
  }
  return *this;
}

PublicKey PublicKey::from_pem(std::string_view pem) {
  if (pem.size() > static_cast<std::size_t>(INT_MAX)) throw Error(0, "PEM text too large");
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) throw_error("BIO_new_mem_buf");
  if (pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) throw_error("not a readable PEM certificate");
    EVP_PKEY* key = X509_get_pubkey(cert.get());
    if (!key) throw_error("the certificate's public key cannot be read");
    return PublicKey(key);
  }
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (!key) throw_error("not a readable PEM public key");
  return PublicKey(key);
}

PublicKey PublicKey::from_rsa(std::span<const std::uint8_t> n, std::span<const std::uint8_t> e) {
  const Bn modulus = to_bn(n);
  const Bn exponent = to_bn(e);
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1) {
    throw_error("OSSL_PARAM_BLD");
  }
  return PublicKey(from_data("RSA", bld.get()));
}

PublicKey PublicKey::from_ec(KeyType curve, std::span<const std::uint8_t> x,
                             std::span<const std::uint8_t> y) {
  const std::size_t size = ec_component_size(curve);
  if (size == 0 || x.size() != size || y.size() != size) {
    throw Error(0, "the EC key's coordinates do not have the curve's size");
  }
  // SEC 1's uncompressed point: 0x04 || x || y.
  std::vector<std::uint8_t> point;
  point.reserve(1 + 2 * size);
  point.push_back(0x04);
  point.insert(point.end(), x.begin(), x.end());
  point.insert(point.end(), y.begin(), y.end());
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group_name(curve), 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    throw_error("OSSL_PARAM_BLD");
  }
  PublicKey key(from_data("EC", bld.get()));
  // fromdata does not check that the point is on the curve; a public check does.
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) throw_error("the EC point is not on the curve");
  return key;
}

int PublicKey::bits() const noexcept { return key_ ? EVP_PKEY_get_bits(key_) : 0; }

bool PublicKey::verify(DigestAlgorithm digest, std::string_view data,
                       std::span<const std::uint8_t> signature) const noexcept {
  if (!key_) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  const bool ok = ctx &&
                  EVP_DigestVerifyInit_ex(ctx.get(), nullptr, digest_name(digest), nullptr, nullptr,
                                          key_, nullptr) == 1 &&
                  EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                                   reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  // A refused signature leaves entries in this thread's error queue; they are not failures.
  ERR_clear_error();
  return ok;
}

PrivateKey PrivateKey::generate_rsa(int bits) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits));
  if (!key) throw_error("RSA key generation");
  return PrivateKey(key, KeyType::kRsa);
}

PrivateKey PrivateKey::generate_ec(KeyType curve) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group_name(curve));
  if (!key) throw_error("EC key generation");
  return PrivateKey(key, curve);
}

PrivateKey::~PrivateKey() noexcept { EVP_PKEY_free(key_); }

PrivateKey::PrivateKey(PrivateKey&& other) noexcept
    : key_(std::exchange(other.key_, nullptr)), type_(other.type_) {}

PrivateKey& PrivateKey::operator=(PrivateKey&& other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(key_);
    key_ = std::exchange(other.key_, nullptr);
    type_ = other.type_;
  }
  return *this;
}

std::string PrivateKey::public_pem() const {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_) != 1) throw_error("PEM_write_bio_PUBKEY");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>> PrivateKey::public_components() const {
  const bool rsa = type_ == KeyType::kRsa;
  BIGNUM* first = nullptr;
  BIGNUM* second = nullptr;
  if (EVP_PKEY_get_bn_param(key_, rsa ? OSSL_PKEY_PARAM_RSA_N : OSSL_PKEY_PARAM_EC_PUB_X, &first) != 1 ||
      EVP_PKEY_get_bn_param(key_, rsa ? OSSL_PKEY_PARAM_RSA_E : OSSL_PKEY_PARAM_EC_PUB_Y, &second) != 1) {
    BN_free(first);
    throw_error("EVP_PKEY_get_bn_param");
  }
  const Bn a(first);
  const Bn b(second);
  const std::size_t pad = rsa ? 0 : ec_component_size(type_);
  return {to_bytes(a.get(), pad), to_bytes(b.get(), pad)};
}

std::vector<std::uint8_t> PrivateKey::sign(DigestAlgorithm digest, std::string_view data) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::size_t size = 0;
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, digest_name(digest), nullptr, nullptr, key_, nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1) {
    throw_error("EVP_DigestSign");
  }
  std::vector<std::uint8_t> signature(size);
  if (EVP_DigestSign(ctx.get(), signature.data(), &size,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    throw_error("EVP_DigestSign");
  }
  signature.resize(size);
  return signature;
}

std::size_t ec_component_size(KeyType curve) noexcept {
  switch (curve) {
    case KeyType::kEcP256: return 32;
    case KeyType::kEcP384: return 48;
    case KeyType::kEcP521: return 66;
    default: return 0;
  }
}

std::optional<std::vector<std::uint8_t>> ecdsa_raw_to_der(std::span<const std::uint8_t> raw,
                                                          std::size_t component_size) {
  if (component_size == 0 || raw.size() != 2 * component_size) return std::nullopt;
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  if (!sig) throw_error("ECDSA_SIG_new");
  Bn r = to_bn(raw.first(component_size));
  Bn s = to_bn(raw.subspan(component_size));
  if (ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) throw_error("ECDSA_SIG_set0");
  r.release();  // owned by sig now
  s.release();
  unsigned char* der = nullptr;
  const int size = i2d_ECDSA_SIG(sig.get(), &der);
  if (size <= 0) throw_error("i2d_ECDSA_SIG");
  std::vector<std::uint8_t> out(der, der + size);
  OPENSSL_free(der);
  return out;
}

std::vector<std::uint8_t> ecdsa_der_to_raw(std::span<const std::uint8_t> der,
                                           std::size_t component_size) {
  const unsigned char* p = der.data();
  std::unique_ptr<ECDSA_SIG, SigFree> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) throw_error("d2i_ECDSA_SIG");
  auto r = to_bytes(ECDSA_SIG_get0_r(sig.get()), component_size);
  const auto s = to_bytes(ECDSA_SIG_get0_s(sig.get()), component_size);
  r.insert(r.end(), s.begin(), s.end());
  return r;
}

}  // namespace scanhub::crypto
