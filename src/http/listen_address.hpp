#pragma once
// Where the server listens, as the operator sees it: the bound address and a URL to open.
// Pure; any thread; throws only std::bad_alloc.

#include <cstdint>
#include <string>
#include <string_view>

namespace scanhub::http {

/// The socket address Server::start() bound (server.hpp).
struct ListenEndpoint {
  std::string address;  ///< the bound IP address as text ("127.0.0.1", "::1", "::")
  std::uint16_t port = 0;
  bool ipv6 = false;
  bool loopback = false;        ///< 127.0.0.0/8 or ::1 (an IPv4-mapped loopback too)
  bool all_interfaces = false;  ///< 0.0.0.0 or ::
};

/// A URL a person can paste into a browser: `http://[::1]:5031/` for IPv6,
/// `http://localhost:5031/` when listening on all interfaces, the configured name when
/// `configured_address` is a host name (`--address localhost`), else the bound address.
std::string browse_url(const ListenEndpoint& endpoint, std::string_view configured_address);

}  // namespace scanhub::http
