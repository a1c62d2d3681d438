#pragma once
// What the HTTP server answers to one request that is not a WebSocket upgrade: SignalR
// negotiate, the REST routes, static files, else 404. No sockets: unit-testable.
//
// Order: (1) a mapped hub's `{path}/negotiate` (POST; 401 without valid credentials, the
// token from the header or `access_token=`, authorize.hpp) and `{path}` (transport requests
// need the connection and are served by the HTTP session, http_transports.hpp; here: 400);
// (2) the Router; (3) GET/HEAD static files (disk web root first when set, then embedded);
// (4) 404 `{"error": ...}`. HEAD is answered like GET without a body.
// Threading: any thread (the session's strand). Never throws except std::bad_alloc.

#include "http/authorize.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "http/static_files.hpp"

#include <boost/asio/ip/address.hpp>

#include <filesystem>

namespace scanhub::signalr {
class HubHost;
}

namespace scanhub::http {

struct RequestContext {
  const Router& router;
  signalr::HubHost& hubs;
  const StaticFiles& files;
  std::filesystem::path web_root;  ///< development override; empty: embedded files only
};

/// The response (status, headers, body, Content-Length set; version and keep-alive not yet).
/// `client`: the TCP peer's address (SignalR negotiate limits it per client).
Response handle_request(const Request& request, const RequestContext& context,
                        const boost::asio::ip::address& client);

/// The bearer token of a SignalR request: `Authorization: Bearer X`, else `access_token=X`.
std::string access_token_of(const Request& request, std::string_view query);

}  // namespace scanhub::http
