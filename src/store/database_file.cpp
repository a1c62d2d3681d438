#include "store/database_file.hpp"

#include "lib/sqlite/statement.hpp"

#include <sqlite3.h>  // result codes only

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <system_error>

namespace scanhub::store {

namespace fs = std::filesystem;

namespace {

// The directory the database lives in ("." for a bare file name).
fs::path directory_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

bool read_only_file_system(const fs::path& path) {
  struct statvfs info {};
  return ::statvfs(path.c_str(), &info) == 0 && (info.f_flag & ST_RDONLY) != 0;
}

bool writable(const fs::path& path) { return ::access(path.c_str(), W_OK) == 0; }

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return text;
}

}  // namespace

DamagedDatabase::DamagedDatabase(fs::path path, std::vector<std::string> problems)
    : std::runtime_error("the database " + path.string() + " is damaged: " +
                         (problems.empty() ? std::string("integrity check failed") : problems.front())),
      path_(std::move(path)),
      problems_(std::move(problems)) {}

std::string describe_open_failure(const fs::path& path, const sqlite::Error& error) {
  const std::string prefix = "cannot open the database " + path.string() + ": ";
  const fs::path directory = directory_of(path);
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (fs::is_directory(status)) return prefix + "it is a directory, not a database file";
  const auto directory_status = fs::status(directory, ec);
  if (!fs::exists(directory_status)) {
    return prefix + "its directory " + directory.string() + " does not exist";
  }
  if (!fs::is_directory(directory_status)) {
    return prefix + directory.string() + " is not a directory";
  }
  const int primary = error.primary_code();
  if (primary == SQLITE_NOTADB) {
    return prefix + "the file is not a SQLite database (or its first page is damaged)";
  }
  if (primary == SQLITE_CORRUPT) {
    return prefix + "the file is damaged (" + error.code_text() + ")";
  }
  const bool exists = fs::exists(status);
  if (read_only_file_system(exists ? path : directory)) {
    return prefix + "it is on a read-only file system";
  }
  if (exists && !writable(path)) return prefix + "the file is read-only (no write permission)";
  if (!writable(directory)) {
    return prefix + "its directory " + directory.string() +
           " is not writable (SQLite keeps " + path.filename().string() + "-wal and " +
           path.filename().string() + "-shm beside the file)";
  }
  if (exists && ::access(path.c_str(), R_OK) != 0) {
    return prefix + "the file is not readable (no read permission)";
  }
  return prefix + error.code_text();
}

std::string describe_fault(const fs::path& path, const sqlite::Error& error) {
  const std::string db = path.string();
  const std::string why = " (" + error.code_text() + ")";
  switch (sqlite::fault_of(error.code())) {
    case sqlite::Fault::disk_full:
      return "the disk holding the database " + db + " is full" + why;
    case sqlite::Fault::io_error:
      return "the database " + db + " cannot be read or written: the disk reported an I/O error" + why;
    case sqlite::Fault::read_only:
      return "the database " + db + " became read-only" + why;
    case sqlite::Fault::cannot_open:
      return "the database " + db + " (or its -wal or -shm file) cannot be opened" + why;
    case sqlite::Fault::corrupt:
      return "the database file " + db + " is damaged" + why +
             ": stop scanhub, run `scanhub db check --db " + db + "` and restore a backup";
    case sqlite::Fault::none:
      break;
  }
  return "the database " + db + " failed" + why;
}

sqlite::Database open_read_write(const fs::path& path) {
  sqlite::OpenOptions options;
  options.create = true;
  try {
    sqlite::Database db(path, options);
    if (db.read_only()) {
      // SQLite opens a file it cannot write read-only without a word; every write would then
      // fail with "attempt to write a readonly database".
      const sqlite::Error error(SQLITE_READONLY, "opened read-only");
      throw OpenError(SQLITE_READONLY, describe_open_failure(path, error));
    }
    return db;
  } catch (const OpenError&) {
    throw;
  } catch (const sqlite::Error& e) {
    throw OpenError(e.code(), describe_open_failure(path, e));
  }
}

sqlite::Database open_read_only(const fs::path& path, bool immutable) {
  sqlite::OpenOptions options;
  options.read_only = true;
  options.create = false;
  try {
    if (!immutable) return sqlite::Database(path, options);
    // A URI filename (https://www.sqlite.org/uri.html): the path percent-encoded.
    std::string uri = "file:";
    constexpr std::string_view kHex = "0123456789ABCDEF";
    for (const unsigned char c : fs::absolute(path).string()) {
      if (std::isalnum(c) || std::string_view("/-._~").find(static_cast<char>(c)) != std::string_view::npos) {
        uri += static_cast<char>(c);
      } else {
        uri += '%';
        uri += kHex[c >> 4];
        uri += kHex[c & 15];
      }
    }
    return sqlite::Database(uri + "?immutable=1", options);
  } catch (const sqlite::Error& e) {
    throw OpenError(e.code(), describe_open_failure(path, e));
  }
}

IntegrityReport check_integrity(sqlite::Database& db, IntegrityCheck level, int max_problems,
                                std::optional<std::chrono::milliseconds> budget) {
  IntegrityReport report;
  auto& problems = report.problems;
  const auto add = [&](std::string problem) {
    if (static_cast<int>(problems.size()) < max_problems) problems.push_back(one_line(std::move(problem)));
  };
  if (budget) db.set_deadline(std::chrono::steady_clock::now() + *budget);
  struct NoDeadline {
    sqlite::Database& db;
    ~NoDeadline() { db.set_deadline(std::nullopt); }
  } no_deadline{db};
  const std::string n = std::to_string(std::max(1, max_problems));
  try {
    sqlite::Statement check(db, level == IntegrityCheck::quick ? "PRAGMA quick_check(" + n + ")"
                                                               : "PRAGMA integrity_check(" + n + ")");
    sqlite::Statement::Scope scope(check);
    while (check.step()) {
      // A row may hold several problems, one a line, after "*** in database main ***".
      std::string_view text = check.column_text(0);
      while (!text.empty()) {
        const auto end = text.find('\n');
        const std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        if (line.empty() || line == "ok" || line.starts_with("*** in database")) continue;
        add(std::string(line));
      }
    }
  } catch (const sqlite::Error& e) {
    if (budget && e.primary_code() == SQLITE_INTERRUPT) {
      report.complete = false;
      return report;
    }
    if (sqlite::fault_of(e.code()) != sqlite::Fault::corrupt) throw;
    add(e.code_text());
    return report;  // nothing more can be read
  }
  try {
    if (level == IntegrityCheck::full) {
      sqlite::Statement keys(db, "PRAGMA foreign_key_check");
      sqlite::Statement::Scope key_scope(keys);
      while (keys.step()) {
        add(keys.column_string(0) + " row " + std::to_string(keys.column_int64(1)) +
            " refers to a missing row of " + keys.column_string(2));
      }
    }
  } catch (const sqlite::Error& e) {
    if (budget && e.primary_code() == SQLITE_INTERRUPT) {
      report.complete = false;
      return report;
    }
    if (sqlite::fault_of(e.code()) != sqlite::Fault::corrupt) throw;
    // The damage the integrity check listed keeps the keys from being read.
    if (problems.empty()) add("foreign_key_check: " + e.code_text());
  }
  return report;
}

}  // namespace scanhub::store
