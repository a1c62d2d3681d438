#include "auth/key_file.hpp"

#include "auth/base64url.hpp"
#include "lib/crypto/error.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace scanhub::auth {

namespace {

[[noreturn]] void fail(std::string_view source, const std::string& what) {
  throw std::runtime_error(std::string(source) + ": " + what);
}

std::string member(const boost::json::object& jwk, const char* name) {
  const auto* value = jwk.if_contains(name);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::vector<std::uint8_t> bytes_member(const boost::json::object& jwk, const char* name,
                                       std::string_view source) {
  const std::string text = member(jwk, name);
  auto bytes = base64url_decode(text);
  if (text.empty() || !bytes || bytes->empty()) {
    fail(source, std::string("a JWK's \"") + name + "\" is missing or not base64url");
  }
  return std::move(*bytes);
}

VerificationKey from_jwk(const boost::json::object& jwk, std::string_view source) {
  VerificationKey key;
  key.kid = member(jwk, "kid");
  key.alg = member(jwk, "alg");
  const std::string kty = member(jwk, "kty");
  try {
    if (kty == "RSA") {
      key.public_key = crypto::PublicKey::from_rsa(bytes_member(jwk, "n", source), bytes_member(jwk, "e", source));
    } else if (kty == "EC") {
      const std::string crv = member(jwk, "crv");
      const auto curve = crv == "P-256"   ? crypto::KeyType::kEcP256
                         : crv == "P-384" ? crypto::KeyType::kEcP384
                         : crv == "P-521" ? crypto::KeyType::kEcP521
                                          : crypto::KeyType::kOther;
      if (curve == crypto::KeyType::kOther) fail(source, "a JWK's curve \"" + crv + "\" is not supported");
      key.public_key = crypto::PublicKey::from_ec(curve, bytes_member(jwk, "x", source), bytes_member(jwk, "y", source));
    } else if (kty == "oct") {
      key.secret = bytes_member(jwk, "k", source);
      if (key.secret.size() < kMinSecretSize) fail(source, "a JWK's secret is shorter than 32 bytes");
    } else {
      fail(source, "a JWK's key type \"" + kty + "\" is not supported (RSA, EC or oct)");
    }
  } catch (const crypto::Error& e) {
    fail(source, std::string("a JWK is not a valid key (") + e.what() + ")");
  }
  return key;
}

}  // namespace

std::vector<VerificationKey> parse_verification_keys(std::string_view text, std::string_view source) {
  const auto start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) fail(source, "the key file is empty");
  const std::string_view content = text.substr(start);
  std::vector<VerificationKey> keys;
  if (content.starts_with("-----BEGIN")) {
    if (content.find("PRIVATE KEY-----") != std::string_view::npos) {
      fail(source, "holds a private key; give the identity provider's public key");
    }
    try {
      VerificationKey key;
      key.public_key = crypto::PublicKey::from_pem(content);
      if (key.public_key->type() == crypto::KeyType::kOther) {
        fail(source, "the PEM key is neither RSA nor EC on P-256, P-384 or P-521");
      }
      keys.push_back(std::move(key));
    } catch (const crypto::Error&) {
      fail(source, "not a readable PEM public key or certificate");
    }
    return keys;
  }
  if (content.starts_with("{")) {
    boost::system::error_code ec;
    const auto value = boost::json::parse(content, ec);
    if (ec || !value.is_object()) fail(source, "not valid JSON (a JWKS or a JWK was expected)");
    const auto& object = value.as_object();
    if (const auto* list = object.if_contains("keys")) {
      if (!list->is_array()) fail(source, "the JWKS's \"keys\" is not an array");
      for (const auto& item : list->as_array()) {
        if (!item.is_object()) fail(source, "a JWKS entry is not an object");
        const std::string use = member(item.as_object(), "use");
        if (!use.empty() && use != "sig") continue;
        keys.push_back(from_jwk(item.as_object(), source));
      }
      if (keys.empty()) fail(source, "the JWKS holds no signing key");
      return keys;
    }
    if (object.contains("kty")) {
      keys.push_back(from_jwk(object, source));
      return keys;
    }
    fail(source, "JSON that is neither a JWKS (\"keys\") nor a JWK (\"kty\")");
  }
  std::string_view secret = text;
  if (secret.ends_with("\r\n")) {
    secret.remove_suffix(2);
  } else if (secret.ends_with("\n")) {
    secret.remove_suffix(1);
  }
  if (secret.size() < kMinSecretSize) {
    fail(source, "an HS secret must be at least 32 bytes (it has " + std::to_string(secret.size()) + ")");
  }
  VerificationKey key;
  key.secret.assign(secret.begin(), secret.end());
  keys.push_back(std::move(key));
  return keys;
}

std::vector<VerificationKey> load_verification_keys(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    fail(path.string(), std::filesystem::exists(path, ec) ? "not a regular file" : "no such key file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path.string(), "cannot read the key file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail(path.string(), "cannot read the key file");
  return parse_verification_keys(text.str(), path.string());
}

}  // namespace scanhub::auth
