#include "lib/crypto/error.hpp"

#include <openssl/err.h>

#include <array>

namespace scanhub::crypto {

Error::Error(unsigned long code, const std::string& message)
    : std::runtime_error(message), code_(code) {}

void throw_error(const std::string& context) {
  const unsigned long code = ERR_get_error();
  std::string message = context;
  if (code != 0) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    message += ": ";
    message += text.data();
  }
  ERR_clear_error();
  throw Error(code, message);
}

}  // namespace scanhub::crypto
