// The users and api_keys tables (migration 10): names unique in any case, a user's keys go with
// them, a key found by its hash alone. Real SQLite file.

#include "store/store.hpp"
#include "store/user_store.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

using namespace scanhub;

namespace {

struct UserStoreTest : testing::Test {
  test::TempDir dir;
  store::Store store{dir / "scanhub.db"};

  store::UserRow add_user(const std::string& name) {
    store::UserRow user;
    user.name = name;
    user.password_hash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA";
    store.write_sync([&](store::Connection& c) { user = store::UserStore(c.db).add(user); });
    return user;
  }
};

TEST_F(UserStoreTest, NamesAreUniqueWhateverTheirCase) {
  const auto ada = add_user("Ada");
  EXPECT_THROW(add_user("ADA"), sqlite::Error);
  const auto found = store.read([](store::Connection& c) { return store::UserStore(c.db).find_by_name("ada"); });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, ada.id);
  EXPECT_EQ(found->name, "Ada");
}

TEST_F(UserStoreTest, AUsersKeysGoWithThem) {
  const auto ada = add_user("ada");
  store::ApiKeyRow key;
  key.name = "reporter";
  key.key_hash = std::string(64, 'a');
  key.user_id = ada.id;
  store.write_sync([&](store::Connection& c) { store::ApiKeyStore(c.db).add(key); });
  const auto found = store.read([&](store::Connection& c) { return store::ApiKeyStore(c.db).find_by_hash(key.key_hash); });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->user_name, "ada");
  bool removed = false;
  store.write_sync([&](store::Connection& c) { removed = store::UserStore(c.db).remove("ADA"); });
  EXPECT_TRUE(removed);
  EXPECT_FALSE(store.read([&](store::Connection& c) { return store::ApiKeyStore(c.db).find_by_hash(key.key_hash); }));
}

}  // namespace
