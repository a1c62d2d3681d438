#include "signalr/hub_host.hpp"

#include "signalr/hub_endpoint.hpp"

#include <stdexcept>

namespace scanhub::signalr {

namespace {
constexpr std::string_view kNegotiateSuffix = "/negotiate";
}

HubHost::HubHost() = default;
HubHost::~HubHost() = default;

HubContext& HubHost::map_hub(std::string path, std::shared_ptr<Hub> hub, HubOptions options) {
  if (path.size() < 2 || path.front() != '/' || path.back() == '/' ||
      path.find_first_of("?#{}") != std::string::npos) {
    throw std::invalid_argument("map_hub: invalid hub path '" + path + "'");
  }
  if (!hub) throw std::invalid_argument("map_hub: no hub for '" + path + "'");
  if (endpoints_.contains(path)) {
    throw std::invalid_argument("map_hub: '" + path + "' is already mapped");
  }
  auto endpoint = std::make_unique<HubEndpoint>(path, std::move(hub), options, counters_);
  HubEndpoint& ref = *endpoint;
  endpoints_.emplace(std::move(path), std::move(endpoint));
  return ref;
}

HubContext* HubHost::context(std::string_view path) const {
  auto found = endpoints_.find(path);
  return found == endpoints_.end() ? nullptr : found->second.get();
}

std::optional<HubRoute> HubHost::match(std::string_view path) const {
  if (auto found = endpoints_.find(path); found != endpoints_.end()) {
    return HubRoute{found->second.get(), HubRoute::Kind::kConnect};
  }
  if (path.ends_with(kNegotiateSuffix)) {
    path.remove_suffix(kNegotiateSuffix.size());
    if (auto found = endpoints_.find(path); found != endpoints_.end()) {
      return HubRoute{found->second.get(), HubRoute::Kind::kNegotiate};
    }
  }
  return std::nullopt;
}

HttpReply HubHost::negotiate(const HubRoute& route, const boost::asio::ip::address& client,
                             std::optional<std::string_view> negotiate_version,
                             bool use_stateful_reconnect) {
  return route.endpoint->negotiate(client, negotiate_version, use_stateful_reconnect);
}

void HubHost::stop() {
  for (auto& [path, endpoint] : endpoints_) endpoint->stop();
}

void HubHost::abort_all() {
  for (auto& [path, endpoint] : endpoints_) endpoint->abort_all();
}

std::size_t HubHost::live_connections() const {
  std::size_t total = 0;
  for (const auto& [path, endpoint] : endpoints_) total += endpoint->live_connections();
  return total;
}

}  // namespace scanhub::signalr
