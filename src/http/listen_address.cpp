#include "http/listen_address.hpp"

#include "http/request_policy.hpp"

#include <fmt/format.h>

namespace scanhub::http {

std::string browse_url(const ListenEndpoint& endpoint, std::string_view configured_address) {
  if (endpoint.all_interfaces) return fmt::format("http://localhost:{}/", endpoint.port);
  if (auto configured = parse_host(configured_address);
      configured && configured->kind == HostName::Kind::kName) {
    return fmt::format("http://{}:{}/", configured->name, endpoint.port);
  }
  if (endpoint.ipv6) return fmt::format("http://[{}]:{}/", endpoint.address, endpoint.port);
  return fmt::format("http://{}:{}/", endpoint.address, endpoint.port);
}

}  // namespace scanhub::http
