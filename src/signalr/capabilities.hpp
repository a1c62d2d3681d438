#pragma once
// What this SignalR server offers, in one place: negotiate advertises these transports and
// /api/signalr/connection-info lists them, so the two cannot drift apart.
// Names as TransportProtocols.md and HubProtocol.md spell them (dotnet/aspnetcore).

#include <array>
#include <string_view>

namespace scanhub::signalr {

struct TransportCapability {
  std::string_view name;                 ///< "WebSockets", "ServerSentEvents", "LongPolling"
  std::array<std::string_view, 2> formats;  ///< "Text", "Binary"; empty entries unused
};

/// In the order negotiate offers them (the client tries them in this order).
inline constexpr std::array<TransportCapability, 3> kTransports{{
    {"WebSockets", {"Text", "Binary"}},
    {"ServerSentEvents", {"Text", {}}},  // SSE carries text only ("Server-Sent Events")
    {"LongPolling", {"Text", "Binary"}},
}};

/// Hub protocols the handshake accepts.
inline constexpr std::array<std::string_view, 2> kHubProtocols{"json", "messagepack"};

}  // namespace scanhub::signalr
