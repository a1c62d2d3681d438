#pragma once
// Who is calling: the user a REST request, a hub connection or an event stream acts for.
//
// Source: ASP.NET Core's ClaimsPrincipal as seed 004 uses it (`Context.User`, the
// NameIdentifier claim for the user id, role claims for `[Authorize(Roles = ...)]`), and
// seed 004's `EnableAuth`: with authentication off every caller is anonymous and may do
// everything, as scanhub allowed before authentication existed.
//
// A value type: copy it freely. Threading: none of its own.

#include <chrono>
#include <string>
#include <vector>

namespace scanhub::auth {

struct Principal {
  /// Where the principal came from.
  enum class Source {
    kAnonymous,  ///< authentication is off
    kToken,      ///< a JWT bearer token (an identity provider's or one of POST /api/auth/login)
    kApiKey,     ///< an API key (`scanhub apikey create`), for programs reporting external jobs
  };

  /// The user id: the token's `sub` claim (or the configured claim, as ASP.NET Core's
  /// NameIdentifier), a local user's id, or the API key's owner. Empty when anonymous.
  std::string user_id;
  /// For people: `name`, `unique_name` or `preferred_username`, else the user id.
  std::string name;
  /// Every role the token's `role`/`roles` claims carry (a string or an array of strings).
  std::vector<std::string> roles;
  /// Role `admin`: manages libraries, starts and cancels any scan, sees every user's jobs.
  /// True for the anonymous principal (authentication off).
  bool admin = false;
  /// When the credential stops being valid (the token's `exp`); time_point::max() for API keys
  /// and the anonymous principal. A hub connection is closed at this time
  /// (ASP.NET Core's CloseOnAuthenticationExpiration).
  std::chrono::system_clock::time_point expires = std::chrono::system_clock::time_point::max();
  Source source = Source::kAnonymous;

  bool anonymous() const noexcept { return source == Source::kAnonymous; }
};

/// The principal of every caller when authentication is off: anonymous, an admin, never expires.
inline Principal anonymous_principal() {
  Principal principal;
  principal.admin = true;
  principal.source = Principal::Source::kAnonymous;
  return principal;
}

}  // namespace scanhub::auth
