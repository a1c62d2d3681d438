#include "lib/sqlite/transaction.hpp"

namespace scanhub::sqlite {

Transaction::Transaction(Database& db, Mode mode) : db_(db) {
  db_.exec(mode == Mode::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
}

Transaction::~Transaction() noexcept {
  if (done_) return;
  try {
    db_.exec("ROLLBACK");
  } catch (...) {
    // The connection already rolled back (e.g. after SQLITE_FULL); nothing left to undo.
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace scanhub::sqlite
