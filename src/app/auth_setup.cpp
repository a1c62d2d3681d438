#include "app/auth_setup.hpp"

#include "api/auth_routes.hpp"
#include "auth/login_service.hpp"

namespace scanhub::app {

void add_auth_options(CLI::App& serve, AuthFlags& flags) {
  const std::string group = "Authentication";
  serve.add_option("--jwt-issuer", flags.issuer, "The identity provider's issuer (iss) its tokens must carry")
      ->group(group);
  serve.add_option("--jwt-audience", flags.audience, "The audience (aud) an identity provider's tokens must name")
      ->group(group);
  serve.add_option("--jwt-key", flags.key_file,
                   "The identity provider's key: a PEM public key or certificate, a JWKS, or a file "
                   "holding an HS256/384/512 secret")
      ->group(group);
  serve.add_option("--jwt-user-claim", flags.user_id_claim, "The claim holding the user id")
      ->capture_default_str()->group(group);
  serve.add_option("--token-lifetime", flags.token_lifetime_seconds,
                   "Seconds a token from POST /api/auth/login stays valid")
      ->check(CLI::Range(std::int64_t{60}, std::int64_t{366} * 24 * 3600))->capture_default_str()->group(group);
}

void apply_auth_flags(const AuthFlags& flags, auth::AuthOptions& options) {
  options.issuer = flags.issuer;
  options.audience = flags.audience;
  options.key_file = flags.key_file;
  options.user_id_claim = flags.user_id_claim.empty() ? "sub" : flags.user_id_claim;
  options.token_lifetime = std::chrono::seconds(flags.token_lifetime_seconds);
}

std::shared_ptr<auth::ServiceAuthenticator> install_auth(http::Router& router, store::Store& store,
                                                         const auth::AuthOptions& options) {
  std::shared_ptr<auth::ServiceAuthenticator> authenticator = auth::make_authenticator(options, store);
  auto login = std::make_shared<auth::LoginService>(*authenticator, store);
  api::add_auth_routes(router, {authenticator, std::move(login)});
  return authenticator;
}

}  // namespace scanhub::app
