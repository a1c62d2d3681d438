#pragma once
// API keys for programs that report external jobs (issue 16 item 4): `shk_` followed by 32
// random bytes in base64url (43 characters). The prefix lets a key travel as a Bearer token
// and be told from a JWT without trying to parse it. Pure apart from the random bytes;
// thread-safe.

#include <string>
#include <string_view>

namespace scanhub::auth {

inline constexpr std::string_view kApiKeyPrefix = "shk_";

struct NewApiKey {
  std::string text;  ///< shown once, to whoever created it
  std::string hash;  ///< api_key_hash(text): all the database keeps
};

/// A fresh key. Throws crypto::Error when no random bytes can be had.
NewApiKey generate_api_key();

/// The SHA-256 of the key's text, lower-case hex. A fast unsalted hash is right here and not
/// for passwords: a key holds 256 random bits, so nobody can search for it from its hash,
/// however fast the hash; and a point lookup by hash needs the same hash for the same key.
std::string api_key_hash(std::string_view text);

/// Whether `text` has the shape of a key (prefix and length), not whether it is valid.
bool looks_like_api_key(std::string_view text) noexcept;

}  // namespace scanhub::auth
