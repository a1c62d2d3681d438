#include "http/request_policy.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace scanhub::http {
namespace beast_http = boost::beast::http;
using boost::beast::iequals;

namespace {

constexpr std::size_t kMaxQuoted = 200;

// A header value as it may appear in an error message: printable ASCII only (the message is
// JSON text and ends up on screens), shortened.
std::string quoted(std::string_view value) {
  std::string out = "'";
  for (std::size_t i = 0; i < value.size() && i < kMaxQuoted; ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  if (value.size() > kMaxQuoted) out += "...";
  out += "'";
  return out;
}

char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

bool is_hex_digit(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// reg-name characters we accept (RFC 3986 unreserved; no percent-encoding or sub-delims: no
// browser sends them in Host).
bool is_name_char(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

bool is_port(std::string_view text) noexcept {
  return text.size() <= 5 && std::ranges::all_of(text, is_digit);
}

// Dotted-quad IPv4 (RFC 3986 IPv4address: four decimal octets, no leading zeros beyond "0").
bool is_ipv4(std::string_view text) noexcept {
  int parts = 0;
  while (true) {
    const auto dot = text.find('.');
    const std::string_view part = text.substr(0, dot);
    if (part.empty() || part.size() > 3 || !std::ranges::all_of(part, is_digit)) return false;
    if (part.size() > 1 && part.front() == '0') return false;
    int value = 0;
    std::from_chars(part.data(), part.data() + part.size(), value);
    if (value > 255) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  return parts == 4;
}

// The inside of an IP-literal's brackets: hex digits, colons and (for an embedded IPv4) dots,
// with at least two colons. A loose shape check: the host is only compared, never resolved.
bool is_ipv6_shape(std::string_view text) noexcept {
  if (text.size() < 2 || text.size() > 45) return false;
  if (std::ranges::count(text, ':') < 2) return false;
  return std::ranges::all_of(text, [](char c) { return is_hex_digit(c) || c == ':' || c == '.'; });
}

std::string_view media_type_of(std::string_view content_type) noexcept {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && (content_type.back() == ' ' || content_type.back() == '\t')) {
    content_type.remove_suffix(1);
  }
  while (!content_type.empty() && (content_type.front() == ' ' || content_type.front() == '\t')) {
    content_type.remove_prefix(1);
  }
  return content_type;
}

// Whether the request announces a body: a Content-Length above zero, or any Transfer-Encoding
// (rule 1 has already refused everything but `chunked`).
bool announces_body(const RequestHeader& header) {
  if (header.count(beast_http::field::transfer_encoding) > 0) return true;
  const std::string_view length = header[beast_http::field::content_length];
  return !length.empty() && length.find_first_not_of("0") != std::string_view::npos;
}

}  // namespace

bool is_safe_method(Verb method) noexcept {
  return method == Verb::get || method == Verb::head || method == Verb::options ||
         method == Verb::trace;
}

std::optional<HostName> parse_host(std::string_view value) {
  if (value.empty()) return std::nullopt;
  HostName host;
  if (value.front() == '[') {
    const auto close = value.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view inside = value.substr(1, close - 1);
    const std::string_view rest = value.substr(close + 1);
    if (!is_ipv6_shape(inside)) return std::nullopt;
    if (!rest.empty() && (rest.front() != ':' || !is_port(rest.substr(1)))) return std::nullopt;
    host.kind = HostName::Kind::kIpv6;
    host.name.assign(inside);
  } else {
    const auto colon = value.find(':');
    std::string_view name = value.substr(0, colon);
    if (colon != std::string_view::npos && !is_port(value.substr(colon + 1))) return std::nullopt;
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);  // "localhost." is "localhost"
    if (name.empty() || !std::ranges::all_of(name, is_name_char)) return std::nullopt;
    // No empty label ("a..b", ".a", "a.."): not a name any resolver would look up.
    if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string_view::npos) {
      return std::nullopt;
    }
    host.kind = is_ipv4(name) ? HostName::Kind::kIpv4 : HostName::Kind::kName;
    host.name.assign(name);
  }
  std::ranges::transform(host.name, host.name.begin(), lower);
  return host;
}

RequestPolicy::RequestPolicy(RequestPolicyOptions options, const CorsPolicy& cors) : cors_(cors) {
  for (const auto& entry : options.allowed_hosts) {
    if (entry == "*") {
      any_host_ = true;
      continue;
    }
    auto host = parse_host(entry);
    if (!host) {
      throw std::invalid_argument("allowed host must be a host name or '*', not " + quoted(entry));
    }
    allowed_hosts_.push_back(std::move(host->name));
  }
  if (auto own = parse_host(options.listen_address); own && own->kind == HostName::Kind::kName) {
    allowed_hosts_.push_back(std::move(own->name));
  }
}

std::optional<Refusal> RequestPolicy::check(const RequestHeader& header,
                                            RequestSurface surface) const {
  if (auto refusal = check_framing(header)) return refusal;
  if (auto refusal = check_host(header)) return refusal;
  if (auto refusal = check_origin(header)) return refusal;
  return check_content_type(header, surface);
}

std::optional<Refusal> RequestPolicy::check_framing(const RequestHeader& header) const {
  const auto [first, last] = header.equal_range(beast_http::field::transfer_encoding);
  if (first == last) return std::nullopt;
  if (header.count(beast_http::field::content_length) > 0) {
    return Refusal{Status::bad_request,
                   "A request with both Transfer-Encoding and Content-Length is refused: its "
                   "length would be ambiguous (RFC 9112 section 6.3)."};
  }
  // Every Transfer-Encoding field together is one list; it must be exactly `chunked`.
  std::string all;
  std::size_t codings = 0;
  bool only_chunked = true;
  for (auto field = first; field != last; ++field) {
    if (!all.empty()) all += ", ";
    all.append(field->value());
    for (std::string_view list = field->value(); !list.empty();) {
      const auto comma = list.find(',');
      std::string_view coding = media_type_of(list.substr(0, comma));  // trims OWS
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      if (coding.empty()) continue;
      ++codings;
      if (!iequals(coding, "chunked")) only_chunked = false;
    }
  }
  if (codings == 1 && only_chunked) return std::nullopt;
  return Refusal{Status::not_implemented,
                 "Transfer-Encoding " + quoted(all) +
                     " is not implemented; a request body is sent with Content-Length or "
                     "Transfer-Encoding: chunked alone (RFC 9112 section 6.1)."};
}

std::optional<Refusal> RequestPolicy::check_host(const RequestHeader& header) const {
  const auto hosts = header.count(beast_http::field::host);
  if (hosts == 0) {
    if (header.version() < 11) return std::nullopt;  // HTTP/1.0 has no Host
    return Refusal{Status::bad_request,
                   "An HTTP/1.1 request needs a Host header (RFC 9112 section 3.2)."};
  }
  if (hosts > 1) {
    return Refusal{Status::bad_request, "A request may carry only one Host header."};
  }
  const std::string_view value = header[beast_http::field::host];
  const auto host = parse_host(value);
  if (!host) {
    return Refusal{Status::bad_request,
                   "The Host header " + quoted(value) + " is not a valid host[:port]."};
  }
  if (host->kind != HostName::Kind::kName || host_allowed(host->name)) return std::nullopt;
  return Refusal{Status::misdirected_request,
                 "Host " + quoted(host->name) +
                     " is not served: only IP addresses, localhost and allowed host names are "
                     "(a defence against DNS rebinding). To serve it, start scanhub with "
                     "--allowed-host " +
                     host->name + "."};
}

bool RequestPolicy::host_allowed(std::string_view name) const {
  if (name == "localhost" || name.ends_with(".localhost")) return true;  // RFC 6761 section 6.3
  if (any_host_) return true;
  return std::ranges::find(allowed_hosts_, name) != allowed_hosts_.end();
}

std::optional<Refusal> RequestPolicy::check_origin(const RequestHeader& header) const {
  const bool upgrade = header.count(beast_http::field::upgrade) > 0;
  if (!upgrade && is_safe_method(header.method())) return std::nullopt;
  const auto origins = header.count(beast_http::field::origin);
  if (origins == 0) return std::nullopt;
  const std::string_view origin = header[beast_http::field::origin];
  if (origins == 1) {
    const std::string_view host = header[beast_http::field::host];
    for (std::string_view scheme : {"http://", "https://"}) {
      if (!host.empty() && origin.size() == scheme.size() + host.size() &&
          iequals(origin.substr(0, scheme.size()), scheme) &&
          iequals(origin.substr(scheme.size()), host)) {
        return std::nullopt;
      }
    }
    if (cors_.allows(origin)) return std::nullopt;
  }
  return Refusal{Status::forbidden,
                 "Origin " + quoted(origin) + " may not " +
                     (upgrade ? std::string("open a WebSocket here")
                              : std::string(header.method_string()) + " here") +
                     ": only the server's own pages and origins given with --cors-origin may."};
}

std::optional<Refusal> RequestPolicy::check_content_type(const RequestHeader& header,
                                                         RequestSurface surface) const {
  if (surface != RequestSurface::kRest || is_safe_method(header.method())) return std::nullopt;
  const auto types = header.count(beast_http::field::content_type);
  if (types == 0) {
    if (!announces_body(header)) return std::nullopt;
    return Refusal{Status::unsupported_media_type,
                   "A request body must be JSON, sent with Content-Type: application/json."};
  }
  const std::string_view type = header[beast_http::field::content_type];
  if (types == 1 && iequals(media_type_of(type), "application/json")) return std::nullopt;
  return Refusal{Status::unsupported_media_type,
                 "Content-Type " + quoted(type) +
                     " is not accepted: request bodies are JSON, sent with Content-Type: "
                     "application/json."};
}

}  // namespace scanhub::http
