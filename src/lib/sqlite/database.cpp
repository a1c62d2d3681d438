#include "lib/sqlite/database.hpp"

#include <sqlite3.h>

#include <string>
#include <utility>

namespace scanhub::sqlite {

Database::Database(const std::filesystem::path& path, const OpenOptions& options) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  if (options.read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE;
    if (options.create) flags |= SQLITE_OPEN_CREATE;
  }
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "cannot open database " + path.string() + ": ";
    message += db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    const int code = db_ ? sqlite3_extended_errcode(db_) : rc;
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw Error(code, message);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, static_cast<int>(options.busy_timeout.count()));
  try {
    exec("PRAGMA foreign_keys = ON");
    if (!options.read_only) {
      exec("PRAGMA journal_mode = WAL");
      exec("PRAGMA synchronous = NORMAL");
    }
  } catch (const Error& e) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw Error(e.code(), "cannot open database " + path.string() + ": " + e.what());
  }
}

Database::~Database() noexcept {
  if (db_) sqlite3_close_v2(db_);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), deadline_(std::move(other.deadline_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    deadline_ = std::move(other.deadline_);
  }
  return *this;
}

namespace {
extern "C" int past_deadline(void* deadline) {
  return std::chrono::steady_clock::now() >= *static_cast<std::chrono::steady_clock::time_point*>(deadline) ? 1 : 0;
}
}  // namespace

void Database::set_deadline(std::optional<std::chrono::steady_clock::time_point> deadline) noexcept {
  if (!deadline) {
    sqlite3_progress_handler(db_, 0, nullptr, nullptr);
    deadline_.reset();
    return;
  }
  if (!deadline_) deadline_ = std::make_unique<std::chrono::steady_clock::time_point>();
  *deadline_ = *deadline;
  sqlite3_progress_handler(db_, 10000, past_deadline, deadline_.get());
}

void Database::exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) throw_error(db_, rc, "exec failed");
}

std::int64_t Database::last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_); }

int Database::changes() const noexcept { return sqlite3_changes(db_); }

bool Database::in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

bool Database::read_only() const noexcept { return sqlite3_db_readonly(db_, "main") == 1; }

}  // namespace scanhub::sqlite
