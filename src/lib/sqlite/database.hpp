#pragma once
// RAII wrapper of one sqlite3 connection. Move-only; not thread-safe: one connection per thread
// (the store keeps one writer connection and separate reader connections, WAL mode).

#include "lib/sqlite/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
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

  sqlite3* get() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace scanhub::sqlite
