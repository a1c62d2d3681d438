#pragma once
// base64url without padding (RFC 4648 section 5, as JWS uses it: RFC 7515 section 2), for JWT
// segments, JWK members and keys we print. Pure; thread-safe.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::auth {

std::string base64url_encode(std::span<const std::uint8_t> bytes);
inline std::string base64url_encode(std::string_view text) {
  return base64url_encode(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

/// The bytes of unpadded base64url `text`; nullopt for any other character (`=`, `+`, `/`,
/// whitespace), an impossible length (1 mod 4) or non-zero unused bits (a second spelling of
/// the same bytes would let one signature cover two tokens' text).
std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view text);

}  // namespace scanhub::auth
