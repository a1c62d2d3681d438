#include "api/signalr_info.hpp"

#include "http/json_response.hpp"
#include "signalr/capabilities.hpp"

#include <boost/json.hpp>

#include <memory>

namespace scanhub::api {

namespace {

constexpr std::string_view kJobProgressHubUrl = "/hubs/job-progress";

// Seed 004 section 4's descriptions, as its connection-info words them.
std::string describe(std::string_view event) {
  static constexpr std::pair<std::string_view, std::string_view> kDescriptions[] = {
      {"JobProgressUpdate", "Fired when job progress updates"},
      {"JobCompleted", "Fired when job completes successfully"},
      {"JobFailed", "Fired when job fails"},
      {"VideoProgressUpdate", "Fired when video progress updates"},
      {"UserNotification", "Fired for user-specific notifications"},
      {"BroadcastNotification", "Fired for system-wide notifications"},
      {"Error", "Fired when an error occurs"},
  };
  for (const auto& [name, text] : kDescriptions) {
    if (name == event) return std::string(name) + " - " + std::string(text);
  }
  return std::string(event);
}

}  // namespace

SignalRInfo signalr_capabilities() {
  SignalRInfo info;
  for (const auto& transport : signalr::kTransports) info.transports.emplace_back(transport.name);
  for (std::string_view protocol : signalr::kHubProtocols) info.protocols.emplace_back(protocol);
  return info;
}

boost::json::object connection_info(const SignalRInfo& info) {
  boost::json::object o;
  o["hubUrl"] = kJobProgressHubUrl;
  o["userId"] = nullptr;  // the caller's, filled in per request (add_signalr_routes)
  o["instructions"] = {
      {"connect", "Use SignalR client library to connect to the hub"},
      {"authentication", "With serve --auth, pass a JWT or an API key in accessTokenFactory; "
                         "it is sent as access_token. Without --auth no token is needed"},
      {"subscribeToJob", "Call hub.invoke('SubscribeToJob', jobId) to receive job updates"},
      {"subscribeToVideo", "Call hub.invoke('SubscribeToVideo', videoId) to receive video updates"},
      {"unsubscribeFromJob", "Call hub.invoke('UnsubscribeFromJob', jobId) to stop receiving job updates"},
      {"getJobProgress", "Call hub.invoke('GetJobProgress', jobId) to get current job status"},
      {"getVideoProgress", "Call hub.invoke('GetVideoProgress', videoId) to get current video status"},
  };
  boost::json::array events;
  boost::json::array hubs;
  for (const auto& hub : info.hubs) {
    if (hub.url == kJobProgressHubUrl) {
      for (const auto& event : hub.events) events.push_back(boost::json::string(describe(event)));
    }
    boost::json::array names(hub.events.begin(), hub.events.end());
    hubs.push_back({{"name", hub.name}, {"url", hub.url}, {"events", std::move(names)}});
  }
  o["events"] = std::move(events);
  o["hubs"] = std::move(hubs);
  boost::json::array transports(info.transports.begin(), info.transports.end());
  o["transports"] = std::move(transports);
  boost::json::array protocols(info.protocols.begin(), info.protocols.end());
  o["protocols"] = std::move(protocols);
  return o;
}

void add_signalr_routes(http::Router& router, SignalRInfo info) {
  // Built once: the answer does not change while the server runs.
  auto body = std::make_shared<const boost::json::object>(connection_info(info));
  for (const char* path : {"/api/signalr/connection-info", "/api/v1/signalr/connection-info"}) {
    router.add(http::Verb::get, path,
               [body](const http::Request&, const http::PathParams&, const auth::Principal& caller) {
                 // Seed 004 answers with the caller's user id (Context.User); null when anonymous.
                 boost::json::object answer = *body;
                 if (!caller.user_id.empty()) answer["userId"] = caller.user_id;
                 return http::json_response(http::Status::ok, answer);
               });
  }
}

}  // namespace scanhub::api
