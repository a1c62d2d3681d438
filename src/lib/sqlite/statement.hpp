#pragma once
// RAII wrapper of one prepared statement. Bindings are 1-based as in SQLite. `step()` returns
// true while a row is available. A statement is reset and its bindings cleared when a
// `Statement::Scope` ends, so a cached statement never leaks state between uses.

#include "lib/sqlite/database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3_stmt;

namespace scanhub::sqlite {

class Statement {
 public:
  /// Prepares `sql` on `db`. Throws Error with the SQL in the message when it does not compile.
  Statement(Database& db, std::string_view sql);
  ~Statement() noexcept;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);  ///< copied (SQLITE_TRANSIENT)
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Statement& bind_null(int index);
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  /// Advances; true when a row is available, false when done. Throws Error on failure
  /// (SQLITE_BUSY after the busy timeout, constraint violations, I/O errors).
  bool step();
  /// Steps a statement that returns no rows (INSERT/UPDATE/DELETE) and resets it.
  void run();
  void reset() noexcept;

  bool is_null(int column) const noexcept;
  std::int64_t column_int64(int column) const noexcept;
  int column_int(int column) const noexcept;
  double column_double(int column) const noexcept;
  /// Text of the column; empty for NULL. Valid until the next step/reset.
  std::string_view column_text(int column) const noexcept;
  std::string column_string(int column) const { return std::string(column_text(column)); }
  std::optional<std::int64_t> column_optional_int64(int column) const noexcept;
  std::optional<std::string> column_optional_string(int column) const;

  sqlite3_stmt* get() const noexcept { return stmt_; }

  /// Resets the statement and clears its bindings when it goes out of scope.
  class Scope {
   public:
    explicit Scope(Statement& statement) noexcept : statement_(statement) {}
    ~Scope() noexcept;
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Statement& statement_;
  };

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace scanhub::sqlite
