#pragma once
// The one error type of the libav* wrapper: keeps FFmpeg's AVERROR code and its message.

#include <stdexcept>
#include <string>

namespace scanhub::av {

/// Thrown by every wrapper call that fails. `code()` is FFmpeg's negative AVERROR value
/// (e.g. AVERROR_INVALIDDATA for "Invalid data found when processing input", AVERROR(ENOENT)).
class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& message);
  int code() const noexcept { return code_; }

 private:
  int code_;
};

/// FFmpeg's text for an AVERROR value (av_strerror), e.g. "Invalid data found when processing
/// input".
std::string error_text(int code);

/// Throws Error for `code` as "<context>: <FFmpeg's text>".
[[noreturn]] void throw_error(int code, const std::string& context);

}  // namespace scanhub::av
