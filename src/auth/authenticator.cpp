#include "auth/authenticator.hpp"

namespace scanhub::auth {

namespace {

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    // A header value cannot carry line breaks or other controls.
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  out += '"';
  return out;
}

}  // namespace

std::string www_authenticate(const AuthFailure* failure) {
  if (failure == nullptr || failure->description.empty()) return "Bearer";
  return "Bearer error=" + quoted(failure->error) +
         ", error_description=" + quoted(failure->description);
}

}  // namespace scanhub::auth
