// The token matrix at unit level (issue 16 item 1): tokens made here with OpenSSL's signatures
// (through lib/crypto), validated as ASP.NET Core's JwtBearer would.

#include "auth/base64url.hpp"
#include "auth/jwt.hpp"
#include "auth/jwt_validator.hpp"
#include "auth/key_file.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <chrono>

namespace scanhub::auth {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

const Clock::time_point kNow = Clock::time_point(std::chrono::seconds(1'800'000'000));
const std::string kSecretText = "an-hs256-secret-of-at-least-32-bytes!!";
const std::vector<std::uint8_t> kSecret(kSecretText.begin(), kSecretText.end());

std::int64_t at(std::chrono::seconds offset) {
  return std::chrono::duration_cast<std::chrono::seconds>((kNow + offset).time_since_epoch()).count();
}

boost::json::object claims() {
  return {{"sub", "user-1"}, {"iss", "https://idp.example"}, {"aud", "scanhub-api"},
          {"exp", at(1h)}, {"iat", at(0s)}, {"name", "Ada"}};
}

const crypto::PrivateKey& rsa_key() {
  static const auto key = crypto::PrivateKey::generate_rsa(2048);
  return key;
}
const crypto::PrivateKey& ec_key() {
  static const auto key = crypto::PrivateKey::generate_ec(crypto::KeyType::kEcP256);
  return key;
}

JwtValidationOptions options_with(std::vector<VerificationKey> keys) {
  JwtValidationOptions options;
  options.issuers = {"https://idp.example"};
  options.audiences = {"scanhub-api"};
  options.keys = std::move(keys);
  options.clock = [] { return kNow; };
  return options;
}

JwtValidator hs_validator() { return JwtValidator(options_with(parse_verification_keys(kSecretText, "test"))); }

std::string hs_token(const boost::json::object& payload) {
  return sign_jwt(JwtAlgorithm::kHs256, kSecret, payload);
}

std::string unsigned_token(std::string_view alg, const boost::json::object& payload) {
  return base64url_encode(boost::json::serialize(boost::json::object{{"alg", alg}, {"typ", "JWT"}})) +
         "." + base64url_encode(boost::json::serialize(payload)) + ".";
}

std::string jwk_json(const crypto::PrivateKey& key, bool rsa, std::string_view kid) {
  const auto [a, b] = key.public_components();
  boost::json::object jwk{{"kid", kid}, {"use", "sig"}};
  if (rsa) {
    jwk["kty"] = "RSA";
    jwk["n"] = base64url_encode(a);
    jwk["e"] = base64url_encode(b);
  } else {
    jwk["kty"] = "EC";
    jwk["crv"] = "P-256";
    jwk["x"] = base64url_encode(a);
    jwk["y"] = base64url_encode(b);
  }
  return boost::json::serialize(jwk);
}

struct Refused {
  const char* name;
  std::function<std::string()> token;
  const char* error;
  const char* description_contains;
};

TEST(JwtValidator, RefusesEveryBadTokenWithItsReason) {
  const auto validator = hs_validator();
  const std::vector<Refused> cases = {
      {"no token", [] { return std::string(); }, "invalid_request", ""},
      {"malformed", [] { return std::string("not-a-jwt"); }, "invalid_request", "not a JWT"},
      {"bad header", [] { return std::string("%%%.e30.sig"); }, "invalid_request", "header"},
      {"alg none", [] { return unsigned_token("none", claims()); }, "invalid_token", "not signed"},
      {"unknown alg", [] { return unsigned_token("PS256", claims()) + "AAAA"; }, "invalid_token", "'PS256' is not supported"},
      {"wrong signature",
       [] {
         const std::string other = "another-secret-that-is-32-bytes-long!!";
         return sign_jwt(JwtAlgorithm::kHs256, std::vector<std::uint8_t>(other.begin(), other.end()), claims());
       },
       "invalid_token", "signature is invalid"},
      {"expired beyond the skew",
       [] {
         auto c = claims();
         c["exp"] = at(-301s);
         return hs_token(c);
       },
       "invalid_token", "expired at"},
      {"no exp",
       [] {
         auto c = claims();
         c.erase("exp");
         return hs_token(c);
       },
       "invalid_token", "no expiry"},
      {"future nbf",
       [] {
         auto c = claims();
         c["nbf"] = at(301s);
         return hs_token(c);
       },
       "invalid_token", "not valid before"},
      {"wrong issuer",
       [] {
         auto c = claims();
         c["iss"] = "https://evil.example";
         return hs_token(c);
       },
       "invalid_token", "issuer 'https://evil.example' is invalid"},
      {"wrong audience",
       [] {
         auto c = claims();
         c["aud"] = "someone-else";
         return hs_token(c);
       },
       "invalid_token", "audience 'someone-else' is invalid"},
      {"no user id",
       [] {
         auto c = claims();
         c.erase("sub");
         return hs_token(c);
       },
       "invalid_token", "'sub'"},
  };
  for (const auto& c : cases) {
    const auto result = validator.validate(c.token());
    ASSERT_FALSE(result.has_value()) << c.name;
    EXPECT_EQ(result.error().error, c.error) << c.name;
    EXPECT_NE(result.error().description.find(c.description_contains), std::string::npos)
        << c.name << ": " << result.error().description;
    EXPECT_EQ(result.error().description.find(kSecretText), std::string::npos) << c.name;
  }
}

TEST(JwtValidator, AcceptsAValidTokenAndReadsItsClaims) {
  auto c = claims();
  c["roles"] = boost::json::array{"admin", "viewer"};
  c["role"] = "viewer";
  const auto result = hs_validator().validate(hs_token(c));
  ASSERT_TRUE(result.has_value()) << result.error().description;
  EXPECT_EQ(result->user_id, "user-1");
  EXPECT_EQ(result->name, "Ada");
  EXPECT_EQ(result->roles, (std::vector<std::string>{"viewer", "admin"}));
  EXPECT_TRUE(result->admin);
  EXPECT_EQ(result->source, Principal::Source::kToken);
  EXPECT_EQ(result->expires, kNow + 1h);
}

TEST(JwtValidator, AllowsTheClockSkewAndAnAudienceArray) {
  auto c = claims();
  c["exp"] = at(-299s);
  c["nbf"] = at(299s - 3600s);
  c["aud"] = boost::json::array{"other", "scanhub-api"};
  const auto result = hs_validator().validate(hs_token(c));
  ASSERT_TRUE(result.has_value()) << result.error().description;
  EXPECT_FALSE(result->admin);
}

TEST(JwtValidator, AcceptsHs384AndHs512WithTheSecret) {
  for (auto algorithm : {JwtAlgorithm::kHs384, JwtAlgorithm::kHs512}) {
    EXPECT_TRUE(hs_validator().validate(sign_jwt(algorithm, kSecret, claims())).has_value());
  }
}

TEST(JwtValidator, UsesTheConfiguredUserIdClaim) {
  auto options = options_with(parse_verification_keys(kSecretText, "test"));
  options.user_id_claim = "oid";
  auto c = claims();
  c["oid"] = "object-7";
  const auto result = JwtValidator(options).validate(hs_token(c));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->user_id, "object-7");
}

TEST(JwtValidator, RefusesAnHs256TokenSignedWithTheRsaPublicKeyText) {
  const std::string pem = rsa_key().public_pem();
  const JwtValidator validator(options_with(parse_verification_keys(pem, "rsa.pem")));
  const std::string forged = sign_jwt(JwtAlgorithm::kHs256,
                                      std::vector<std::uint8_t>(pem.begin(), pem.end()), claims());
  const auto result = validator.validate(forged);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().error, "invalid_token");
  EXPECT_NE(result.error().description.find("HS256 does not match the signing key"), std::string::npos)
      << result.error().description;
  // The same key verifies a genuine RS256 token.
  EXPECT_TRUE(validator.validate(sign_jwt(JwtAlgorithm::kRs256, rsa_key(), crypto::KeyType::kRsa, claims())).has_value());
}

TEST(JwtValidator, VerifiesRs256AndEs256WithPemKeys) {
  const JwtValidator rsa(options_with(parse_verification_keys(rsa_key().public_pem(), "rsa.pem")));
  const JwtValidator ec(options_with(parse_verification_keys(ec_key().public_pem(), "ec.pem")));
  const auto rs256 = sign_jwt(JwtAlgorithm::kRs256, rsa_key(), crypto::KeyType::kRsa, claims());
  const auto es256 = sign_jwt(JwtAlgorithm::kEs256, ec_key(), crypto::KeyType::kEcP256, claims());
  EXPECT_TRUE(rsa.validate(rs256).has_value());
  EXPECT_TRUE(ec.validate(es256).has_value());
  // Each key refuses the other's algorithm, and a changed payload breaks the signature.
  EXPECT_FALSE(rsa.validate(es256).has_value());
  EXPECT_FALSE(ec.validate(rs256).has_value());
  std::string tampered = es256;
  const auto dot = tampered.find('.');
  auto c = claims();
  c["sub"] = "someone-else";
  tampered.replace(dot + 1, tampered.find('.', dot + 1) - dot - 1, base64url_encode(boost::json::serialize(c)));
  const auto result = ec.validate(tampered);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().description.find("signature is invalid"), std::string::npos);
}

TEST(JwtValidator, PicksTheJwksKeyByKid) {
  const auto other_rsa = crypto::PrivateKey::generate_rsa(2048);
  const std::string jwks = "{\"keys\": [" + jwk_json(other_rsa, true, "old") + "," +
                           jwk_json(rsa_key(), true, "rsa-1") + "," + jwk_json(ec_key(), false, "ec-1") +
                           ", {\"kty\": \"RSA\", \"use\": \"enc\", \"n\": \"AQAB\", \"e\": \"AQAB\"}]}";
  const JwtValidator validator(options_with(parse_verification_keys(jwks, "jwks.json")));
  EXPECT_TRUE(validator.validate(sign_jwt(JwtAlgorithm::kRs256, rsa_key(), crypto::KeyType::kRsa, claims(), "rsa-1")).has_value());
  EXPECT_TRUE(validator.validate(sign_jwt(JwtAlgorithm::kEs256, ec_key(), crypto::KeyType::kEcP256, claims(), "ec-1")).has_value());
  // Signed by rsa-1's key but naming another key's kid: that key does not verify it.
  EXPECT_FALSE(validator.validate(sign_jwt(JwtAlgorithm::kRs256, rsa_key(), crypto::KeyType::kRsa, claims(), "old")).has_value());
  const auto unknown = validator.validate(sign_jwt(JwtAlgorithm::kRs256, rsa_key(), crypto::KeyType::kRsa, claims(), "nope"));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().description.find("key id 'nope'"), std::string::npos) << unknown.error().description;
}

TEST(KeyFile, RefusesWhatCannotVerifyWithOneLine) {
  EXPECT_THROW(parse_verification_keys("too short\n", "k"), std::runtime_error);
  EXPECT_THROW(parse_verification_keys("", "k"), std::runtime_error);
  EXPECT_THROW(parse_verification_keys("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n", "k"), std::runtime_error);
  EXPECT_THROW(parse_verification_keys("-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----\n", "k"), std::runtime_error);
  EXPECT_THROW(parse_verification_keys("{\"keys\": []}", "k"), std::runtime_error);
  EXPECT_THROW(parse_verification_keys("{\"kty\": \"EC\", \"crv\": \"P-256\", \"x\": \"AAAA\", \"y\": \"AAAA\"}", "k"), std::runtime_error);
  EXPECT_THROW(load_verification_keys("/nonexistent/key"), std::runtime_error);
  try {
    parse_verification_keys("short", "/etc/scanhub/jwt.key");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "/etc/scanhub/jwt.key: an HS secret must be at least 32 bytes (it has 5)");
  }
}

TEST(Base64url, RoundTripsAndRefusesOtherAlphabets) {
  const std::string text = "any carnal pleas\xff";
  EXPECT_EQ(base64url_decode(base64url_encode(text)),
            std::vector<std::uint8_t>(text.begin(), text.end()));
  EXPECT_FALSE(base64url_decode("ab+/").has_value());
  EXPECT_FALSE(base64url_decode("YQ==").has_value());
  EXPECT_FALSE(base64url_decode("YR").has_value());  // non-zero unused bits
  EXPECT_TRUE(base64url_decode("YQ").has_value());
}

}  // namespace
}  // namespace scanhub::auth
