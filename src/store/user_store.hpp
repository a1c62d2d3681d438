#pragma once
// Local users and API keys (issue 16 item 2 and API keys; tables `users` and `api_keys`,
// migration 10). Not thread-safe: made on a connection where needed (`UserStore(c.db)` inside
// Store::read or Store::write; cheap: it holds a reference), used by that thread only. Writes
// run inside the caller's transaction. Throws sqlite::Error.
//
// Names compare without regard to ASCII case (COLLATE NOCASE): `Ada` and `ada` are one user.
// Secrets never pass through here in clear: a user's password is an Argon2id PHC string, an API
// key its SHA-256 in hex (auth/ makes both).

#include "core/time.hpp"
#include "lib/sqlite/statement.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scanhub::store {

struct UserRow {
  std::int64_t id = 0;
  std::string name;
  std::string password_hash;  ///< Argon2id PHC string
  bool admin = false;
  core::TimePoint created_at{};
};

struct ApiKeyRow {
  std::int64_t id = 0;
  std::string name;
  std::string key_hash;                ///< SHA-256 of the key's text, lower-case hex
  std::optional<std::int64_t> user_id;  ///< the user it acts for, if any
  std::optional<std::string> user_name;  ///< filled by reads (join)
  bool admin = false;
  core::TimePoint created_at{};
};

class UserStore {
 public:
  explicit UserStore(sqlite::Database& db) : db_(db) {}

  /// Inserts; returns the row with its id. Throws sqlite::Error with SQLITE_CONSTRAINT_UNIQUE
  /// when the name is taken (any case).
  UserRow add(UserRow user);
  std::optional<UserRow> find_by_name(const std::string& name);
  std::optional<UserRow> get(std::int64_t id);
  std::vector<UserRow> list();
  /// False when there was no such user. Its API keys go with it.
  bool remove(const std::string& name);
  /// False when there was no such user.
  bool set_password_hash(const std::string& name, const std::string& password_hash);
  std::int64_t count();

 private:
  sqlite::Database& db_;
};

class ApiKeyStore {
 public:
  explicit ApiKeyStore(sqlite::Database& db) : db_(db) {}

  /// Inserts; throws sqlite::Error (SQLITE_CONSTRAINT_UNIQUE: the name is taken).
  ApiKeyRow add(ApiKeyRow key);
  /// The key whose hash is `key_hash` (a point lookup on the unique index).
  std::optional<ApiKeyRow> find_by_hash(const std::string& key_hash);
  std::vector<ApiKeyRow> list();
  /// Deletes the key: false when there was none of that name.
  bool revoke(const std::string& name);

 private:
  sqlite::Database& db_;
};

}  // namespace scanhub::store
