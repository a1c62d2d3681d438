// libFuzzer target: the bytes a client sends on an HTTP/1.1 connection, read as the server
// reads them (src/http/http_session.cpp): Beast's request_parser with the server's kind of
// limits reads a header, the request policy (request_policy.hpp) judges it before any body is
// read, then the body is read and the next pipelined request begins; the request target goes
// through the same helpers as routing (split_target, percent_decode, QueryParams,
// has_dot_segment).
//
// Besides "no crash, no leak, no undefined behaviour, bounded memory" it checks properties:
// - a request the policy lets through has unambiguous framing: a Transfer-Encoding only as
//   exactly `chunked` (Beast then parses chunked) and never beside a Content-Length
//   (RFC 9112 section 6.1, 6.3);
// - a refusal has a 4xx/5xx status and a message of printable ASCII (it is sent as JSON);
// - parse_host yields a lower-case name without port or trailing dot, and an allowed Host on a
//   REST request is allowed on a hub request too (the surfaces differ only in rule 4);
// - has_dot_segment finds every '.' that begins a decoded path segment.
// Source of the properties: RFC 9112 and the contracts in request_policy.hpp and
// static_files.hpp.

#include "fuzz_checks.hpp"

#include "http/cors.hpp"
#include "http/query.hpp"
#include "http/request_policy.hpp"
#include "http/static_files.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace {
namespace beast = boost::beast;
namespace beast_http = beast::http;
using namespace scanhub::http;
using scanhub::fuzz::check;

// Small, so that fuzzing reaches the limits often (the server's are 16 KiB and 1 MiB).
constexpr std::uint32_t kHeaderLimit = 2048;
constexpr std::uint64_t kBodyLimit = 4096;
constexpr int kMaxRequests = 8;

const CorsPolicy& cors() {
  static const CorsPolicy policy({"https://app.example.com"});
  return policy;
}

const RequestPolicy& policy() {
  static const RequestPolicy value(
      {.allowed_hosts = {"media.example.org"}, .listen_address = "nas.lan"}, cors());
  return value;
}

void check_refusal(const std::optional<Refusal>& refusal) {
  if (!refusal) return;
  const auto status = static_cast<unsigned>(refusal->status);
  check(status >= 400 && status < 600, "a refusal is a 4xx or 5xx");
  check(!refusal->message.empty(), "a refusal says why");
  check(std::ranges::all_of(refusal->message, [](char c) { return c >= 0x20 && c < 0x7f; }),
        "a refusal message is printable ASCII");
}

void check_host_parse(std::string_view value) {
  const auto host = parse_host(value);
  if (!host) return;
  check(!host->name.empty(), "a parsed host has a name");
  check(std::ranges::none_of(host->name, [](char c) { return c >= 'A' && c <= 'Z'; }),
        "a parsed host is lower case");
  if (host->kind != HostName::Kind::kIpv6) {
    check(host->name.find(':') == std::string::npos, "a parsed name has no port");
    check(host->name.back() != '.', "a parsed name has no trailing dot");
  }
}

void check_target(std::string_view target) {
  const Target split = split_target(target);
  check(split.path.size() + split.query.size() <= target.size(), "split_target stays inside");
  const QueryParams query(split.query);
  (void)query.get("id");
  if (auto path = percent_decode(split.path)) {
    bool expected = false;
    for (std::size_t i = 0; i < path->size(); ++i) {
      if ((*path)[i] == '.' && (i == 0 || (*path)[i - 1] == '/')) expected = true;
    }
    check(has_dot_segment(*path) == expected, "has_dot_segment finds every dot segment");
  }
}

void check_header(const beast_http::request_parser<beast_http::string_body>& parser) {
  const auto& header = parser.get().base();
  const auto rest = policy().check(header, RequestSurface::kRest);
  const auto hub = policy().check(header, RequestSurface::kHub);
  check_refusal(rest);
  check_refusal(hub);
  check(!hub || rest, "what a hub path refuses, a REST path refuses too");
  if (!policy().check_framing(header)) {
    const bool has_te = header.count(beast_http::field::transfer_encoding) > 0;
    const bool has_cl = header.count(beast_http::field::content_length) > 0;
    check(!(has_te && has_cl), "allowed framing never has both lengths");
    check(!has_te || parser.chunked(), "an allowed Transfer-Encoding is parsed as chunked");
  }
  const auto [first, last] = header.equal_range(beast_http::field::host);
  for (auto it = first; it != last; ++it) check_host_parse(it->value());
  check_target(header.target());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_host_parse(input.substr(0, std::min<std::size_t>(input.size(), 300)));
  for (int request = 0; request < kMaxRequests && !input.empty(); ++request) {
    beast_http::request_parser<beast_http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    beast::error_code ec;
    // The header first, as async_read_header does (the parser is not eager: it stops there).
    std::size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
    if (ec || !parser.is_header_done()) return 0;  // malformed, or needs more bytes
    input.remove_prefix(used);
    check_header(parser);
    if (policy().check(parser.get().base(), RequestSurface::kRest)) return 0;  // closed
    parser.eager(true);
    while (!parser.is_done()) {
      used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
      if (ec == beast_http::error::need_more) return 0;  // the rest never came
      if (ec || used == 0) return 0;                     // a 400 or 413, then closed
      input.remove_prefix(used);
    }
    const auto& body = parser.get().body();
    check(body.size() <= kBodyLimit, "the body limit holds");
  }
  return 0;
}
