#include "lib/sqlite/error.hpp"

#include <sqlite3.h>

namespace scanhub::sqlite {

Error::Error(int code, const std::string& message) : std::runtime_error(message), code_(code) {}

void throw_error(sqlite3* db, int code, const std::string& context) {
  std::string message = context + ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw Error(db ? sqlite3_extended_errcode(db) : code, message);
}

}  // namespace scanhub::sqlite
