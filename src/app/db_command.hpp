#pragma once
// `scanhub db check [--db PATH]`: SQLite's full PRAGMA integrity_check and foreign_key_check of
// the database file, read-only (it never creates, migrates or checkpoints the file; a running
// server may keep serving meanwhile). What `serve` and `scan` point to when their start-up
// quick_check refuses a damaged file.

#include <string>

namespace scanhub::app {

struct DbCheckOptions {
  std::string database;
};

/// Prints the result on stdout (problems, one a line) and returns the exit code: 0 when the
/// database is ok, 1 when it is damaged or cannot be opened (one line on stderr naming the path
/// and the cause).
int run_db_check_command(const DbCheckOptions& options);

}  // namespace scanhub::app
