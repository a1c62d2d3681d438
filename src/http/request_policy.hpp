#pragma once
// What a request must satisfy before it is routed, read from its header alone (the body is not
// read yet): message framing, the Host it names, the Origin a browser put on it, and the type
// of the body a state-changing REST request carries. Every surface goes through it: REST,
// static files, negotiate, every SignalR transport and WebSocket upgrades (http_session.cpp
// calls check() once per request, before routing and before reading a body).
//
// Why (README "Security"): without these checks any web page a user visits can drive a
// loopback service. A cross-site WebSocket is not subject to CORS; a "simple" cross-site POST
// (text/plain, form types) is sent without a preflight and executed; a DNS-rebinding page
// reads every response as same-origin. And a Transfer-Encoding the server does not implement
// lets a body be read as a second request (request smuggling).
//
// Rules, in the order they are checked:
//  1. Framing (RFC 9112 section 6.1, 6.3): Transfer-Encoding together with Content-Length ->
//     400; any Transfer-Encoding other than exactly `chunked` (case-insensitive; lists,
//     `gzip`, `identity`, ...) -> 501.
//  2. Host (RFC 9112 section 3.2; DNS rebinding): HTTP/1.1 without Host, with several, or with
//     a malformed one -> 400. An IP literal (IPv4, `[IPv6]`), `localhost` and `*.localhost`
//     are allowed; another name only when it is an `allowed_hosts` entry (`*`: any name) or
//     the server's own listen address. Case-insensitive, port ignored, a trailing dot
//     tolerated. Refused -> 421 naming the host and `--allowed-host`.
//  3. Origin (WHATWG Fetch "Origin header"; RFC 6455 section 10.2): on a WebSocket upgrade or
//     a request with an unsafe method (anything but GET, HEAD, OPTIONS, TRACE; RFC 9110
//     section 9.2.1), a present Origin must be the server's own (`http://` or `https://` + the
//     request's Host, vetted by rule 2) or a CORS origin (cors.hpp); `null` and any other ->
//     403 naming the origin and `--cors-origin`. No Origin (curl, Node, native apps) passes.
//  4. Content type: an unsafe request to a REST path (not a hub path: SignalR's HTTP
//     transports post text/plain) with a Content-Type other than application/json
//     (parameters allowed), or with a body and no Content-Type -> 415.
//
// Threading: immutable after construction; check() from any thread. Pure: no I/O, no clock.
// Never throws except std::bad_alloc (the constructor: std::invalid_argument for a malformed
// allowed host).

#include "http/cors.hpp"
#include "http/message.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::http {

using RequestHeader = boost::beast::http::request_header<>;

struct RequestPolicyOptions {
  /// `--allowed-host` names (a host name, `*` for any); compared case-insensitively.
  std::vector<std::string> allowed_hosts;
  /// The server's `--address`; when it is a name (not an IP literal) that name is allowed.
  std::string listen_address;
};

/// What the request is addressed to; decides whether rule 4 applies.
enum class RequestSurface {
  kRest,  ///< REST routes, static files and anything else the router answers
  kHub,   ///< a mapped hub's negotiate or connect path (SignalR's own framing)
};

/// A refused request: the status and the message for `{"error": ...}`. The connection is
/// closed after the answer (the body, if any, was not read).
struct Refusal {
  Status status;
  std::string message;
};

class RequestPolicy {
 public:
  RequestPolicy(RequestPolicyOptions options, const CorsPolicy& cors);

  /// Rules 1-4; nullopt when the request may go on. `cors` must outlive the policy.
  std::optional<Refusal> check(const RequestHeader& header, RequestSurface surface) const;

  std::optional<Refusal> check_framing(const RequestHeader& header) const;
  std::optional<Refusal> check_host(const RequestHeader& header) const;
  std::optional<Refusal> check_origin(const RequestHeader& header) const;
  std::optional<Refusal> check_content_type(const RequestHeader& header,
                                            RequestSurface surface) const;

 private:
  bool host_allowed(std::string_view name) const;

  std::vector<std::string> allowed_hosts_;  // lower case, no trailing dot
  bool any_host_ = false;
  const CorsPolicy& cors_;
};

/// The host part of a Host header value, or nullopt when malformed.
struct HostName {
  enum class Kind { kIpv4, kIpv6, kName };
  Kind kind = Kind::kName;
  std::string name;  ///< lower case, no port, no brackets, no trailing dot
};
std::optional<HostName> parse_host(std::string_view value);

/// Whether `method` is safe (RFC 9110 section 9.2.1: GET, HEAD, OPTIONS, TRACE).
bool is_safe_method(Verb method) noexcept;

}  // namespace scanhub::http
