#include "store/user_store.hpp"

namespace scanhub::store {

namespace {

constexpr const char* kUserColumns = "id, name, password_hash, admin, created_at";

UserRow read_user(const sqlite::Statement& s) {
  UserRow user;
  user.id = s.column_int64(0);
  user.name = s.column_string(1);
  user.password_hash = s.column_string(2);
  user.admin = s.column_int64(3) != 0;
  user.created_at = core::parse_iso8601(s.column_text(4)).value_or(core::TimePoint{});
  return user;
}

constexpr const char* kKeySelect =
    "SELECT k.id, k.name, k.key_hash, k.user_id, u.name, k.admin, k.created_at "
    "FROM api_keys k LEFT JOIN users u ON u.id = k.user_id";

ApiKeyRow read_key(const sqlite::Statement& s) {
  ApiKeyRow key;
  key.id = s.column_int64(0);
  key.name = s.column_string(1);
  key.key_hash = s.column_string(2);
  if (!s.is_null(3)) key.user_id = s.column_int64(3);
  if (!s.is_null(4)) key.user_name = s.column_string(4);
  key.admin = s.column_int64(5) != 0;
  key.created_at = core::parse_iso8601(s.column_text(6)).value_or(core::TimePoint{});
  return key;
}

}  // namespace

UserRow UserStore::add(UserRow user) {
  sqlite::Statement s(db_, "INSERT INTO users (name, password_hash, admin, created_at) VALUES (?, ?, ?, ?)");
  s.bind(1, user.name).bind(2, user.password_hash).bind(3, static_cast<std::int64_t>(user.admin ? 1 : 0));
  s.bind(4, core::format_iso8601(user.created_at));
  s.run();
  user.id = db_.last_insert_rowid();
  return user;
}

std::optional<UserRow> UserStore::find_by_name(const std::string& name) {
  sqlite::Statement s(db_, std::string("SELECT ") + kUserColumns + " FROM users WHERE name = ?");
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return read_user(s);
}

std::optional<UserRow> UserStore::get(std::int64_t id) {
  sqlite::Statement s(db_, std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_user(s);
}

std::vector<UserRow> UserStore::list() {
  sqlite::Statement s(db_, std::string("SELECT ") + kUserColumns + " FROM users ORDER BY name");
  std::vector<UserRow> users;
  while (s.step()) users.push_back(read_user(s));
  return users;
}

bool UserStore::remove(const std::string& name) {
  sqlite::Statement s(db_, "DELETE FROM users WHERE name = ?");
  s.bind(1, name);
  s.run();
  return db_.changes() > 0;
}

bool UserStore::set_password_hash(const std::string& name, const std::string& password_hash) {
  sqlite::Statement s(db_, "UPDATE users SET password_hash = ? WHERE name = ?");
  s.bind(1, password_hash).bind(2, name);
  s.run();
  return db_.changes() > 0;
}

std::int64_t UserStore::count() {
  sqlite::Statement s(db_, "SELECT COUNT(*) FROM users");
  s.step();
  return s.column_int64(0);
}

ApiKeyRow ApiKeyStore::add(ApiKeyRow key) {
  sqlite::Statement s(db_,
                      "INSERT INTO api_keys (name, key_hash, user_id, admin, created_at) VALUES (?, ?, ?, ?, ?)");
  s.bind(1, key.name).bind(2, key.key_hash);
  if (key.user_id) {
    s.bind(3, *key.user_id);
  } else {
    s.bind_null(3);
  }
  s.bind(4, static_cast<std::int64_t>(key.admin ? 1 : 0)).bind(5, core::format_iso8601(key.created_at));
  s.run();
  key.id = db_.last_insert_rowid();
  return key;
}

std::optional<ApiKeyRow> ApiKeyStore::find_by_hash(const std::string& key_hash) {
  sqlite::Statement s(db_, std::string(kKeySelect) + " WHERE k.key_hash = ?");
  s.bind(1, key_hash);
  if (!s.step()) return std::nullopt;
  return read_key(s);
}

std::vector<ApiKeyRow> ApiKeyStore::list() {
  sqlite::Statement s(db_, std::string(kKeySelect) + " ORDER BY k.name");
  std::vector<ApiKeyRow> keys;
  while (s.step()) keys.push_back(read_key(s));
  return keys;
}

bool ApiKeyStore::revoke(const std::string& name) {
  sqlite::Statement s(db_, "DELETE FROM api_keys WHERE name = ?");
  s.bind(1, name);
  s.run();
  return db_.changes() > 0;
}

}  // namespace scanhub::store
