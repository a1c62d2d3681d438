#include "auth/jwt.hpp"

#include "auth/base64url.hpp"

#include <boost/json/serialize.hpp>

#include <array>
#include <stdexcept>
#include <utility>

namespace scanhub::auth {

namespace {

constexpr std::array<std::pair<std::string_view, JwtAlgorithm>, 9> kNames{{
    {"HS256", JwtAlgorithm::kHs256}, {"HS384", JwtAlgorithm::kHs384}, {"HS512", JwtAlgorithm::kHs512},
    {"RS256", JwtAlgorithm::kRs256}, {"RS384", JwtAlgorithm::kRs384}, {"RS512", JwtAlgorithm::kRs512},
    {"ES256", JwtAlgorithm::kEs256}, {"ES384", JwtAlgorithm::kEs384}, {"ES512", JwtAlgorithm::kEs512},
}};

std::string signing_input(JwtAlgorithm algorithm, const boost::json::object& payload,
                          std::string_view kid) {
  boost::json::object header{{"alg", to_string(algorithm)}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  return base64url_encode(boost::json::serialize(header)) + "." +
         base64url_encode(boost::json::serialize(payload));
}

}  // namespace

std::optional<JwtAlgorithm> parse_jwt_algorithm(std::string_view name) noexcept {
  for (const auto& [text, algorithm] : kNames) {
    if (text == name) return algorithm;
  }
  return std::nullopt;
}

std::string_view to_string(JwtAlgorithm algorithm) noexcept {
  for (const auto& [text, value] : kNames) {
    if (value == algorithm) return text;
  }
  return "none";
}

crypto::DigestAlgorithm digest_of(JwtAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case JwtAlgorithm::kHs384:
    case JwtAlgorithm::kRs384:
    case JwtAlgorithm::kEs384: return crypto::DigestAlgorithm::kSha384;
    case JwtAlgorithm::kHs512:
    case JwtAlgorithm::kRs512:
    case JwtAlgorithm::kEs512: return crypto::DigestAlgorithm::kSha512;
    default: return crypto::DigestAlgorithm::kSha256;
  }
}

bool key_allows(std::optional<crypto::KeyType> type, JwtAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case JwtAlgorithm::kHs256:
    case JwtAlgorithm::kHs384:
    case JwtAlgorithm::kHs512: return !type.has_value();
    case JwtAlgorithm::kRs256:
    case JwtAlgorithm::kRs384:
    case JwtAlgorithm::kRs512: return type == crypto::KeyType::kRsa;
    case JwtAlgorithm::kEs256: return type == crypto::KeyType::kEcP256;
    case JwtAlgorithm::kEs384: return type == crypto::KeyType::kEcP384;
    case JwtAlgorithm::kEs512: return type == crypto::KeyType::kEcP521;
  }
  return false;
}

std::string sign_jwt(JwtAlgorithm algorithm, std::span<const std::uint8_t> secret,
                     const boost::json::object& payload, std::string_view kid) {
  if (!key_allows(std::nullopt, algorithm)) throw std::invalid_argument("sign_jwt: not an HS algorithm");
  std::string input = signing_input(algorithm, payload, kid);
  const auto mac = crypto::hmac(digest_of(algorithm), secret, input);
  return input + "." + base64url_encode(mac);
}

std::string sign_jwt(JwtAlgorithm algorithm, const crypto::PrivateKey& key, crypto::KeyType type,
                     const boost::json::object& payload, std::string_view kid) {
  if (!key_allows(type, algorithm)) throw std::invalid_argument("sign_jwt: the key cannot sign this algorithm");
  std::string input = signing_input(algorithm, payload, kid);
  auto signature = key.sign(digest_of(algorithm), input);
  if (type != crypto::KeyType::kRsa) {
    signature = crypto::ecdsa_der_to_raw(signature, crypto::ec_component_size(type));
  }
  return input + "." + base64url_encode(signature);
}

}  // namespace scanhub::auth
