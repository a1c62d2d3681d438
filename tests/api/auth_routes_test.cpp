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
                      const std::string& token = {}) {
    http::Request request(verb, target, 11);
    if (!token.empty()) request.set(boost::beast::http::field::authorization, "Bearer " + token);
    request.body() = body;
    request.prepare_payload();
    auto response = router.dispatch(request, target);
    EXPECT_TRUE(response.has_value());
    return std::move(*response);
  }
  http::Response login(const std::string& body) { return call(boost::beast::http::verb::post, "/api/auth/login", body); }
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

}  // namespace
