// Tests of authorization in the REST router (src/http/router.hpp, src/http/authorize.hpp):
// each route's Access decides 401 (with WWW-Authenticate), 403 or the handler, and a
// PrincipalHandler gets the caller.
#include "http/router.hpp"
#include "support/test_authenticator.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <string>

namespace scanhub::http {
namespace {

namespace json = boost::json;
using boost::beast::http::field;

PrincipalHandler who() {
  return [](const Request&, const PathParams&, const auth::Principal& principal) {
    Response response{Status::ok, 11};
    response.body() = principal.user_id.empty() ? "<nobody>" : principal.user_id;
    if (principal.admin) response.body() += "+admin";
    return response;
  };
}

struct AccessCase {
  const char* name;
  const char* path;
  const char* authorization;  ///< Authorization header, "" for none
  const char* api_key;        ///< X-Api-Key header, "" for none
  Status status;
  const char* body;            ///< expected body, or "" for a JSON error
  const char* www_authenticate;  ///< expected challenge on 401
};

const AccessCase kAccessCases[] = {
    {"open_without_token", "/open", "", "", Status::ok, "<nobody>", ""},
    {"open_with_bad_token", "/open", "Bearer nope", "", Status::ok, "<nobody>", ""},
    {"open_with_token", "/open", "Bearer alice", "", Status::ok, "alice", ""},
    {"user_without_token", "/user", "", "", Status::unauthorized, "", "Bearer"},
    {"user_bad_token", "/user", "Bearer nope", "", Status::unauthorized, "",
     R"(Bearer error="invalid_token", error_description="The signature is invalid.")"},
    {"user_other_scheme", "/user", "Basic YWxpY2U6eA==", "", Status::unauthorized, "", "Bearer"},
    {"user_query_token_ignored", "/user?access_token=alice", "", "", Status::unauthorized, "",
     "Bearer"},
    {"user_token", "/user", "Bearer alice", "", Status::ok, "alice", ""},
    {"user_scheme_any_case", "/user", "bearer alice", "", Status::ok, "alice", ""},
    {"user_api_key", "/user", "", "key-1", Status::ok, "robot", ""},
    {"admin_as_user", "/admin", "Bearer alice", "", Status::forbidden, "", ""},
    {"admin_without_token", "/admin", "", "", Status::unauthorized, "", "Bearer"},
    {"admin_as_admin", "/admin", "Bearer root", "", Status::ok, "root+admin", ""},
};

class RouterAccess : public testing::TestWithParam<AccessCase> {};

TEST_P(RouterAccess, RefusesBeforeTheHandlerRuns) {
  const AccessCase& c = GetParam();
  auto authenticator = std::make_shared<test::TestAuthenticator>();
  authenticator->add("alice", test::TestAuthenticator::user("alice"))
      .add("root", test::TestAuthenticator::user("root", true))
      .add("key-1", test::TestAuthenticator::user("robot"));
  Router router;
  router.set_authenticator(authenticator);
  router.add(Verb::get, "/open", who(), Access::kOpen);
  router.add(Verb::get, "/user", who());
  router.add(Verb::get, "/admin", who(), Access::kAdmin);

  Request request{Verb::get, c.path, 11};
  if (*c.authorization) request.set(field::authorization, c.authorization);
  if (*c.api_key) request.set("X-Api-Key", c.api_key);
  const std::string_view path = std::string_view(c.path).substr(0, std::string_view(c.path).find('?'));
  auto response = router.dispatch(request, path);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result(), c.status);
  if (*c.body) {
    EXPECT_EQ(response->body(), c.body);
  } else {
    EXPECT_TRUE(json::parse(response->body()).as_object().contains("error")) << response->body();
  }
  if (c.status == Status::unauthorized) {
    EXPECT_EQ((*response)[field::www_authenticate], c.www_authenticate);
  } else {
    EXPECT_EQ(response->count(field::www_authenticate), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Router, RouterAccess, testing::ValuesIn(kAccessCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(RouterAccess, WithoutAnAuthenticatorEveryCallerIsTheAnonymousAdmin) {
  Router router;
  router.add(Verb::get, "/admin", who(), Access::kAdmin);
  auto response = router.dispatch(Request{Verb::get, "/admin", 11}, "/admin");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result(), Status::ok);
  EXPECT_EQ(response->body(), "<nobody>+admin");
}

TEST(RouterAccess, NotFoundAndMethodNotAllowedAreAnsweredAsBefore) {
  Router router;
  router.set_authenticator(std::make_shared<test::TestAuthenticator>());
  router.add(Verb::get, "/user", who());
  EXPECT_FALSE(router.dispatch(Request{Verb::get, "/nothing", 11}, "/nothing"));
  auto response = router.dispatch(Request{Verb::post, "/user", 11}, "/user");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result(), Status::method_not_allowed);
}

}  // namespace
}  // namespace scanhub::http
