#pragma once
// GET /api/signalr/connection-info and GET /api/v1/signalr/connection-info (seed 004, section 6
// "Test SignalR Connection Info Endpoint"): how to connect to scanhub's hubs.
//
// The response keeps seed 004's fields (hubUrl = /hubs/job-progress, userId: the caller's user
// id, null when anonymous; instructions,
// events: "Name - what it is" for each event of the hub at hubUrl, exactly those its HubInfo
// lists) and adds what a client of any hub needs: "hubs" ([{name, url, events}] of every
// mapped hub),
// "transports" and "protocols" actually served. The caller (src/app) passes the hubs it maps
// and the transports and protocols from signalr_capabilities(), so the answer stays true.
// The handler runs on network threads and does no I/O.

#include "http/router.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace scanhub::api {

struct HubInfo {
  std::string name;  ///< "JobProgressHub"
  std::string url;   ///< "/hubs/job-progress"
  /// Every event (client method) the hub sends, as the hub declares it (e.g.
  /// hubs::JobProgressHub::kEvents), so the list is exactly what clients can receive.
  std::vector<std::string> events;
};

struct SignalRInfo {
  std::vector<HubInfo> hubs;
  std::vector<std::string> transports;  ///< negotiate's names: "WebSockets", ...
  std::vector<std::string> protocols;   ///< handshake names: "json", ...
};

/// The transports and hub protocols the SignalR server serves, read from the list negotiate
/// itself uses (signalr/capabilities.hpp); `hubs` is left for the caller to fill.
SignalRInfo signalr_capabilities();

/// The connection-info body for `info`.
boost::json::object connection_info(const SignalRInfo& info);

/// Adds both spellings of the route.
void add_signalr_routes(http::Router& router, SignalRInfo info);

}  // namespace scanhub::api
