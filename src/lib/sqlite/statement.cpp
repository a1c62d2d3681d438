#include "lib/sqlite/statement.hpp"

#include <sqlite3.h>

#include <utility>

namespace scanhub::sqlite {

Statement::Statement(Database& db, std::string_view sql) {
  const int rc = sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) throw_error(db.get(), rc, "cannot prepare `" + std::string(sql) + "`");
}

Statement::~Statement() noexcept { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

namespace {
void check_bind(sqlite3_stmt* stmt, int rc) {
  if (rc != SQLITE_OK) throw_error(sqlite3_db_handle(stmt), rc, "bind failed");
}
}  // namespace

Statement& Statement::bind(int index, std::int64_t value) {
  check_bind(stmt_, sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, double value) {
  check_bind(stmt_, sqlite3_bind_double(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  check_bind(stmt_, sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                                        SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind_null(int index) {
  check_bind(stmt_, sqlite3_bind_null(stmt_, index));
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(stmt_);
  const std::string sql = sqlite3_sql(stmt_) ? sqlite3_sql(stmt_) : "";
  sqlite3_reset(stmt_);
  throw_error(db, rc, "statement `" + sql + "` failed");
}

void Statement::run() {
  Scope scope(*this);
  while (step()) {
  }
}

void Statement::reset() noexcept { sqlite3_reset(stmt_); }

bool Statement::is_null(int column) const noexcept {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int column) const noexcept {
  return sqlite3_column_int64(stmt_, column);
}

int Statement::column_int(int column) const noexcept { return sqlite3_column_int(stmt_, column); }

double Statement::column_double(int column) const noexcept {
  return sqlite3_column_double(stmt_, column);
}

std::string_view Statement::column_text(int column) const noexcept {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (!text) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::optional<std::int64_t> Statement::column_optional_int64(int column) const noexcept {
  if (is_null(column)) return std::nullopt;
  return column_int64(column);
}

std::optional<std::string> Statement::column_optional_string(int column) const {
  if (is_null(column)) return std::nullopt;
  return column_string(column);
}

Statement::Scope::~Scope() noexcept {
  sqlite3_reset(statement_.stmt_);
  sqlite3_clear_bindings(statement_.stmt_);
}

}  // namespace scanhub::sqlite
