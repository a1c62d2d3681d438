#pragma once
// The one error type of the SQLite wrapper: keeps SQLite's extended result code and message;
// and the classification of result codes into storage faults (the file or its disk failed, as
// opposed to a statement's own error such as a constraint violation).

#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;

namespace scanhub::sqlite {

/// Thrown by every wrapper call that fails. `code()` is SQLite's extended result code
/// (https://www.sqlite.org/rescode.html), e.g. SQLITE_CONSTRAINT_UNIQUE or SQLITE_CANTOPEN.
class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& message);
  int code() const noexcept { return code_; }
  int primary_code() const noexcept { return code_ & 0xff; }
  /// SQLite's words for the code alone (sqlite3_errstr: "database or disk is full"), without
  /// the statement or context of what().
  std::string code_text() const;

 private:
  int code_;
};

/// Throws Error for `code` with `context` and, when `db` is set, its last error message.
[[noreturn]] void throw_error(sqlite3* db, int code, const std::string& context);

/// A storage fault: the database file, its directory or its disk failed, whatever the
/// statement. Classified by primary result code (rescode.html):
enum class Fault {
  none,         ///< not a storage fault (constraint, SQL error, SQLITE_BUSY, ...)
  disk_full,    ///< SQLITE_FULL
  io_error,     ///< SQLITE_IOERR and its extended codes
  read_only,    ///< SQLITE_READONLY and its extended codes
  cannot_open,  ///< SQLITE_CANTOPEN (the file, its -wal or -shm, or its directory)
  corrupt,      ///< SQLITE_CORRUPT or SQLITE_NOTADB: the file's content is damaged
};

Fault fault_of(int code) noexcept;
/// Words for an operator: "the disk is full", "the database file is damaged", ...
std::string_view describe(Fault fault) noexcept;
/// True for faults that may go away by themselves (space freed, a disk remounted); a damaged
/// file does not mend by waiting.
inline bool transient(Fault fault) noexcept { return fault != Fault::none && fault != Fault::corrupt; }

/// The first Error with a storage fault in `error` or in the exceptions nested in it
/// (std::throw_with_nested); nullopt when there is none.
std::optional<Error> find_fault(std::exception_ptr error);

}  // namespace scanhub::sqlite
