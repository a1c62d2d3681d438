#pragma once
// An Authenticator for tests of the surfaces (http, signalr, live): authentication required,
// and the valid credentials are the bearer tokens (or API keys) the test lists, each with its
// principal. Anything else is refused as a real validator would: no credentials ->
// invalid_request without a description; an unknown token -> invalid_token, "The signature is
// invalid.". Thread-safe once set up (add before serving).

#include "auth/authenticator.hpp"

#include <map>
#include <string>

namespace scanhub::test {

class TestAuthenticator final : public auth::Authenticator {
 public:
  /// `token` (as Bearer or X-Api-Key) authenticates as `principal`.
  TestAuthenticator& add(std::string token, auth::Principal principal) {
    tokens_[std::move(token)] = std::move(principal);
    return *this;
  }
  /// A user (role "user") or an admin, with source kToken and the given expiry.
  static auth::Principal user(std::string id, bool admin = false,
                              std::chrono::system_clock::time_point expires =
                                  std::chrono::system_clock::time_point::max()) {
    auth::Principal principal;
    principal.user_id = id;
    principal.name = std::move(id);
    principal.roles = {admin ? "admin" : "user"};
    principal.admin = admin;
    principal.expires = expires;
    principal.source = auth::Principal::Source::kToken;
    return principal;
  }

  bool required() const noexcept override { return true; }
  std::expected<auth::Principal, auth::AuthFailure> authenticate(
      const auth::Credentials& credentials) const override {
    if (credentials.bearer_token.empty() && credentials.api_key.empty()) {
      return std::unexpected(auth::AuthFailure{"invalid_request", ""});
    }
    for (std::string_view given : {credentials.bearer_token, credentials.api_key}) {
      if (given.empty()) continue;
      if (auto it = tokens_.find(std::string(given)); it != tokens_.end()) return it->second;
    }
    return std::unexpected(auth::AuthFailure{"invalid_token", "The signature is invalid."});
  }

 private:
  std::map<std::string, auth::Principal, std::less<>> tokens_;
};

}  // namespace scanhub::test
