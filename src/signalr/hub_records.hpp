#pragma once
// The records a connection writes itself, in the hub protocol it chose (HubProtocol.md): one
// function per message, each picking the JSON or the MessagePack writer, each returning a
// push::SharedRecord ready for the send pipeline. Internal to src/signalr.
//
// Pure; any thread. Throw only std::bad_alloc.

#include "push/record.hpp"
#include "signalr/hub.hpp"

#include <cstdint>
#include <string_view>

namespace scanhub::signalr {

/// The hub protocol a connection chose in its handshake (HubProtocol.md); its value is the
/// connection's wire format index in a fan-out (push/fan_out.hpp).
enum class WireProtocol : std::uint8_t { kJson = 0, kMessagePack = 1 };
inline constexpr std::size_t kWireProtocols = 2;

/// Ping (shared: the same two records for every connection).
push::SharedRecord hub_ping(WireProtocol protocol);
push::SharedRecord hub_completion(WireProtocol protocol, std::string_view invocation_id,
                                     const InvocationResult& outcome);
push::SharedRecord hub_invocation(WireProtocol protocol, std::string_view target,
                                     const boost::json::array& arguments);
/// Whether a client may reconnect after a Close message (its `allowReconnect`).
enum class Reconnect : std::uint8_t { kNotAllowed, kAllowed };
push::SharedRecord hub_close(WireProtocol protocol, std::string_view error,
                                Reconnect reconnect);
push::SharedRecord hub_ack(WireProtocol protocol, std::int64_t sequence_id);
push::SharedRecord hub_sequence(WireProtocol protocol, std::int64_t sequence_id);

}  // namespace scanhub::signalr
