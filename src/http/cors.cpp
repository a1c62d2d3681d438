#include "http/cors.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <stdexcept>

namespace scanhub::http {
namespace beast_http = boost::beast::http;

namespace {

constexpr std::string_view kAllowedMethods = "GET, POST, DELETE, OPTIONS";
// What the SignalR clients send: the browser client's X-Requested-With and
// X-SignalR-User-Agent, Authorization for access tokens, Content-Type for POST bodies; and
// X-Api-Key, the other credential a caller may send (auth/authenticator.hpp).
constexpr std::string_view kDefaultHeaders =
    "x-requested-with, x-signalr-user-agent, authorization, content-type, x-api-key";
constexpr std::string_view kMaxAge = "600";  // seconds a browser may cache the preflight
constexpr std::size_t kMaxRequestedHeaders = 1024;

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

std::string normalize_or_throw(std::string_view origin) {
  std::string out = lower(origin);
  while (!out.empty() && out.back() == '/') out.pop_back();
  const auto scheme_end = out.find("://");
  const bool shape_ok = scheme_end != std::string::npos && scheme_end > 0 &&
                        scheme_end + 3 < out.size() &&
                        out.find('/', scheme_end + 3) == std::string::npos &&
                        out.find_first_of(" \t\r\n*,?#") == std::string::npos;
  if (!shape_ok) {
    throw std::invalid_argument("CORS origin must look like scheme://host[:port], not '" +
                                std::string(origin) + "'");
  }
  return out;
}

// Access-Control-Request-Headers is a comma-separated list of header names (tokens). Echoing
// it lets clients add their own headers (the JS client's `headers` option); anything that is
// not such a list gets the default set.
bool is_header_list(std::string_view text) {
  if (text.empty() || text.size() > kMaxRequestedHeaders) return false;
  return std::ranges::all_of(text, [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == ',' || c == ' ' || c == '.';
  });
}

}  // namespace

CorsPolicy::CorsPolicy(const std::vector<std::string>& origins) {
  for (const auto& origin : origins) origins_.push_back(normalize_or_throw(origin));
}

namespace {
// Seed 004's policy exposes all headers (section 7 "CORS Configuration"). With credentials a
// browser takes `*` here literally (Fetch, "CORS protocol and credentials"), so this names each
// header scanhub sends beyond the CORS-safelisted ones: the 401's Bearer challenge, a 429's or
// 503's Retry-After, a 405's Allow.
constexpr const char* kExposedHeaders = "WWW-Authenticate, Retry-After, Allow";
}  // namespace

bool CorsPolicy::allows(std::string_view origin) const {
  if (origin.empty() || origins_.empty()) return false;
  std::string_view trimmed = origin;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.remove_suffix(1);
  return std::ranges::any_of(origins_, [trimmed](const std::string& allowed) {
    return boost::beast::iequals(allowed, trimmed);
  });
}

std::vector<std::pair<std::string, std::string>> CorsPolicy::headers_for(
    std::string_view origin) const {
  std::vector<std::pair<std::string, std::string>> out;
  if (!enabled()) return out;
  out.emplace_back("Vary", "Origin");
  if (!allows(origin)) return out;
  // The request's own spelling is echoed: browsers compare it byte for byte.
  out.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  out.emplace_back("Access-Control-Allow-Credentials", "true");
  out.emplace_back("Access-Control-Expose-Headers", kExposedHeaders);
  return out;
}

void CorsPolicy::decorate(std::string_view origin, Response& response) const {
  for (auto& [name, value] : headers_for(origin)) response.set(name, value);
}

std::optional<Response> CorsPolicy::preflight(const Request& request) const {
  if (request.method() != Verb::options) return std::nullopt;
  const auto origin = request[beast_http::field::origin];
  if (origin.empty() || request.find(beast_http::field::access_control_request_method) ==
                            request.end()) {
    return std::nullopt;
  }
  Response response{beast_http::status::no_content, request.version()};
  decorate(origin, response);
  if (allows(origin)) {
    response.set(beast_http::field::access_control_allow_methods, kAllowedMethods);
    const std::string_view requested = request[beast_http::field::access_control_request_headers];
    response.set(beast_http::field::access_control_allow_headers,
                 is_header_list(requested) ? requested : kDefaultHeaders);
    response.set(beast_http::field::access_control_max_age, kMaxAge);
  }
  return response;
}

}  // namespace scanhub::http
