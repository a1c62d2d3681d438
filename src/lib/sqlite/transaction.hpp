#pragma once
// Transaction guard: BEGIN IMMEDIATE (take the write lock up front, so a writer never
// deadlocks upgrading a read lock) or BEGIN DEFERRED for reads; rolls back unless committed.

#include "lib/sqlite/database.hpp"

namespace scanhub::sqlite {

class Transaction {
 public:
  enum class Mode { immediate, deferred };

  /// Begins the transaction. Throws Error (SQLITE_BUSY once busy_timeout expired).
  explicit Transaction(Database& db, Mode mode = Mode::immediate);
  /// Rolls back when commit() was not called; never throws.
  ~Transaction() noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  /// Commits. Throws Error; the destructor then rolls back.
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace scanhub::sqlite
