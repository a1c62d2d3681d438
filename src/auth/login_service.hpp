#pragma once
// Signing in with a local user's name and password (POST /api/auth/login; issue 16 item 2).
//
// A wrong password and an unknown name give the same answer, in similar time: an unknown name
// is checked against a dummy Argon2id hash of the same cost. Failures are counted per name and
// per client address (login_limiter.hpp); at a limit the password is not even checked.
//
// Threading: login() blocks for an Argon2id verification (~30 ms of one core and 19 MiB):
// call it on a worker thread, never a network thread. Thread-safe.

#include "auth/login_limiter.hpp"
#include "auth/service_authenticator.hpp"
#include "store/user_store.hpp"

#include <expected>
#include <string>
#include <string_view>

namespace scanhub::auth {

struct LoginResult {
  IssuedToken token;
  store::UserRow user;
};

struct LoginRefused {
  enum class Reason { kWrongCredentials, kRateLimited };
  Reason reason = Reason::kWrongCredentials;
  std::chrono::seconds retry_after{0};  ///< kRateLimited: whole seconds to wait
};

class LoginService {
 public:
  /// `authenticator` issues the tokens; both it and `store` must outlive this object. Makes the
  /// dummy hash (one Argon2id hash: ~30 ms). Throws argon2::Error.
  LoginService(const ServiceAuthenticator& authenticator, store::Store& store, LoginLimits limits = {},
               std::function<LoginLimiter::Clock::time_point()> clock = {});

  /// Blocking; see above. Throws sqlite::Error (the database failed) or argon2::Error.
  std::expected<LoginResult, LoginRefused> login(std::string_view name, std::string_view password,
                                                 std::string_view address);

  /// Whether any local user exists (GET /api/auth/config's `localUsers`).
  bool has_users() const;

 private:
  const ServiceAuthenticator& authenticator_;
  store::Store& store_;
  LoginLimiter limiter_;
  std::string dummy_hash_;
};

}  // namespace scanhub::auth
