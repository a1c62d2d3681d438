#include "auth/jwt_validator.hpp"

#include "auth/base64url.hpp"
#include "auth/jwt.hpp"
#include "core/time.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <utility>

namespace scanhub::auth {

namespace {

using Clock = std::chrono::system_clock;

AuthFailure malformed(std::string description) {
  return AuthFailure{"invalid_request", std::move(description)};
}
AuthFailure invalid(std::string description) { return AuthFailure{"invalid_token", std::move(description)}; }

// Claim values are untrusted text that goes into a header and logs: short and printable.
std::string shown(std::string_view text) {
  constexpr std::size_t kMax = 80;
  std::string out(text.substr(0, kMax));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  if (text.size() > kMax) out += "...";
  return out;
}

struct Parts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
};

std::optional<Parts> split(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return Parts{token.substr(0, first), token.substr(first + 1, second - first - 1),
               token.substr(second + 1)};
}

std::optional<boost::json::object> decode_object(std::string_view segment) {
  const auto bytes = base64url_decode(segment);
  if (!bytes) return std::nullopt;
  boost::system::error_code ec;
  auto value = boost::json::parse(
      std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()), ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

// A NumericDate (RFC 7519 section 2): seconds since the epoch, possibly fractional.
std::optional<Clock::time_point> numeric_date(const boost::json::value& value) {
  double seconds = 0;
  if (value.is_int64()) {
    seconds = static_cast<double>(value.as_int64());
  } else if (value.is_uint64()) {
    seconds = static_cast<double>(value.as_uint64());
  } else if (value.is_double()) {
    seconds = value.as_double();
  } else {
    return std::nullopt;
  }
  // Beyond year 9999 or before 1970 is not a date a token means.
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 253402300799.0) return std::nullopt;
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(std::floor(seconds))));
}

std::vector<std::string> strings_of(const boost::json::value* value) {
  std::vector<std::string> out;
  if (value == nullptr) return out;
  if (value->is_string()) {
    out.emplace_back(value->as_string());
  } else if (value->is_array()) {
    for (const auto& item : value->as_array()) {
      if (item.is_string()) out.emplace_back(item.as_string());
    }
  }
  return out;
}

std::string claim_text(const boost::json::value* value) {
  if (value == nullptr) return {};
  if (value->is_string()) return std::string(value->as_string());
  if (value->is_int64()) return std::to_string(value->as_int64());
  if (value->is_uint64()) return std::to_string(value->as_uint64());
  return {};
}

std::optional<crypto::KeyType> type_of(const VerificationKey& key) {
  if (key.public_key) return key.public_key->type();
  return std::nullopt;
}

bool verifies(const VerificationKey& key, JwtAlgorithm algorithm, std::string_view input,
              const std::vector<std::uint8_t>& signature) {
  if (!key_allows(type_of(key), algorithm)) return false;
  if (!key.alg.empty() && key.alg != to_string(algorithm)) return false;
  if (!key.public_key) {
    const auto mac = crypto::hmac(digest_of(algorithm), key.secret, input);
    return crypto::constant_time_equal(mac, signature);
  }
  if (key.public_key->type() == crypto::KeyType::kRsa) {
    return key.public_key->verify(digest_of(algorithm), input, signature);
  }
  const auto der = crypto::ecdsa_raw_to_der(signature, crypto::ec_component_size(key.public_key->type()));
  return der && key.public_key->verify(digest_of(algorithm), input, *der);
}

}  // namespace

JwtValidator::JwtValidator(JwtValidationOptions options) : options_(std::move(options)) {
  if (options_.user_id_claim.empty()) options_.user_id_claim = "sub";
}

std::expected<Principal, AuthFailure> JwtValidator::validate(std::string_view token) const {
  if (token.empty()) return std::unexpected(AuthFailure{"invalid_request", {}});
  if (token.size() > kMaxTokenSize) return std::unexpected(malformed("The token is too long."));
  const auto parts = split(token);
  if (!parts) {
    return std::unexpected(malformed("The token is not a JWT (three base64url parts separated by dots)."));
  }
  const auto header = decode_object(parts->header);
  if (!header) return std::unexpected(malformed("The token's header is not base64url-encoded JSON."));
  const auto payload = decode_object(parts->payload);
  if (!payload) return std::unexpected(malformed("The token's payload is not base64url-encoded JSON."));

  // Signature.
  const auto* alg_value = header->if_contains("alg");
  const std::string alg = alg_value && alg_value->is_string() ? std::string(alg_value->as_string()) : "";
  if (alg.empty() || alg == "none" || alg == "None" || alg == "NONE") {
    return std::unexpected(invalid("The token is not signed (alg none)."));
  }
  const auto algorithm = parse_jwt_algorithm(alg);
  if (!algorithm) return std::unexpected(invalid("The token's algorithm '" + shown(alg) + "' is not supported."));
  if (header->contains("crit")) {
    return std::unexpected(invalid("The token has critical header parameters (crit) this server does not understand."));
  }
  const auto signature = base64url_decode(parts->signature);
  if (!signature || signature->empty()) return std::unexpected(invalid("The signature is invalid."));
  const std::string kid = claim_text(header->if_contains("kid"));
  std::vector<const VerificationKey*> candidates;
  for (const auto& key : options_.keys) {
    if (!kid.empty() && key.kid == kid) candidates.push_back(&key);
  }
  if (candidates.empty()) {
    for (const auto& key : options_.keys) {
      if (kid.empty() || key.kid.empty()) candidates.push_back(&key);
    }
  }
  const auto allowed = [&](const VerificationKey* key) {
    return key_allows(type_of(*key), *algorithm) && (key->alg.empty() || key->alg == alg);
  };
  if (std::none_of(candidates.begin(), candidates.end(), allowed)) {
    if (!kid.empty() && candidates.empty()) {
      return std::unexpected(invalid("No signing key has the token's key id '" + shown(kid) + "'."));
    }
    return std::unexpected(invalid("The token's algorithm " + alg + " does not match the signing key."));
  }
  const std::string_view input = token.substr(0, parts->header.size() + 1 + parts->payload.size());
  const bool valid = std::any_of(candidates.begin(), candidates.end(), [&](const VerificationKey* key) {
    return verifies(*key, *algorithm, input, *signature);
  });
  if (!valid) return std::unexpected(invalid("The signature is invalid."));

  // Lifetime.
  const auto now = options_.clock ? options_.clock() : Clock::now();
  const auto* exp_value = payload->if_contains("exp");
  if (exp_value == nullptr) return std::unexpected(invalid("The token has no expiry (exp)."));
  const auto exp = numeric_date(*exp_value);
  if (!exp) return std::unexpected(invalid("The token's expiry (exp) is not a date."));
  std::optional<Clock::time_point> nbf;
  if (const auto* nbf_value = payload->if_contains("nbf")) {
    nbf = numeric_date(*nbf_value);
    if (!nbf) return std::unexpected(invalid("The token's not-before time (nbf) is not a date."));
  }
  if (nbf && *exp <= *nbf) return std::unexpected(invalid("The token expires before it becomes valid."));
  if (nbf && *nbf > now + options_.clock_skew) {
    return std::unexpected(invalid("The token is not valid before " + core::format_iso8601(*nbf) + "."));
  }
  if (*exp < now - options_.clock_skew) {
    return std::unexpected(invalid("The token expired at " + core::format_iso8601(*exp) + "."));
  }

  // Audience.
  if (!options_.audiences.empty()) {
    const auto audiences = strings_of(payload->if_contains("aud"));
    if (audiences.empty()) return std::unexpected(invalid("The token has no audience (aud)."));
    const bool match = std::any_of(audiences.begin(), audiences.end(), [&](const std::string& a) {
      return std::find(options_.audiences.begin(), options_.audiences.end(), a) != options_.audiences.end();
    });
    if (!match) return std::unexpected(invalid("The audience '" + shown(audiences.front()) + "' is invalid."));
  }

  // Issuer.
  if (!options_.issuers.empty()) {
    const auto* iss = payload->if_contains("iss");
    if (iss == nullptr || !iss->is_string()) return std::unexpected(invalid("The token has no issuer (iss)."));
    const std::string issuer(iss->as_string());
    if (std::find(options_.issuers.begin(), options_.issuers.end(), issuer) == options_.issuers.end()) {
      return std::unexpected(invalid("The issuer '" + shown(issuer) + "' is invalid."));
    }
  }

  Principal principal;
  principal.source = Principal::Source::kToken;
  principal.user_id = claim_text(payload->if_contains(options_.user_id_claim));
  if (principal.user_id.empty()) {
    return std::unexpected(invalid("The token has no user id claim '" + shown(options_.user_id_claim) + "'."));
  }
  for (const char* claim : {"name", "unique_name", "preferred_username"}) {
    principal.name = claim_text(payload->if_contains(claim));
    if (!principal.name.empty()) break;
  }
  if (principal.name.empty()) principal.name = principal.user_id;
  for (const char* claim : {"role", "roles"}) {
    for (auto& role : strings_of(payload->if_contains(claim))) {
      if (std::find(principal.roles.begin(), principal.roles.end(), role) == principal.roles.end()) {
        principal.roles.push_back(std::move(role));
      }
    }
  }
  principal.admin = std::find(principal.roles.begin(), principal.roles.end(), "admin") != principal.roles.end();
  principal.expires = *exp;
  return principal;
}

std::string unverified_issuer(std::string_view token) {
  if (token.size() > kMaxTokenSize) return {};
  const auto parts = split(token);
  if (!parts) return {};
  const auto payload = decode_object(parts->payload);
  if (!payload) return {};
  const auto* iss = payload->if_contains("iss");
  return iss && iss->is_string() ? std::string(iss->as_string()) : std::string();
}

}  // namespace scanhub::auth
