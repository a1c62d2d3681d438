// libFuzzer target: bearer tokens as a client sends them, validated by src/auth/jwt_validator
// (issue 16: "Fuzz what parses untrusted bytes").
//
// The first byte picks the mode:
// - even: the rest is a token as sent (breaks signatures at once, so it fuzzes the segment
//   splitting, base64url and JSON decoding of header and payload, and the algorithm choice);
// - odd: the rest is `header JSON \n payload JSON`, signed here with the validator's HS256
//   secret, so the claims (exp, nbf, aud, iss, sub, roles) are fuzzed past the signature.
//
// Checks, besides no crash, leak or undefined behaviour:
// - nothing but std::bad_alloc is thrown;
// - a refusal is `invalid_request` or `invalid_token` with one printable sentence of bounded
//   length that never holds the secret (unless the token itself carried that text);
// - an accepted token has a user id, and did not expire before now less the skew.

#include "fuzz_checks.hpp"

#include "auth/base64url.hpp"
#include "auth/jwt_validator.hpp"
#include "lib/crypto/hmac.hpp"

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <string_view>

namespace {
using namespace scanhub::auth;
using scanhub::fuzz::check;
using Clock = std::chrono::system_clock;

const std::string kSecret = "the-fuzzers-hs256-secret-32-bytes-long";
const Clock::time_point kNow = Clock::time_point(std::chrono::seconds(1'800'000'000));

const JwtValidator& validator() {
  static const JwtValidator instance = [] {
    JwtValidationOptions options;
    options.issuers = {"https://idp.example"};
    options.audiences = {"scanhub-api"};
    options.clock = [] { return kNow; };
    VerificationKey key;
    key.secret.assign(kSecret.begin(), kSecret.end());
    options.keys.push_back(std::move(key));
    return JwtValidator(std::move(options));
  }();
  return instance;
}

std::string signed_token(std::string_view text) {
  const auto split = text.find('\n');
  const std::string_view header = text.substr(0, split);
  const std::string_view payload = split == std::string_view::npos ? std::string_view() : text.substr(split + 1);
  std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  const auto mac = scanhub::crypto::hmac(scanhub::crypto::DigestAlgorithm::kSha256,
                                         std::span(reinterpret_cast<const std::uint8_t*>(kSecret.data()), kSecret.size()),
                                         input);
  return input + "." + base64url_encode(mac);
}

// Whether the token's text, or one of its segments decoded, holds the secret's text.
bool carries_secret(std::string_view token) {
  if (token.find(kSecret) != std::string_view::npos) return true;
  std::size_t start = 0;
  while (start <= token.size()) {
    const auto end = std::min(token.find('.', start), token.size());
    if (const auto bytes = base64url_decode(token.substr(start, end - start))) {
      if (std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()).find(kSecret) !=
          std::string_view::npos) {
        return true;
      }
    }
    start = end + 1;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const std::string token = (data[0] & 1) ? signed_token(rest) : std::string(rest);
    const auto result = validator().validate(token);
    if (result) {
      check(!result->user_id.empty(), "an accepted token has a user id");
      check(result->expires >= kNow - std::chrono::seconds(300), "an accepted token has not expired");
      check(result->source == Principal::Source::kToken, "a token's principal says so");
    } else {
      const auto& failure = result.error();
      check(failure.error == "invalid_request" || failure.error == "invalid_token", "a refusal names RFC 6750's error");
      check(!token.empty() || failure.description.empty(), "no description without a token");
      check(token.empty() || !failure.description.empty(), "a refused token says why");
      check(failure.description.size() < 400, "a refusal is one short sentence");
      for (char c : failure.description) {
        check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "a refusal is printable");
      }
      // It may repeat what the token itself says (an unknown alg, issuer or audience), so the
      // secret counts as leaked only when the token did not carry it.
      check(failure.description.find(kSecret) == std::string::npos || carries_secret(token),
            "a refusal never holds the secret");
    }
  } catch (const std::bad_alloc&) {
  } catch (...) {
    check(false, "validate() threw");
  }
  return 0;
}
