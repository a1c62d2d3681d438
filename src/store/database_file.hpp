#pragma once
// The database file itself: opening it for the Store with a one-line reason in words when that
// fails (what an operator can fix: a missing or read-only directory, a read-only file or file
// system, a directory or a file that is not a database where the database should be), and
// SQLite's integrity checks (https://www.sqlite.org/pragma.html#pragma_integrity_check).
//
// Thread-safety: free functions on the caller's thread and the caller's connection.

#include "lib/sqlite/database.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace scanhub::store {

/// The database could not be opened for reading and writing. what() is one line naming the
/// path and the cause in words, never an SQL statement; code() is SQLite's result code
/// (SQLITE_READONLY when the file opened but only for reading).
class OpenError : public sqlite::Error {
 public:
  using sqlite::Error::Error;
};

/// An integrity check found the file damaged. what() names the path and the first problem.
class DamagedDatabase : public std::runtime_error {
 public:
  DamagedDatabase(std::filesystem::path path, std::vector<std::string> problems);
  const std::filesystem::path& path() const noexcept { return path_; }
  /// What the check reported, one line each (at most the check's max_problems).
  const std::vector<std::string>& problems() const noexcept { return problems_; }

 private:
  std::filesystem::path path_;
  std::vector<std::string> problems_;
};

/// Opens `path` for reading and writing, creating it when missing (its directory must exist).
/// Throws OpenError, also when SQLite could open it only for reading.
sqlite::Database open_read_write(const std::filesystem::path& path);

/// Opens the existing database `path` for reading only (`scanhub db check`): never creates,
/// migrates or checkpoints it. `immutable`: tell SQLite nothing can change the file (it then
/// needs no -shm file; for a file on a read-only file system). Throws OpenError.
sqlite::Database open_read_only(const std::filesystem::path& path, bool immutable = false);

/// Why `path` could not be opened (`error`: what SQLite said), in words: "cannot open the
/// database PATH: CAUSE". Looks at the file system (is it a directory, does the directory
/// exist, is it writable, is the file system read-only) to name the cause.
std::string describe_open_failure(const std::filesystem::path& path, const sqlite::Error& error);

/// A storage fault met while the database is in use (`error`: its fault_of is not none), in
/// words for an operator: names the database, the fault and, for a damaged file, what to do
/// (run `scanhub db check`, restore a backup).
std::string describe_fault(const std::filesystem::path& path, const sqlite::Error& error);

enum class IntegrityCheck {
  quick,  ///< PRAGMA quick_check: every page and b-tree, not index contents (start-up)
  full,   ///< PRAGMA integrity_check and PRAGMA foreign_key_check (`scanhub db check`)
};

struct IntegrityReport {
  /// What the check reported, one line each, at most max_problems; empty when ok.
  std::vector<std::string> problems;
  /// False when the time budget ran out first: no damage found in what was read.
  bool complete = true;
};

/// Runs the check on `db`, for at most `budget` (none: to its end). A file damaged so badly
/// that the check cannot run (SQLITE_CORRUPT, SQLITE_NOTADB) is reported as one problem, not
/// thrown; other failures throw sqlite::Error.
IntegrityReport check_integrity(sqlite::Database& db, IntegrityCheck level, int max_problems = 100,
                                std::optional<std::chrono::milliseconds> budget = std::nullopt);

}  // namespace scanhub::store
