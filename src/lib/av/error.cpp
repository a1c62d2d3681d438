#include "lib/av/error.hpp"

extern "C" {
#include <libavutil/error.h>
}

namespace scanhub::av {

Error::Error(int code, const std::string& message) : std::runtime_error(message), code_(code) {}

std::string error_text(int code) {
  char buffer[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(code, buffer, sizeof buffer) < 0) return "error " + std::to_string(code);
  return buffer;
}

void throw_error(int code, const std::string& context) {
  throw Error(code, context + ": " + error_text(code));
}

}  // namespace scanhub::av
