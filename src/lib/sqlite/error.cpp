#include "lib/sqlite/error.hpp"

#include <sqlite3.h>

namespace scanhub::sqlite {

Error::Error(int code, const std::string& message) : std::runtime_error(message), code_(code) {}

std::string Error::code_text() const { return sqlite3_errstr(code_); }

void throw_error(sqlite3* db, int code, const std::string& context) {
  std::string message = context + ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw Error(db ? sqlite3_extended_errcode(db) : code, message);
}

Fault fault_of(int code) noexcept {
  switch (code & 0xff) {
    case SQLITE_FULL: return Fault::disk_full;
    case SQLITE_IOERR: return Fault::io_error;
    case SQLITE_READONLY: return Fault::read_only;
    case SQLITE_CANTOPEN: return Fault::cannot_open;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Fault::corrupt;
    default: return Fault::none;
  }
}

std::string_view describe(Fault fault) noexcept {
  switch (fault) {
    case Fault::none: return "no storage fault";
    case Fault::disk_full: return "the disk is full";
    case Fault::io_error: return "the disk reported an I/O error";
    case Fault::read_only: return "the database became read-only";
    case Fault::cannot_open: return "the database files cannot be opened";
    case Fault::corrupt: return "the database file is damaged";
  }
  return "unknown storage fault";
}

std::optional<Error> find_fault(std::exception_ptr error) {
  while (error) {
    try {
      std::rethrow_exception(error);
    } catch (const Error& e) {
      if (fault_of(e.code()) != Fault::none) return e;
      error = nullptr;
      if (const auto* nested = dynamic_cast<const std::nested_exception*>(&e)) error = nested->nested_ptr();
    } catch (const std::nested_exception& e) {
      error = e.nested_ptr();
    } catch (...) {
      error = nullptr;
    }
  }
  return std::nullopt;
}

}  // namespace scanhub::sqlite
