// Tests of request dispatch without sockets (src/http/request_handler.hpp): hub negotiate,
// routes, static files, HEAD, 404.
#include "http/request_handler.hpp"

#include "http/json_response.hpp"
#include "signalr/hub_host.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace scanhub::http {
namespace {

namespace json = boost::json;
using boost::beast::http::field;

class NullHub : public signalr::Hub {
 public:
  void invoke(const signalr::CallerContext&, std::string_view, const json::array&,
              signalr::Completion complete) override {
    complete(json::value(nullptr));
  }
};

class RequestHandlerTest : public testing::Test {
 protected:
  RequestHandlerTest() {
    hubs_.map_hub("/hubs/progress", std::make_shared<NullHub>());
    router_.add(Verb::get, "/api/ping", [](const Request&, const PathParams&) {
      return json_response(Status::ok, json::object{{"pong", true}});
    });
    files_.add("/index.html", "text/html; charset=utf-8", "<html>dash</html>");
    files_.add("/lib/signalr.min.js", "text/javascript; charset=utf-8", "signalR");
  }
  Response handle(Verb verb, std::string target, std::string auth = {}) {
    Request request{verb, target, 11};
    if (!auth.empty()) request.set(field::authorization, auth);
    return handle_request(request, RequestContext{router_, hubs_, files_, {}}, {});
  }
  signalr::HubHost hubs_;
  Router router_;
  StaticFiles files_;
};

TEST_F(RequestHandlerTest, NegotiatePostReturnsConnection) {
  auto response = handle(Verb::post, "/hubs/progress/negotiate?negotiateVersion=1");
  EXPECT_EQ(response.result(), Status::ok);
  EXPECT_EQ(response[field::content_type], "application/json; charset=utf-8");
  auto body = json::parse(response.body()).as_object();
  EXPECT_EQ(body.at("negotiateVersion"), 1);
  EXPECT_TRUE(body.contains("connectionToken"));
}

TEST_F(RequestHandlerTest, NegotiateNeedsPost) {
  auto response = handle(Verb::get, "/hubs/progress/negotiate");
  EXPECT_EQ(response.result(), Status::method_not_allowed);
  EXPECT_EQ(response[field::allow], "POST");
}

TEST_F(RequestHandlerTest, HubPathWithoutUpgradeExplainsTransports) {
  auto response = handle(Verb::get, "/hubs/progress?id=x");
  EXPECT_EQ(response.result(), Status::bad_request);
  EXPECT_NE(json::parse(response.body()).at("error").as_string().find("WebSocket"),
            std::string::npos);
}

TEST_F(RequestHandlerTest, RoutesThenStaticThen404) {
  EXPECT_EQ(handle(Verb::get, "/api/ping").body(), R"({"pong":true})");
  auto index = handle(Verb::get, "/");
  EXPECT_EQ(index.result(), Status::ok);
  EXPECT_EQ(index.body(), "<html>dash</html>");
  EXPECT_EQ(index[field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(handle(Verb::get, "/lib/signalr.min.js?v=1").body(), "signalR");
  auto missing = handle(Verb::get, "/nothing/here");
  EXPECT_EQ(missing.result(), Status::not_found);
  EXPECT_TRUE(json::parse(missing.body()).as_object().contains("error"));
  EXPECT_EQ(handle(Verb::post, "/index.html").result(), Status::not_found);
}

TEST_F(RequestHandlerTest, RoutesGetTheTcpPeerAddress) {
  auto seen = std::make_shared<std::string>();
  router_.add(Verb::get, "/api/whoami",
              ClientHandler([seen](const Request&, const PathParams&, const auth::Principal&,
                                   const boost::asio::ip::address& client) {
                *seen = client.to_string();
                return json_response(Status::ok, json::object{{"client", *seen}});
              }));
  const auto context = RequestContext{router_, hubs_, files_, {}};
  EXPECT_EQ(handle_request(Request{Verb::get, "/api/whoami?x=1", 11}, context,
                           boost::asio::ip::make_address("198.51.100.4")).body(),
            R"({"client":"198.51.100.4"})");
  // HEAD answered as GET: the same handler gets the address too.
  EXPECT_EQ(handle_request(Request{Verb::head, "/api/whoami", 11}, context,
                           boost::asio::ip::make_address("::1")).result(), Status::ok);
  EXPECT_EQ(*seen, "::1");
}

TEST_F(RequestHandlerTest, HeadHasLengthButNoBody) {
  auto response = handle(Verb::head, "/lib/signalr.min.js");
  EXPECT_EQ(response.result(), Status::ok);
  EXPECT_TRUE(response.body().empty());
  EXPECT_EQ(response[field::content_length], "7");
  auto api = handle(Verb::head, "/api/ping");
  EXPECT_EQ(api.result(), Status::ok);
  EXPECT_TRUE(api.body().empty());
}

TEST_F(RequestHandlerTest, NeverServesDotfiles) {
  files_.add("/.env", "text/plain", "SECRET=1");
  files_.add("/.git/config", "text/plain", "[core]");
  for (const char* target : {"/.env", "/.git/config", "/%2egit/config", "/%2Eenv"}) {
    EXPECT_EQ(handle(Verb::get, target).result(), Status::not_found) << target;
  }
}

TEST_F(RequestHandlerTest, RejectsNonAbsoluteTargets) {
  EXPECT_EQ(handle(Verb::get, "http://example.com/").result(), Status::bad_request);
  EXPECT_EQ(handle(Verb::options, "*").result(), Status::bad_request);
}

TEST(AccessToken, BearerHeaderThenQuery) {
  Request request{Verb::get, "/hubs/x", 11};
  EXPECT_EQ(access_token_of(request, "access_token=q%20t"), "q t");
  request.set(field::authorization, "Bearer abc.def");
  EXPECT_EQ(access_token_of(request, "access_token=other"), "abc.def");
  request.set(field::authorization, "bearer lower");
  EXPECT_EQ(access_token_of(request, ""), "lower");
  request.set(field::authorization, "Basic dXNlcg==");
  EXPECT_EQ(access_token_of(request, ""), "");
}

}  // namespace
}  // namespace scanhub::http
