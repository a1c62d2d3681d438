#include "auth/login_service.hpp"

#include "lib/argon2/password_hash.hpp"
#include "store/store.hpp"

namespace scanhub::auth {

LoginService::LoginService(const ServiceAuthenticator& authenticator, store::Store& store, LoginLimits limits,
                           std::function<LoginLimiter::Clock::time_point()> clock)
    : authenticator_(authenticator),
      store_(store),
      limiter_(limits, std::move(clock)),
      dummy_hash_(argon2::hash_password("not a password anybody has")) {}

std::expected<LoginResult, LoginRefused> LoginService::login(std::string_view name, std::string_view password,
                                                             std::string_view address) {
  if (const auto wait = limiter_.retry_after(name, address)) {
    return std::unexpected(LoginRefused{LoginRefused::Reason::kRateLimited, *wait});
  }
  const std::string key(name);
  const auto user = store_.read([&](store::Connection& c) { return store::UserStore(c.db).find_by_name(key); });
  // The dummy verification makes an unknown name cost what a wrong password costs.
  const bool valid = argon2::verify_password(user ? user->password_hash : dummy_hash_, password) && user;
  if (!valid) {
    limiter_.record_failure(name, address);
    return std::unexpected(LoginRefused{});
  }
  limiter_.record_success(name);
  return LoginResult{authenticator_.issue(*user), *user};
}

bool LoginService::has_users() const {
  return store_.read([](store::Connection& c) { return store::UserStore(c.db).count() > 0; });
}

}  // namespace scanhub::auth
