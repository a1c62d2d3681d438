// The authenticator serve builds: the server's own tokens for local users, an identity
// provider's tokens beside them, API keys, and signing in with a password (issue 16 items 2-4).
// Real SQLite files, real Argon2id hashes.

#include "auth/api_key.hpp"
#include "auth/jwt.hpp"
#include "auth/login_service.hpp"
#include "auth/server_key.hpp"
#include "auth/service_authenticator.hpp"
#include "lib/argon2/password_hash.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

namespace scanhub::auth {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

Credentials bearer(std::string_view token) {
  Credentials credentials;
  credentials.bearer_token = token;
  return credentials;
}
Credentials api_key(std::string_view key) {
  Credentials credentials;
  credentials.api_key = key;
  return credentials;
}

const std::string kIdpSecret = "the-identity-providers-hs256-secret";

class ServiceAuthenticatorTest : public ::testing::Test {
 protected:
  ServiceAuthenticatorTest() : store_(dir_ / "scanhub.db") {
    {
      std::ofstream key(dir_ / "idp.key");
      key << kIdpSecret << "\n";
    }
    options_.required = true;
    options_.issuer = "https://idp.example";
    options_.audience = "scanhub-api";
    options_.key_file = dir_ / "idp.key";
    options_.clock = [this] { return now_; };
  }

  store::UserRow add_user(const std::string& name, const std::string& password, bool admin) {
    store::UserRow user;
    user.name = name;
    user.password_hash = argon2::hash_password(password);
    user.admin = admin;
    user.created_at = now_;
    store_.write_sync([&](store::Connection& c) { user = store::UserStore(c.db).add(user); });
    return user;
  }

  std::string add_key(const std::string& name, std::optional<std::int64_t> user, bool admin) {
    const auto key = generate_api_key();
    store::ApiKeyRow row;
    row.name = name;
    row.key_hash = key.hash;
    row.user_id = user;
    row.admin = admin;
    row.created_at = now_;
    store_.write_sync([&](store::Connection& c) { store::ApiKeyStore(c.db).add(row); });
    return key.text;
  }

  test::TempDir dir_;
  store::Store store_;
  AuthOptions options_;
  Clock::time_point now_ = Clock::time_point(std::chrono::seconds(1'800'000'000));
};

TEST_F(ServiceAuthenticatorTest, CreatesThePrivateServerKeyOnceBesideTheDatabase) {
  const auto first = make_authenticator(options_, store_);
  const auto path = dir_ / "auth.key";
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const auto user = add_user("ada", "correct horse", false);
  const auto token = first->issue(user).token;
  // A second start reads the same key, so its tokens stay valid.
  const auto second = make_authenticator(options_, store_);
  EXPECT_TRUE(second->authenticate(bearer(token)).has_value());
  ::chmod(path.c_str(), 0644);
  try {
    make_authenticator(options_, store_);
    FAIL() << "a key others may read was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
  }
}

TEST_F(ServiceAuthenticatorTest, RefusesABadKeyFileWithOneLine) {
  options_.key_file = dir_ / "missing.pem";
  try {
    make_authenticator(options_, store_);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), (dir_ / "missing.pem").string() + ": no such key file");
  }
}

TEST_F(ServiceAuthenticatorTest, AcceptsLocalTokensBesideTheIdentityProvidersAndRefusesOthers) {
  const auto authenticator = make_authenticator(options_, store_);
  const auto ada = add_user("ada", "correct horse", true);
  const auto issued = authenticator->issue(ada);
  EXPECT_EQ(issued.expires_at, now_ + 12h);

  const auto local = authenticator->authenticate(bearer(issued.token));
  ASSERT_TRUE(local.has_value()) << local.error().description;
  EXPECT_EQ(local->user_id, std::to_string(ada.id));
  EXPECT_EQ(local->name, "ada");
  EXPECT_TRUE(local->admin);
  EXPECT_EQ(local->source, Principal::Source::kToken);

  const std::vector<std::uint8_t> idp(kIdpSecret.begin(), kIdpSecret.end());
  const auto seconds = [](Clock::time_point t) { return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count(); };
  const auto external = authenticator->authenticate(
      bearer(sign_jwt(JwtAlgorithm::kHs256, idp,
                                {{"sub", "idp-user"}, {"iss", "https://idp.example"}, {"aud", "scanhub-api"}, {"exp", seconds(now_ + 1h)}})));
  ASSERT_TRUE(external.has_value()) << external.error().description;
  EXPECT_EQ(external->user_id, "idp-user");
  EXPECT_FALSE(external->admin);

  // A token claiming to be the server's own, signed with the identity provider's secret.
  const auto forged = authenticator->authenticate(
      bearer(sign_jwt(JwtAlgorithm::kHs256, idp,
                                {{"sub", std::to_string(ada.id)}, {"iss", "scanhub"}, {"aud", "scanhub"}, {"exp", seconds(now_ + 1h)}})));
  ASSERT_FALSE(forged.has_value());
  EXPECT_EQ(forged.error().description, "The signature is invalid.");

  // After the lifetime and the skew, the local token is refused.
  now_ += 12h + 301s;
  EXPECT_FALSE(authenticator->authenticate(bearer(issued.token)).has_value());
}

TEST_F(ServiceAuthenticatorTest, RefusesTheTokenOfARemovedUser) {
  const auto authenticator = make_authenticator(options_, store_);
  const auto ada = add_user("ada", "pw", false);
  const auto token = authenticator->issue(ada).token;
  store_.write_sync([&](store::Connection& c) { store::UserStore(c.db).remove("ADA"); });
  const auto result = authenticator->authenticate(bearer(token));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().description, "The token's user no longer exists.");
}

TEST_F(ServiceAuthenticatorTest, AcceptsApiKeysAsHeaderOrBearerUntilRevoked) {
  const auto authenticator = make_authenticator(options_, store_);
  const auto bob = add_user("bob", "pw", false);
  const auto owned = add_key("reporter", bob.id, false);
  const auto admin = add_key("ci", std::nullopt, true);

  const auto by_header = authenticator->authenticate(api_key(owned));
  ASSERT_TRUE(by_header.has_value()) << by_header.error().description;
  EXPECT_EQ(by_header->user_id, std::to_string(bob.id));
  EXPECT_EQ(by_header->name, "bob");
  EXPECT_EQ(by_header->source, Principal::Source::kApiKey);
  EXPECT_FALSE(by_header->admin);
  EXPECT_EQ(by_header->expires, Clock::time_point::max());

  const auto by_bearer = authenticator->authenticate(bearer(admin));
  ASSERT_TRUE(by_bearer.has_value());
  EXPECT_EQ(by_bearer->user_id, "apikey:ci");
  EXPECT_TRUE(by_bearer->admin);

  store_.write_sync([&](store::Connection& c) { store::ApiKeyStore(c.db).revoke("reporter"); });
  const auto revoked = authenticator->authenticate(api_key(owned));
  ASSERT_FALSE(revoked.has_value());
  EXPECT_EQ(revoked.error().error, "invalid_token");
  EXPECT_EQ(revoked.error().description.find(owned), std::string::npos);
  EXPECT_FALSE(authenticator->authenticate(api_key("shk_" + std::string(43, 'A'))).has_value());
}

TEST_F(ServiceAuthenticatorTest, AsksForCredentialsOnlyWhenRequired) {
  auto authenticator = make_authenticator(options_, store_);
  const auto none = authenticator->authenticate(Credentials{});
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().error, "invalid_request");
  EXPECT_TRUE(none.error().description.empty());
  options_.required = false;
  authenticator = make_authenticator(options_, store_);
  const auto anyone = authenticator->authenticate(bearer("garbage"));
  ASSERT_TRUE(anyone.has_value());
  EXPECT_TRUE(anyone->anonymous());
}

TEST_F(ServiceAuthenticatorTest, SignsInWithThePasswordAndSaysTheSameForUnknownNames) {
  const auto authenticator = make_authenticator(options_, store_);
  add_user("Ada", "correct horse", false);
  LoginService login(*authenticator, store_);
  EXPECT_TRUE(login.has_users());

  const auto ok = login.login("ada", "correct horse", "10.0.0.1");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->user.name, "Ada");
  EXPECT_TRUE(authenticator->authenticate(bearer(ok->token.token)).has_value());

  const auto wrong = login.login("ada", "wrong", "10.0.0.1");
  const auto unknown = login.login("nobody", "wrong", "10.0.0.1");
  ASSERT_FALSE(wrong.has_value());
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(wrong.error().reason, LoginRefused::Reason::kWrongCredentials);
  EXPECT_EQ(unknown.error().reason, LoginRefused::Reason::kWrongCredentials);
}

TEST_F(ServiceAuthenticatorTest, LimitsFailedSignInsPerUserName) {
  const auto authenticator = make_authenticator(options_, store_);
  add_user("ada", "correct horse", false);
  auto steady = LoginLimiter::Clock::time_point{};
  LoginService login(*authenticator, store_, LoginLimits{}, [&] { return steady; });
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(login.login("ada", "guess", "10.0.0." + std::to_string(i)).error().reason,
              LoginRefused::Reason::kWrongCredentials);
  }
  steady += 10s;
  // Even the right password is not checked now.
  const auto limited = login.login("ADA", "correct horse", "10.0.0.9");
  ASSERT_FALSE(limited.has_value());
  EXPECT_EQ(limited.error().reason, LoginRefused::Reason::kRateLimited);
  EXPECT_EQ(limited.error().retry_after, 50s);
  steady += 50s;
  EXPECT_TRUE(login.login("ada", "correct horse", "10.0.0.9").has_value());
}

TEST(LoginLimiter, LimitsFailuresPerAddress) {
  auto now = LoginLimiter::Clock::time_point{};
  LoginLimiter limiter(LoginLimits{}, [&] { return now; });
  for (int i = 0; i < 20; ++i) limiter.record_failure("user" + std::to_string(i), "192.0.2.7");
  EXPECT_EQ(limiter.retry_after("someone", "192.0.2.7"), 60s);
  EXPECT_FALSE(limiter.retry_after("someone", "192.0.2.8").has_value());
  now += 61s;
  EXPECT_FALSE(limiter.retry_after("someone", "192.0.2.7").has_value());
}

}  // namespace
}  // namespace scanhub::auth
