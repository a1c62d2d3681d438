#pragma once
// The one error type of the SQLite wrapper: keeps SQLite's extended result code and message.

#include <stdexcept>
#include <string>

struct sqlite3;

namespace scanhub::sqlite {

/// Thrown by every wrapper call that fails. `code()` is SQLite's extended result code
/// (https://www.sqlite.org/rescode.html), e.g. SQLITE_CONSTRAINT_UNIQUE or SQLITE_CANTOPEN.
class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& message);
  int code() const noexcept { return code_; }
  int primary_code() const noexcept { return code_ & 0xff; }

 private:
  int code_;
};

/// Throws Error for `code` with `context` and, when `db` is set, its last error message.
[[noreturn]] void throw_error(sqlite3* db, int code, const std::string& context);

}  // namespace scanhub::sqlite
