// Tests of the CORS policy (src/http/cors.hpp) against the WHATWG Fetch CORS protocol: allowed
// origins are echoed with credentials, others get nothing, preflights list methods and headers.
#include "http/cors.hpp"

#include <gtest/gtest.h>

namespace scanhub::http {
namespace {

using F = boost::beast::http::field;

Request preflight_request(std::string_view origin, std::string_view headers = {}) {
  Request request{Verb::options, "/hubs/progress/negotiate", 11};
  request.set(F::origin, origin);
  request.set(F::access_control_request_method, "POST");
  if (!headers.empty()) request.set(F::access_control_request_headers, headers);
  return request;
}

TEST(Cors, AllowedOriginIsEchoedWithCredentials) {
  const CorsPolicy cors({"https://app.example.com", "http://localhost:3000/"});
  Response response{Status::ok, 11};
  cors.decorate("http://localhost:3000", response);
  EXPECT_EQ(response[F::access_control_allow_origin], "http://localhost:3000");
  EXPECT_EQ(response[F::access_control_allow_credentials], "true");
  EXPECT_EQ(response[F::vary], "Origin");
  // Seed 004 exposes its headers: a page reads why it got 401 and when to retry a 429.
  EXPECT_EQ(response[F::access_control_expose_headers], "WWW-Authenticate, Retry-After, Allow");
  EXPECT_TRUE(cors.allows("HTTPS://APP.example.com"));
}

TEST(Cors, OtherOriginsGetNoCorsHeaders) {
  const CorsPolicy cors({"https://app.example.com"});
  for (std::string_view origin : {"https://evil.example.com", "", "null",
                                  "https://app.example.com.evil.com"}) {
    Response response{Status::ok, 11};
    cors.decorate(origin, response);
    EXPECT_EQ(response.find(F::access_control_allow_origin), response.end()) << origin;
    EXPECT_EQ(response.find(F::access_control_allow_credentials), response.end()) << origin;
    EXPECT_EQ(response.find(F::access_control_expose_headers), response.end()) << origin;
    EXPECT_EQ(response[F::vary], "Origin");
  }
}

TEST(Cors, DisabledAddsNothing) {
  const CorsPolicy cors;
  Response response{Status::ok, 11};
  cors.decorate("https://app.example.com", response);
  EXPECT_EQ(response.begin(), response.end());
  EXPECT_FALSE(cors.preflight(preflight_request("https://app.example.com"))->count(F::access_control_allow_origin));
}

TEST(Cors, PreflightListsMethodsAndRequestedHeaders) {
  const CorsPolicy cors({"https://app.example.com"});
  auto response = cors.preflight(
      preflight_request("https://app.example.com", "x-requested-with,x-signalr-user-agent"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result(), Status::no_content);
  EXPECT_EQ(response->at(F::access_control_allow_methods), "GET, POST, DELETE, OPTIONS");
  EXPECT_EQ(response->at(F::access_control_allow_headers), "x-requested-with,x-signalr-user-agent");
  EXPECT_EQ(response->at(F::access_control_allow_origin), "https://app.example.com");
  EXPECT_EQ(response->at(F::access_control_allow_credentials), "true");

  auto defaults = cors.preflight(preflight_request("https://app.example.com"));
  const std::string_view listed = defaults->at(F::access_control_allow_headers);
  for (std::string_view name : {"x-requested-with", "x-signalr-user-agent", "authorization",
                                "content-type", "x-api-key"}) {
    EXPECT_NE(listed.find(name), std::string_view::npos) << name;
  }
  // A malformed header list is not echoed.
  auto odd = cors.preflight(preflight_request("https://app.example.com", "a\x7f"));
  EXPECT_EQ(odd->at(F::access_control_allow_headers), listed);
}

TEST(Cors, PreflightFromAnotherOriginHasNoCorsHeaders) {
  const CorsPolicy cors({"https://app.example.com"});
  auto response = cors.preflight(preflight_request("https://evil.example.com"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->find(F::access_control_allow_origin), response->end());
  EXPECT_EQ(response->find(F::access_control_allow_methods), response->end());
}

TEST(Cors, NotAPreflight) {
  const CorsPolicy cors({"https://app.example.com"});
  Request options{Verb::options, "*", 11};
  EXPECT_FALSE(cors.preflight(options));
  Request get{Verb::get, "/", 11};
  get.set(F::origin, "https://app.example.com");
  EXPECT_FALSE(cors.preflight(get));
}

TEST(Cors, RejectsWildcardsAndMalformedOrigins) {
  for (const char* bad : {"*", "app.example.com", "https://", "https://a.com/path", "https://*.a.com"}) {
    EXPECT_THROW(CorsPolicy({bad}), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace scanhub::http
