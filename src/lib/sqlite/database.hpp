#pragma once
// RAII wrapper of one sqlite3 connection. Move-only; not thread-safe: one connection per thread
// (the store keeps one writer connection and separate reader connections, WAL mode).

#include "lib/sqlite/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

struct sqlite3;

namespace scanhub::sqlite {

struct OpenOptions {
  bool read_only = false;
  bool create = true;  ///< create the file if missing (ignored when read_only)
  /// How long a statement waits for a lock held by another connection before SQLITE_BUSY.
  std::chrono::milliseconds busy_timeout{5000};
};

class Database {
 public:
  /// Opens `path` in WAL mode with foreign keys on and synchronous=NORMAL.
  /// Throws Error (e.g. SQLITE_CANTOPEN for a missing directory or unwritable file).
  explicit Database(const std::filesystem::path& path, const OpenOptions& options = {});
  ~Database() noexcept;
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// Runs one or more statements without results (DDL, PRAGMA). Throws Error.
  void exec(std::string_view sql);

  /// Rowid of the last INSERT on this connection.
  std::int64_t last_insert_rowid() const noexcept;
  /// Rows changed by the last INSERT, UPDATE or DELETE on this connection.
  int changes() const noexcept;
  /// True inside a transaction. False after an error that rolled the whole transaction back
  /// by itself (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM may: lang_transaction.html), when a
  /// ROLLBACK TO of a savepoint would fail with "no such savepoint".
  bool in_transaction() const noexcept;
  /// True when the main database is open read-only: asked for (OpenOptions::read_only), or
  /// SQLite fell back to it because the file could not be opened for writing (a read-only file
  /// or file system).
  bool read_only() const noexcept;

  /// From now on, a statement still running at `deadline` fails with SQLITE_INTERRUPT (checked
  /// every few thousand steps of SQLite's virtual machine); nullopt removes the deadline.
  void set_deadline(std::optional<std::chrono::steady_clock::time_point> deadline) noexcept;

  sqlite3* get() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
  /// The progress handler's argument: on the heap, so a moved Database keeps it valid.
  std::unique_ptr<std::chrono::steady_clock::time_point> deadline_;
};

}  // namespace scanhub::sqlite
