// POST /api/auth/login, GET /api/auth/config and GET /api/auth/me as the dashboard and
// programs call them (issue 16 item 2), through the real router on a real SQLite file.

#include "api/auth_routes.hpp"
#include "auth/login_service.hpp"
#include "auth/service_authenticator.hpp"
#include "lib/argon2/password_hash.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace scanhub;

namespace {

namespace json = boost::json;

struct AuthRoutesTest : testing::Test {
  test::TempDir dir;
  store::Store store{dir / "scanhub.db"};
  std::shared_ptr<auth::ServiceAuthenticator> authenticator;
  http::Router router;

  AuthRoutesTest() {
    auth::AuthOptions options;
    options.required = true;
    authenticator = auth::make_authenticator(options, store);
    api::add_auth_routes(router, {authenticator, std::make_shared<auth::LoginService>(*authenticator, store)});
  }

  void add_user(const std::string& name, const std::string& password, bool admin) {
    store::UserRow user;
    user.name = name;
    user.password_hash = argon2::hash_password(password);
    user.admin = admin;
    store.write_sync([&](store::Connection& c) { store::UserStore(c.db).add(user); });
  }

  http::Response call(boost::beast::http::verb verb, const std::string& target, const std::string& body = {},
                      const std::string& token = {}, const boost::asio::ip::address& client = {}) {
    http::Request request(verb, target, 11);
    if (!token.empty()) request.set(boost::beast::http::field::authorization, "Bearer " + token);
    request.body() = body;
    request.prepare_payload();
    auto response = router.dispatch(request, target, client);
    EXPECT_TRUE(response.has_value());
    return std::move(*response);
  }
  http::Response login(const std::string& body) { return call(boost::beast::http::verb::post, "/api/auth/login", body); }
  http::Response login_from(const std::string& client, const std::string& name, const std::string& password) {
    return call(boost::beast::http::verb::post, "/api/auth/login",
                json::serialize(json::object{{"username", name}, {"password", password}}), {},
                boost::asio::ip::make_address(client));
  }
};

TEST_F(AuthRoutesTest, SaysWhetherSignInIsNeededAndPossible) {
  auto config = call(boost::beast::http::verb::get, "/api/auth/config");
  EXPECT_EQ(json::parse(config.body()), json::parse(R"({"required": true, "localUsers": false})"));
  add_user("ada", "correct horse", false);
  config = call(boost::beast::http::verb::get, "/api/auth/config");
  EXPECT_EQ(json::parse(config.body()), json::parse(R"({"required": true, "localUsers": true})"));
}

TEST_F(AuthRoutesTest, SignsInAndTheTokenSaysWhoTheCallerIs) {
  add_user("Ada", "correct horse", true);
  const auto response = login(R"({"username": "ada", "password": "correct horse"})");
  ASSERT_EQ(response.result_int(), 200u) << response.body();
  EXPECT_EQ(response[boost::beast::http::field::cache_control], "no-store");
  const auto body = json::parse(response.body()).as_object();
  EXPECT_EQ(body.at("user"), json::parse(R"({"id": "1", "name": "Ada", "admin": true})"));
  EXPECT_TRUE(body.at("expiresAt").as_string().ends_with("Z"));

  const auto me = call(boost::beast::http::verb::get, "/api/auth/me", {}, std::string(body.at("token").as_string()));
  ASSERT_EQ(me.result_int(), 200u) << me.body();
  EXPECT_EQ(json::parse(me.body()), json::parse(R"({"userId": "1", "name": "Ada", "roles": ["admin"], "admin": true})"));

  const auto anonymous = call(boost::beast::http::verb::get, "/api/auth/me");
  EXPECT_EQ(anonymous.result_int(), 401u);
  EXPECT_EQ(anonymous[boost::beast::http::field::www_authenticate], "Bearer");
}

TEST_F(AuthRoutesTest, AnswersTheSameForAWrongPasswordAndAnUnknownUser) {
  add_user("ada", "correct horse", false);
  const auto wrong = login(R"({"username": "ada", "password": "nope"})");
  const auto unknown = login(R"({"username": "bob", "password": "nope"})");
  EXPECT_EQ(wrong.result_int(), 401u);
  EXPECT_EQ(unknown.result_int(), 401u);
  EXPECT_EQ(wrong.body(), R"({"error":"Wrong user name or password."})");
  EXPECT_EQ(unknown.body(), wrong.body());
}

TEST_F(AuthRoutesTest, RefusesAMalformedBody) {
  for (const char* body : {"", "[]", R"({"username": "ada"})", R"({"username": 1, "password": "x"})"}) {
    const auto response = login(body);
    EXPECT_EQ(response.result_int(), 400u) << body;
  }
}

TEST_F(AuthRoutesTest, RateLimitsFailedSignInsWithRetryAfter) {
  add_user("ada", "correct horse", false);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(login(R"({"username": "ada", "password": "guess"})").result_int(), 401u);
  const auto limited = login(R"({"username": "ADA", "password": "correct horse"})");
  EXPECT_EQ(limited.result_int(), 429u);
  const std::string retry_after(limited[boost::beast::http::field::retry_after]);
  ASSERT_FALSE(retry_after.empty());
  EXPECT_GE(std::stoi(retry_after), 1);
  EXPECT_LE(std::stoi(retry_after), 60);
  // Another user is not held back by ada's failures.
  add_user("bob", "pw", false);
  EXPECT_EQ(login(R"({"username": "bob", "password": "pw"})").result_int(), 200u);
}

TEST_F(AuthRoutesTest, RateLimitsFailedSignInsPerClientAddressAcrossNames) {
  add_user("ada", "correct horse", false);
  // 20 failures from one address, each for a different name (no name reaches its own limit).
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(login_from("192.0.2.7", "guess" + std::to_string(i), "pw").result_int(), 401u) << i;
  }
  // A further attempt from that address is refused, even with the right password...
  const auto limited = login_from("192.0.2.7", "ada", "correct horse");
  EXPECT_EQ(limited.result_int(), 429u) << limited.body();
  const std::string retry_after(limited[boost::beast::http::field::retry_after]);
  ASSERT_FALSE(retry_after.empty());
  EXPECT_GE(std::stoi(retry_after), 1);
  EXPECT_LE(std::stoi(retry_after), 60);
  // ...also when the same IPv4 client arrives on an IPv6 socket, as ::ffff:192.0.2.7...
  EXPECT_EQ(login_from("::ffff:192.0.2.7", "ada", "correct horse").result_int(), 429u);
  // ...while another address signs in.
  EXPECT_EQ(login_from("192.0.2.8", "ada", "correct horse").result_int(), 200u);
}

TEST_F(AuthRoutesTest, PerNameLimitStillAppliesAcrossAddresses) {
  add_user("ada", "correct horse", false);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(login_from("2001:db8::" + std::to_string(i + 1), "ada", "guess").result_int(), 401u) << i;
  }
  const auto limited = login_from("2001:db8::99", "ada", "correct horse");
  EXPECT_EQ(limited.result_int(), 429u);
  EXPECT_FALSE(limited[boost::beast::http::field::retry_after].empty());
}

}  // namespace
