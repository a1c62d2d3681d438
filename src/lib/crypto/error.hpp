#pragma once
// The one error type of the OpenSSL wrapper: keeps OpenSSL's packed error code and its text.

#include <stdexcept>
#include <string>

namespace scanhub::crypto {

/// Thrown when an OpenSSL call fails (allocation, a digest the provider does not offer). These
/// are environment failures or our bugs, not bad input: hashing never fails on file content.
/// `code()` is the first entry of OpenSSL's thread-local error queue (ERR_get_error), 0 if empty.
class Error : public std::runtime_error {
 public:
  Error(unsigned long code, const std::string& message);
  unsigned long code() const noexcept { return code_; }

 private:
  unsigned long code_;
};

/// Throws Error with `context` and the text of OpenSSL's oldest queued error; empties the queue
/// (it is per thread, and a stale entry would be blamed on the next failure).
[[noreturn]] void throw_error(const std::string& context);

}  // namespace scanhub::crypto
