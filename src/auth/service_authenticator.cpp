#include "auth/service_authenticator.hpp"

#include "auth/api_key.hpp"
#include "auth/jwt.hpp"
#include "auth/key_file.hpp"
#include "auth/server_key.hpp"
#include "core/ids.hpp"
#include "store/store.hpp"
#include "store/user_store.hpp"

namespace scanhub::auth {

namespace {

using Clock = std::chrono::system_clock;

JwtValidationOptions local_options(const AuthOptions& options, const std::vector<std::uint8_t>& key) {
  JwtValidationOptions local;
  local.issuers = {std::string(kLocalIssuer)};
  local.audiences = {std::string(kLocalIssuer)};
  local.clock_skew = options.clock_skew;
  local.clock = options.clock;
  VerificationKey verification;
  verification.secret = key;
  verification.alg = "HS256";
  local.keys.push_back(std::move(verification));
  return local;
}

std::optional<JwtValidator> external_validator(const AuthOptions& options) {
  if (options.key_file.empty()) return std::nullopt;
  JwtValidationOptions external;
  if (!options.issuer.empty()) external.issuers = {options.issuer};
  if (!options.audience.empty()) external.audiences = {options.audience};
  external.user_id_claim = options.user_id_claim;
  external.clock_skew = options.clock_skew;
  external.clock = options.clock;
  external.keys = load_verification_keys(options.key_file);
  return JwtValidator(std::move(external));
}

}  // namespace

ServiceAuthenticator::ServiceAuthenticator(AuthOptions options, std::vector<std::uint8_t> server_key,
                                           store::Store& store)
    : options_(std::move(options)),
      server_key_(std::move(server_key)),
      store_(store),
      local_(local_options(options_, server_key_)),
      external_(external_validator(options_)) {}

std::expected<Principal, AuthFailure> ServiceAuthenticator::authenticate(const Credentials& credentials) const {
  if (!options_.required) return anonymous_principal();
  if (!credentials.bearer_token.empty()) {
    if (credentials.bearer_token.starts_with(kApiKeyPrefix)) return from_api_key(credentials.bearer_token);
    return from_token(credentials.bearer_token);
  }
  if (!credentials.api_key.empty()) return from_api_key(credentials.api_key);
  return std::unexpected(AuthFailure{"invalid_request", {}});
}

std::expected<Principal, AuthFailure> ServiceAuthenticator::from_token(std::string_view token) const {
  const bool local = !external_ || unverified_issuer(token) == kLocalIssuer;
  if (!local) return external_->validate(token);
  auto principal = local_.validate(token);
  if (!principal) return principal;
  const auto id = core::parse_id(principal->user_id);
  const auto user = id ? store_.read([&](store::Connection& c) { return store::UserStore(c.db).get(*id); })
                       : std::nullopt;
  if (!user) return std::unexpected(AuthFailure{"invalid_token", "The token's user no longer exists."});
  principal->name = user->name;
  principal->admin = user->admin;
  principal->roles = user->admin ? std::vector<std::string>{"admin"} : std::vector<std::string>{};
  return principal;
}

std::expected<Principal, AuthFailure> ServiceAuthenticator::from_api_key(std::string_view key) const {
  const AuthFailure refused{"invalid_token", "The API key is not valid (unknown or revoked)."};
  if (!looks_like_api_key(key)) return std::unexpected(refused);
  const std::string hash = api_key_hash(key);
  const auto row = store_.read([&](store::Connection& c) { return store::ApiKeyStore(c.db).find_by_hash(hash); });
  if (!row) return std::unexpected(refused);
  Principal principal;
  principal.source = Principal::Source::kApiKey;
  principal.user_id = row->user_id ? std::to_string(*row->user_id) : "apikey:" + row->name;
  principal.name = row->user_name.value_or(row->name);
  principal.admin = row->admin;
  if (row->admin) principal.roles = {"admin"};
  return principal;
}

IssuedToken ServiceAuthenticator::issue(const store::UserRow& user) const {
  const auto now = std::chrono::floor<std::chrono::seconds>(options_.clock ? options_.clock() : Clock::now());
  const auto expires = now + options_.token_lifetime;
  const auto seconds = [](Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  };
  boost::json::object claims{{"sub", std::to_string(user.id)},
                             {"name", user.name},
                             {"iss", kLocalIssuer},
                             {"aud", kLocalIssuer},
                             {"iat", seconds(now)},
                             {"nbf", seconds(now)},
                             {"exp", seconds(expires)}};
  if (user.admin) claims["role"] = "admin";
  return IssuedToken{sign_jwt(JwtAlgorithm::kHs256, server_key_, claims), expires};
}

std::unique_ptr<ServiceAuthenticator> make_authenticator(const AuthOptions& options, store::Store& store) {
  const auto key_path =
      options.server_key_file.empty() ? server_key_path(store.path()) : options.server_key_file;
  return std::make_unique<ServiceAuthenticator>(options, load_or_create_server_key(key_path), store);
}

}  // namespace scanhub::auth
