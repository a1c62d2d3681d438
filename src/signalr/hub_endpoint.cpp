#include "signalr/hub_endpoint.hpp"

#include "signalr/capabilities.hpp"
#include "signalr/hub_connection.hpp"
#include "signalr/http_transport.hpp"
#include "signalr/hub_records.hpp"
#include "signalr/random_token.hpp"
#include "push/fan_out.hpp"
#include "text/json_text.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace scanhub::signalr {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::int64_t kMaxNegotiateVersion = 1;

HttpReply error_reply(unsigned status, std::string_view message) {
  json::object body;
  body["error"] = message;
  return {status, text::serialize_json(body), {}};
}

HttpReply refusal_reply(const PendingNegotiations::Refusal& refusal) {
  using Reason = PendingNegotiations::Refusal::Reason;
  HttpReply reply;
  switch (refusal.reason) {
    case Reason::kFull:
      reply = error_reply(503, "Too many pending connections; try again later.");
      break;
    case Reason::kRateLimited:
      reply = error_reply(429, fmt::format("Too many negotiate requests from this address; try "
                                           "again in {} s.",
                                           refusal.retry_after.count()));
      break;
    case Reason::kTooManyPending:
      reply = error_reply(429, "Too many connections from this address are negotiated but not "
                               "started; start them or wait for them to expire.");
      break;
  }
  reply.retry_after = refusal.retry_after;
  return reply;
}

ClientLimits client_limits(const HubOptions& options) {
  return {options.max_pending_negotiations_per_client, options.negotiate_rate_per_client,
          options.negotiate_burst_per_client, options.max_negotiate_clients};
}

}  // namespace

HubEndpoint::HubEndpoint(std::string path, std::shared_ptr<Hub> hub, HubOptions options,
                         HubCounters& counters)
    : path_(std::move(path)),
      hub_(std::move(hub)),
      options_(options),
      counters_(counters),
      pending_(options.max_pending_negotiations, options.negotiate_timeout,
               client_limits(options)) {}

HubEndpoint::~HubEndpoint() = default;

HttpReply HubEndpoint::negotiate(const asio::ip::address& client,
                                 std::optional<std::string_view> negotiate_version,
                                 bool use_stateful_reconnect) {
  std::int64_t version = 0;
  if (negotiate_version) {
    const auto* first = negotiate_version->data();
    const auto* last = first + negotiate_version->size();
    auto [end, ec] = std::from_chars(first, last, version);
    if (ec != std::errc() || end != last || version < 0) {
      return error_reply(400, "The negotiateVersion query value is not a valid version.");
    }
  }
  version = std::min(version, kMaxNegotiateVersion);

  // ASP.NET Core answers useStatefulReconnect only to a client that asked (the JS client
  // refuses a server that offers it unasked).
  const bool stateful = use_stateful_reconnect && options_.allow_stateful_reconnect;
  std::string connection_id = random_token();
  // Version 0 clients use the connection id as the `id` query value; version 1 keeps a
  // separate secret token so the public connection id cannot be used to hijack a connection.
  std::string token = version >= 1 ? random_token() : connection_id;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return error_reply(503, "The server is shutting down.");
    auto added = pending_.add(token, {connection_id, stateful}, client_key(client), Clock::now());
    if (!added) return refusal_reply(added.error());
  }

  json::object body;
  body["connectionId"] = connection_id;
  if (version >= 1) body["connectionToken"] = token;
  body["negotiateVersion"] = version;
  json::array transports;
  for (const TransportCapability& transport : kTransports) {
    json::array formats;
    for (std::string_view format : transport.formats) {
      if (!format.empty()) formats.emplace_back(format);
    }
    transports.push_back(json::object{{"transport", transport.name}, {"transferFormats", std::move(formats)}});
  }
  body["availableTransports"] = std::move(transports);
  if (stateful) body["useStatefulReconnect"] = true;
  return {200, text::serialize_json(body), {}};
}

std::expected<HubEndpoint::Claim, HubEndpoint::ClaimError> HubEndpoint::claim(
    std::optional<std::string_view> token, TransportKind kind) {
  std::lock_guard lock(mutex_);
  if (stopping_) return std::unexpected(ClaimError::kStopping);
  if (!token) {
    Claim fresh{random_token(), random_token(), false, nullptr};
    claimed_tokens_.emplace(fresh.token, kind);
    return fresh;
  }
  std::string key(*token);
  if (pending_.contains(key)) {
    auto negotiated = pending_.take(key, Clock::now());
    if (!negotiated) return std::unexpected(ClaimError::kNotFound);  // expired
    // Stateful reconnect is a WebSockets feature (the JS client enables it for no other).
    Claim claimed{std::move(negotiated->connection_id), key,
                  negotiated->stateful && kind == TransportKind::kWebSockets, nullptr};
    claimed_tokens_.emplace(std::move(key), kind);
    return claimed;
  }
  if (auto suspended = suspended_.find(key); suspended != suspended_.end()) {
    if (kind != TransportKind::kWebSockets) return std::unexpected(ClaimError::kConflict);
    ConnectionPtr connection = std::move(suspended->second);
    suspended_.erase(suspended);
    return Claim{connection->id(), key, true, std::move(connection)};
  }
  if (claimed_tokens_.contains(key)) return std::unexpected(ClaimError::kConflict);
  return std::unexpected(ClaimError::kNotFound);
}

void HubEndpoint::suspend(std::shared_ptr<HubConnection> connection) {
  std::lock_guard lock(mutex_);
  const std::string token = connection->token();
  suspended_[token] = std::move(connection);
}

bool HubEndpoint::expire(const HubConnection& connection) {
  ConnectionPtr keep;  // released outside the lock
  std::lock_guard lock(mutex_);
  auto found = suspended_.find(connection.token());
  if (found == suspended_.end()) return false;
  keep = std::move(found->second);
  suspended_.erase(found);
  return true;
}

void HubEndpoint::release_claim(const std::string& token) {
  std::lock_guard lock(mutex_);
  claimed_tokens_.erase(token);
}

void HubEndpoint::register_http_transport(const std::string& token,
                                          std::shared_ptr<HttpTransport> transport) {
  std::lock_guard lock(mutex_);
  http_transports_[token] = std::move(transport);
}

std::expected<std::shared_ptr<HttpTransport>, HubEndpoint::FindError>
HubEndpoint::find_http_transport(std::string_view token) {
  std::lock_guard lock(mutex_);
  const std::string key(token);
  if (auto found = http_transports_.find(key); found != http_transports_.end()) {
    return found->second;
  }
  if (auto claimed = claimed_tokens_.find(key); claimed != claimed_tokens_.end()) {
    return std::unexpected(claimed->second == TransportKind::kWebSockets ? FindError::kWebSocket
                                                                         : FindError::kNotReady);
  }
  if (pending_.contains(key)) return std::unexpected(FindError::kNotReady);
  if (auto closed = closed_tokens_.find(key); closed != closed_tokens_.end() &&
                                              closed->second + options_.closed_token_memory >
                                                  Clock::now()) {
    return std::unexpected(FindError::kClosed);  // expired entries linger until the next close
  }
  return std::unexpected(FindError::kNotFound);
}

void HubEndpoint::remember_closed_locked(std::string token, Clock::time_point now) {
  // Bounded by time and by count, so a flood of short connections cannot grow it without end.
  while (!closed_order_.empty()) {
    auto oldest = closed_tokens_.find(closed_order_.front());
    const bool expired = oldest == closed_tokens_.end() ||
                         oldest->second + options_.closed_token_memory <= now;
    if (!expired && closed_order_.size() < options_.max_pending_negotiations) break;
    if (oldest != closed_tokens_.end()) closed_tokens_.erase(oldest);
    closed_order_.pop_front();
  }
  if (closed_tokens_.emplace(token, now).second) closed_order_.push_back(std::move(token));
}

bool HubEndpoint::attach(std::shared_ptr<HubConnection> connection) {
  std::lock_guard lock(mutex_);
  const std::string id = connection->id();
  live_[id] = Live{std::move(connection), false, {}};
  // stop() may have run between claim() and now; it did not see this connection.
  return !stopping_;
}

void HubEndpoint::mark_open(const HubConnection& connection) {
  std::lock_guard lock(mutex_);
  if (auto found = live_.find(connection.id()); found != live_.end()) found->second.open = true;
}

void HubEndpoint::detach(const HubConnection& connection) {
  ConnectionPtr keep;  // released outside the lock
  ConnectionPtr keep_suspended;
  std::shared_ptr<HttpTransport> keep_transport;
  {
    std::lock_guard lock(mutex_);
    claimed_tokens_.erase(connection.token());
    if (auto found = suspended_.find(connection.token()); found != suspended_.end()) {
      keep_suspended = std::move(found->second);
      suspended_.erase(found);
    }
    if (auto found = http_transports_.find(connection.token()); found != http_transports_.end()) {
      keep_transport = std::move(found->second);
      http_transports_.erase(found);
      remember_closed_locked(connection.token(), Clock::now());
    }
    auto found = live_.find(connection.id());
    if (found == live_.end()) return;
    for (const auto& group : found->second.groups) {
      auto members = groups_.find(group);
      if (members == groups_.end()) continue;
      members->second.members.erase(connection.id());
      members->second.snapshot.reset();
      if (members->second.members.empty()) groups_.erase(members);
    }
    keep = std::move(found->second.connection);
    live_.erase(found);
  }
}

void HubEndpoint::stop() {
  std::vector<ConnectionPtr> targets;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    pending_.clear();
    for (auto& [id, live] : live_) targets.push_back(live.connection);
  }
  for (auto& connection : targets) {
    connection->post_close("Server is shutting down.", Reconnect::kAllowed);
  }
}

void HubEndpoint::abort_all() {
  std::vector<ConnectionPtr> targets;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, live] : live_) targets.push_back(live.connection);
  }
  for (auto& connection : targets) connection->post_abort();
}

std::size_t HubEndpoint::live_connections() const {
  std::lock_guard lock(mutex_);
  return live_.size();
}

void HubEndpoint::deliver(Recipients recipients, std::string_view target,
                          const json::array& arguments, const SendOptions& options) {
  // At most one serialization per protocol present among the recipients, made when the first
  // of them is met; one immutable record shared by every recipient's outbox.
  push::fan_out<kWireProtocols>(std::move(recipients), options.conflation_key,
                                [&](std::size_t format) {
                                  return hub_invocation(static_cast<WireProtocol>(format), target,
                                                        arguments);
                                });
}

void HubEndpoint::send_all(std::string_view target, json::array arguments,
                           const SendOptions& options) {
  auto recipients = std::make_shared<std::vector<ConnectionPtr>>();
  {
    std::lock_guard lock(mutex_);
    recipients->reserve(live_.size());
    for (const auto& [id, live] : live_) {
      if (live.open) recipients->push_back(live.connection);
    }
  }
  deliver(std::move(recipients), target, arguments, options);
}

void HubEndpoint::send_group(std::string_view group, std::string_view target,
                             json::array arguments, const SendOptions& options) {
  Recipients recipients;
  {
    std::lock_guard lock(mutex_);
    auto found = groups_.find(std::string(group));
    if (found == groups_.end()) return;
    Group& members = found->second;
    if (!members.snapshot) {
      auto snapshot = std::make_shared<std::vector<ConnectionPtr>>();
      snapshot->reserve(members.members.size());
      for (const auto& [id, connection] : members.members) snapshot->push_back(connection);
      members.snapshot = std::move(snapshot);
    }
    recipients = members.snapshot;
  }
  deliver(std::move(recipients), target, arguments, options);
}

void HubEndpoint::send_connection(std::string_view connection_id, std::string_view target,
                                  json::array arguments, const SendOptions& options) {
  Recipients recipients;
  {
    std::lock_guard lock(mutex_);
    auto found = live_.find(std::string(connection_id));
    if (found == live_.end() || !found->second.open) return;
    recipients = std::make_shared<const std::vector<ConnectionPtr>>(1, found->second.connection);
  }
  deliver(std::move(recipients), target, arguments, options);
}

void HubEndpoint::add_to_group(std::string_view connection_id, std::string_view group) {
  std::lock_guard lock(mutex_);
  auto found = live_.find(std::string(connection_id));
  if (found == live_.end()) return;
  std::string name(group);
  auto& joined = found->second.groups;
  if (joined.size() >= options_.max_groups_per_connection && !joined.contains(name)) {
    // Before anything is stored: a client cannot grow the server by joining without end.
    throw HubError(fmt::format(
        "The connection is in {} groups, the most one connection may join; leave one first.",
        joined.size()));
  }
  joined.insert(name);
  Group& members = groups_[std::move(name)];
  if (members.members.emplace(found->first, found->second.connection).second) {
    members.snapshot.reset();
  }
}

void HubEndpoint::remove_from_group(std::string_view connection_id, std::string_view group) {
  std::lock_guard lock(mutex_);
  auto found = live_.find(std::string(connection_id));
  if (found == live_.end()) return;
  std::string name(group);
  found->second.groups.erase(name);
  auto members = groups_.find(name);
  if (members == groups_.end()) return;
  if (members->second.members.erase(found->first) > 0) members->second.snapshot.reset();
  if (members->second.members.empty()) groups_.erase(members);
}

}  // namespace scanhub::signalr
