// Tests of the request policy (src/http/request_policy.hpp), table-driven: RFC 9112 framing,
// the Host rule (DNS rebinding), the Origin rule (cross-site WebSockets and POSTs) and the
// JSON-only rule for state-changing REST requests. Each case is one request header and the
// status it must get (0: allowed).
#include "http/request_policy.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace scanhub::http {
namespace {

using F = boost::beast::http::field;
using Fields = std::vector<std::pair<F, std::string>>;

struct Case {
  const char* name;
  Verb method;
  Fields fields;
  unsigned expected;  // 0: allowed
  RequestSurface surface = RequestSurface::kRest;
  unsigned version = 11;
};

RequestHeader header_of(const Case& c) {
  RequestHeader header;
  header.method(c.method);
  header.target("/api/library/scan");
  header.version(c.version);
  for (const auto& [name, value] : c.fields) header.insert(name, value);
  return header;
}

unsigned status_of(const RequestPolicy& policy, const Case& c) {
  const auto refusal = policy.check(header_of(c), c.surface);
  if (!refusal) return 0;
  EXPECT_FALSE(refusal->message.empty()) << c.name;
  return static_cast<unsigned>(refusal->status);
}

void run(const RequestPolicy& policy, std::initializer_list<Case> cases) {
  for (const Case& c : cases) EXPECT_EQ(status_of(policy, c), c.expected) << c.name;
}

const Fields kLocal = {{F::host, "127.0.0.1:5031"}};

TEST(RequestPolicy, Framing) {
  const CorsPolicy cors;
  const RequestPolicy policy({}, cors);
  auto with = [](Fields extra) {
    Fields fields = kLocal;
    fields.push_back({F::content_type, "application/json"});
    for (auto& field : extra) fields.push_back(std::move(field));
    return fields;
  };
  run(policy, {
      {"content-length alone", Verb::post, with({{F::content_length, "2"}}), 0},
      {"chunked alone", Verb::post, with({{F::transfer_encoding, "chunked"}}), 0},
      {"Chunked, any case", Verb::post, with({{F::transfer_encoding, "ChUnKeD"}}), 0},
      {"gzip", Verb::post, with({{F::transfer_encoding, "gzip"}}), 501},
      {"xchunked", Verb::post, with({{F::transfer_encoding, "xchunked"}}), 501},
      {"identity", Verb::post, with({{F::transfer_encoding, "identity"}}), 501},
      {"chunked, gzip", Verb::post, with({{F::transfer_encoding, "chunked, gzip"}}), 501},
      {"gzip, chunked", Verb::post, with({{F::transfer_encoding, "gzip, chunked"}}), 501},
      {"two fields", Verb::post,
       with({{F::transfer_encoding, "gzip"}, {F::transfer_encoding, "chunked"}}), 501},
      {"empty coding", Verb::post, with({{F::transfer_encoding, ""}}), 501},
      {"on a GET too", Verb::get, with({{F::transfer_encoding, "gzip"}}), 501},
      {"TE and CL", Verb::post,
       with({{F::transfer_encoding, "chunked"}, {F::content_length, "5"}}), 400},
      {"unknown TE and CL", Verb::post,
       with({{F::transfer_encoding, "gzip"}, {F::content_length, "5"}}), 400},
  });
}

TEST(RequestPolicy, Host) {
  const CorsPolicy cors;
  const RequestPolicy policy({.allowed_hosts = {"Media.Example.org."}, .listen_address = "nas.lan"},
                             cors);
  auto host = [](std::string value) { return Fields{{F::host, std::move(value)}}; };
  run(policy, {
      {"IPv4", Verb::get, host("127.0.0.1:5031"), 0},
      {"IPv4 elsewhere, no port", Verb::get, host("192.168.1.20"), 0},
      {"IPv6 literal", Verb::get, host("[::1]:5031"), 0},
      {"IPv6 with embedded IPv4", Verb::get, host("[::ffff:127.0.0.1]"), 0},
      {"localhost", Verb::get, host("localhost:5031"), 0},
      {"LOCALHOST with a trailing dot", Verb::get, host("LOCALHOST.:5031"), 0},
      {"a .localhost name", Verb::get, host("app.localhost:5031"), 0},
      {"allowed, other case, no dot", Verb::get, host("media.EXAMPLE.org:443"), 0},
      {"the listen address's name", Verb::get, host("nas.lan:5031"), 0},
      {"rebinding name", Verb::get, host("rebind.evil.example:5031"), 421},
      {"rebinding name on a hub path", Verb::post, host("rebind.evil.example"), 421,
       RequestSurface::kHub},
      {"a suffix of an allowed name", Verb::get, host("evil-media.example.org"), 421},
      {"localhost as a prefix", Verb::get, host("localhost.evil.example"), 421},
      {"not quite an IPv4", Verb::get, host("127.0.0.1.evil"), 421},
      {"a number is a name", Verb::get, host("2130706433"), 421},
      {"no Host on HTTP/1.1", Verb::get, {}, 400},
      {"no Host on HTTP/1.0", Verb::get, {}, 0, RequestSurface::kRest, 10},
      {"two Hosts", Verb::get, {{F::host, "127.0.0.1"}, {F::host, "127.0.0.1"}}, 400},
      {"empty Host", Verb::get, host(""), 400},
      {"a space", Verb::get, host("evil example"), 400},
      {"userinfo", Verb::get, host("user@127.0.0.1"), 400},
      {"bad port", Verb::get, host("127.0.0.1:http"), 400},
      {"unbracketed IPv6", Verb::get, host("::1"), 400},
      {"unclosed bracket", Verb::get, host("[::1"), 400},
      {"junk in brackets", Verb::get, host("[evil.example]"), 400},
  });
}

TEST(RequestPolicy, AnyHostWithStar) {
  const CorsPolicy cors;
  const RequestPolicy policy({.allowed_hosts = {"*"}, .listen_address = {}}, cors);
  run(policy, {{"any name", Verb::get, {{F::host, "whatever.example:80"}}, 0},
               {"still not malformed", Verb::get, {{F::host, "a b"}}, 400}});
  EXPECT_THROW(RequestPolicy({.allowed_hosts = {"bad host"}, .listen_address = {}}, cors),
               std::invalid_argument);
}

TEST(RequestPolicy, Origin) {
  const CorsPolicy cors({"https://app.example.com"});
  const RequestPolicy policy({}, cors);
  auto fields = [](std::string origin, std::string host = "127.0.0.1:5031") {
    return Fields{{F::host, std::move(host)}, {F::origin, std::move(origin)}};
  };
  auto upgrade = [](std::string origin) {
    return Fields{{F::host, "127.0.0.1:5031"},
                  {F::origin, std::move(origin)},
                  {F::connection, "Upgrade"},
                  {F::upgrade, "websocket"}};
  };
  run(policy, {
      {"no Origin, POST", Verb::post, kLocal, 0},
      {"own origin, POST", Verb::post, fields("http://127.0.0.1:5031"), 0},
      {"own origin, upper case", Verb::post, fields("HTTP://LOCALHOST:5031", "localhost:5031"), 0},
      {"own origin behind TLS", Verb::post, fields("https://localhost:5031", "localhost:5031"), 0},
      {"a CORS origin", Verb::post, fields("https://app.example.com"), 0},
      {"evil POST", Verb::post, fields("https://evil.example"), 403},
      {"evil DELETE", Verb::delete_, fields("https://evil.example"), 403},
      {"evil PUT", Verb::put, fields("https://evil.example"), 403},
      {"evil PATCH", Verb::patch, fields("https://evil.example"), 403},
      {"evil negotiate", Verb::post, fields("https://evil.example"), 403, RequestSurface::kHub},
      {"null POST", Verb::post, fields("null"), 403},
      {"empty Origin", Verb::post, fields(""), 403},
      {"another port of the host", Verb::post, fields("http://127.0.0.1:8080"), 403},
      {"own host, other scheme", Verb::post, fields("ftp://127.0.0.1:5031"), 403},
      {"a prefix of the host", Verb::post, fields("http://127.0.0.1:50"), 403},
      {"two Origins", Verb::post,
       {{F::host, "127.0.0.1:5031"}, {F::origin, "http://127.0.0.1:5031"},
        {F::origin, "http://127.0.0.1:5031"}}, 403},
      {"evil GET is CORS's business", Verb::get, fields("https://evil.example"), 0},
      {"evil preflight", Verb::options, fields("https://evil.example"), 0},
      {"evil WebSocket", Verb::get, upgrade("https://evil.example"), 403, RequestSurface::kHub},
      {"null WebSocket", Verb::get, upgrade("null"), 403, RequestSurface::kHub},
      {"own WebSocket", Verb::get, upgrade("http://127.0.0.1:5031"), 0, RequestSurface::kHub},
      {"CORS WebSocket", Verb::get, upgrade("https://app.example.com"), 0, RequestSurface::kHub},
      {"WebSocket without Origin", Verb::get,
       {{F::host, "127.0.0.1:5031"}, {F::connection, "Upgrade"}, {F::upgrade, "websocket"}}, 0,
       RequestSurface::kHub},
  });
}

TEST(RequestPolicy, ContentType) {
  const CorsPolicy cors;
  const RequestPolicy policy({}, cors);
  auto fields = [](std::initializer_list<std::pair<F, std::string>> extra) {
    Fields out = kLocal;
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
  };
  run(policy, {
      {"JSON", Verb::post,
       fields({{F::content_type, "application/json"}, {F::content_length, "2"}}), 0},
      {"JSON with charset", Verb::post,
       fields({{F::content_type, "Application/JSON ; charset=utf-8"}, {F::content_length, "2"}}),
       0},
      {"no body, no type", Verb::post, fields({}), 0},
      {"empty body, no type", Verb::post, fields({{F::content_length, "0"}}), 0},
      {"text/plain", Verb::post,
       fields({{F::content_type, "text/plain;charset=UTF-8"}, {F::content_length, "2"}}), 415},
      {"form", Verb::post,
       fields({{F::content_type, "application/x-www-form-urlencoded"}, {F::content_length, "3"}}),
       415},
      {"multipart", Verb::post, fields({{F::content_type, "multipart/form-data; boundary=x"}}),
       415},
      {"text/plain without a body", Verb::delete_, fields({{F::content_type, "text/plain"}}), 415},
      {"a body without a type", Verb::post, fields({{F::content_length, "2"}}), 415},
      {"a chunked body without a type", Verb::post,
       fields({{F::transfer_encoding, "chunked"}}), 415},
      {"json lookalike", Verb::post, fields({{F::content_type, "application/jsonx"}}), 415},
      {"two types", Verb::post,
       fields({{F::content_type, "application/json"}, {F::content_type, "text/plain"}}), 415},
      {"GET with text/plain", Verb::get, fields({{F::content_type, "text/plain"}}), 0},
      {"hub POST with text/plain", Verb::post,
       fields({{F::content_type, "text/plain;charset=UTF-8"}, {F::content_length, "2"}}), 0,
       RequestSurface::kHub},
  });
}

TEST(RequestPolicy, MessagesNameTheValueAndTheFlag) {
  const CorsPolicy cors;
  const RequestPolicy policy({}, cors);
  RequestHeader header;
  header.method(Verb::get);
  header.target("/");
  header.set(F::host, "rebind.evil.example:5031");
  auto refusal = policy.check(header, RequestSurface::kRest);
  ASSERT_TRUE(refusal);
  EXPECT_NE(refusal->message.find("'rebind.evil.example'"), std::string::npos) << refusal->message;
  EXPECT_NE(refusal->message.find("--allowed-host rebind.evil.example"), std::string::npos);

  header.set(F::host, "127.0.0.1");
  header.method(Verb::post);
  header.set(F::origin, std::string("https://evil.example\x01\xff", 22));
  refusal = policy.check(header, RequestSurface::kRest);
  ASSERT_TRUE(refusal);
  EXPECT_NE(refusal->message.find("'https://evil.example?" "?'"), std::string::npos)
      << refusal->message;
  EXPECT_NE(refusal->message.find("--cors-origin"), std::string::npos);
}

TEST(ParseHost, Kinds) {
  EXPECT_EQ(parse_host("10.0.0.1:80")->kind, HostName::Kind::kIpv4);
  EXPECT_EQ(parse_host("256.0.0.1")->kind, HostName::Kind::kName);
  EXPECT_EQ(parse_host("01.2.3.4")->kind, HostName::Kind::kName);
  EXPECT_EQ(parse_host("[::]")->kind, HostName::Kind::kIpv6);
  EXPECT_EQ(parse_host("[::]")->name, "::");
  EXPECT_EQ(parse_host("Example.COM.:1")->name, "example.com");
  EXPECT_FALSE(parse_host("."));
  EXPECT_FALSE(parse_host("127.0.0..:5031"));  // found by the fuzzer: an empty label
  EXPECT_FALSE(parse_host("a..b"));
  EXPECT_FALSE(parse_host(".a"));
  EXPECT_FALSE(parse_host("a:123456"));
}

}  // namespace
}  // namespace scanhub::http
