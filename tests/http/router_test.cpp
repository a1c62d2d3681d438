// Tests of the REST router (src/http/router.hpp): patterns, parameters, 404/405, errors.
#include "http/router.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <string>

namespace scanhub::http {
namespace {

namespace json = boost::json;
using boost::beast::http::field;

Handler respond(std::string tag) {
  return [tag](const Request&, const PathParams& params) {
    Response response{Status::ok, 11};
    response.body() = tag;
    for (const auto& [name, value] : params) response.body() += "|" + name + "=" + value;
    return response;
  };
}

Request request(Verb verb, std::string target) { return Request{verb, target, 11}; }

class RouterTest : public testing::Test {
 protected:
  RouterTest() {
    router_.add(Verb::get, "/api/scans", respond("list"));
    router_.add(Verb::post, "/api/scans", respond("create"));
    router_.add(Verb::get, "/api/scans/{id}", respond("get"));
    router_.add(Verb::get, "/api/scans/active", respond("active"));
    router_.add(Verb::post, "/api/scans/{id}/cancel", respond("cancel"));
    router_.add(Verb::post, "/api/jobs/{id}/progress", respond("progress"));
    router_.add(Verb::get, "/api/a/{x}/b/{y}", respond("two"));
    router_.add(Verb::get, "/", respond("root"));
  }
  std::string body(Verb verb, std::string_view path) {
    auto response = router_.dispatch(request(verb, std::string(path)), path);
    return response ? response->body() : "<none>";
  }
  Router router_;
};

struct RouteCase {
  const char* name;
  Verb verb;
  const char* path;
  const char* body;
};

const RouteCase kCases[] = {
    {"list", Verb::get, "/api/scans", "list"},
    {"trailing_slash", Verb::get, "/api/scans/", "list"},
    {"post", Verb::post, "/api/scans", "create"},
    {"param", Verb::get, "/api/scans/42", "get|id=42"},
    {"literal_beats_param", Verb::get, "/api/scans/active", "active"},
    {"percent_decoded", Verb::get, "/api/scans/a%20b%2Fc", "get|id=a b/c"},
    {"nested", Verb::post, "/api/scans/7/cancel", "cancel|id=7"},
    {"two_params", Verb::get, "/api/a/1/b/2", "two|x=1|y=2"},
    {"root", Verb::get, "/", "root"},
    {"unknown", Verb::get, "/api/nothing", "<none>"},
    {"too_long", Verb::get, "/api/scans/1/cancel/x", "<none>"},
    {"case_sensitive", Verb::get, "/API/scans", "<none>"},
    {"empty_param", Verb::post, "/api/jobs//progress", "<none>"},
    {"bad_escape", Verb::get, "/api/scans/%zz", "<none>"},
};

class RouteTable : public RouterTest, public testing::WithParamInterface<RouteCase> {};

TEST_P(RouteTable, Dispatches) {
  EXPECT_EQ(body(GetParam().verb, GetParam().path), GetParam().body);
}

INSTANTIATE_TEST_SUITE_P(Router, RouteTable, testing::ValuesIn(kCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  auto response = router_.dispatch(request(Verb::delete_, "/api/scans"), "/api/scans");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result(), Status::method_not_allowed);
  EXPECT_EQ((*response)[field::allow], "GET, POST");
  EXPECT_EQ((*response)[field::content_type], "application/json; charset=utf-8");
  EXPECT_TRUE(json::parse(response->body()).as_object().contains("error"));
}

struct ThrowCase {
  const char* name;
  void (*thrower)();
  Status status;
  const char* error;
};

const ThrowCase kThrows[] = {
    {"invalid_argument", [] { throw std::invalid_argument("bad id"); }, Status::bad_request,
     "bad id"},
    {"http_error", [] { throw HttpError(Status::not_found, "scan 9 not found"); },
     Status::not_found, "scan 9 not found"},
    {"runtime_error", [] { throw std::runtime_error("db path /secret"); },
     Status::internal_server_error, "Internal server error."},
    {"non_standard", [] { throw 42; }, Status::internal_server_error, "Internal server error."},
};

class HandlerErrors : public testing::TestWithParam<ThrowCase> {};

TEST_P(HandlerErrors, BecomeJsonErrors) {
  Router router;
  auto thrower = GetParam().thrower;
  router.add(Verb::get, "/x", [thrower](const Request&, const PathParams&) -> Response {
    thrower();
    return {};
  });
  auto response = router.dispatch(request(Verb::get, "/x"), "/x");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result(), GetParam().status);
  EXPECT_EQ(json::parse(response->body()), json::parse(std::string(R"({"error":")") +
                                                       GetParam().error + "\"}"));
}

INSTANTIATE_TEST_SUITE_P(Router, HandlerErrors, testing::ValuesIn(kThrows),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(RouterClient, HandsTheClientAddressToAClientHandler) {
  Router router;
  router.add(Verb::post, "/login",
             ClientHandler([](const Request&, const PathParams&, const auth::Principal& principal,
                              const boost::asio::ip::address& client) {
               Response response{Status::ok, 11};
               response.body() = client.to_string() + (principal.anonymous() ? "|anonymous" : "");
               return response;
             }),
             Access::kOpen);
  router.add(Verb::get, "/plain", respond("plain"), Access::kOpen);
  const auto v4 = boost::asio::ip::make_address("192.0.2.7");
  const auto v6 = boost::asio::ip::make_address("2001:db8::1");
  EXPECT_EQ(router.dispatch(request(Verb::post, "/login"), "/login", v4)->body(), "192.0.2.7|anonymous");
  EXPECT_EQ(router.dispatch(request(Verb::post, "/login"), "/login", v6)->body(), "2001:db8::1|anonymous");
  // A caller that does not know the address: the unspecified one.
  EXPECT_EQ(router.dispatch(request(Verb::post, "/login"), "/login")->body(), "0.0.0.0|anonymous");
  // Handlers that do not ask for the address are unchanged.
  EXPECT_EQ(router.dispatch(request(Verb::get, "/plain"), "/plain", v4)->body(), "plain");
}

TEST(RouterAdd, RejectsBadPatternsAndDuplicates) {
  Router router;
  EXPECT_THROW(router.add(Verb::get, "api", respond("")), std::invalid_argument);
  EXPECT_THROW(router.add(Verb::get, "/a//b", respond("")), std::invalid_argument);
  EXPECT_THROW(router.add(Verb::get, "/a/{}", respond("")), std::invalid_argument);
  EXPECT_THROW(router.add(Verb::get, "/a/{x", respond("")), std::invalid_argument);
  EXPECT_THROW(router.add(Verb::get, "/a/x}", respond("")), std::invalid_argument);
  EXPECT_THROW(router.add(Verb::get, "/a", Handler{}), std::invalid_argument);
  router.add(Verb::get, "/a/{x}", respond(""));
  EXPECT_THROW(router.add(Verb::get, "/a/{y}", respond("")), std::invalid_argument);
  EXPECT_NO_THROW(router.add(Verb::post, "/a/{y}", respond("")));
}

}  // namespace
}  // namespace scanhub::http
