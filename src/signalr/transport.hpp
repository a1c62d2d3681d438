#pragma once
// The interface between a hub connection (protocol state, src/signalr/hub_connection.hpp) and
// the transport that moves its bytes: WebSockets (websocket_transport.cpp), Server-Sent Events
// and Long Polling, each paired with HTTP POST (http_transport.hpp) (TransportProtocols.md).
// The sending half is push::PushSink (push/sink.hpp): the connection's send pipeline writes
// batches of records through it, one at a time.
//
// Threading: every call in both directions happens on the connection's strand. The transport
// delivers bytes with HubConnection::on_receive, reports writes with on_send_complete and its
// end with on_transport_closed (exactly once).

#include "push/sink.hpp"

namespace scanhub::signalr {

/// The transports of TransportProtocols.md.
enum class TransportKind { kWebSockets, kServerSentEvents, kLongPolling };

class Transport : public push::PushSink {
 public:
  /// Starts receiving again after on_receive returned false (back-pressure).
  virtual void resume_receive() = 0;
  /// Whether the transport carries binary messages (TransportProtocols.md: Server-Sent Events
  /// is text only). The MessagePack hub protocol needs it.
  virtual bool supports_binary() const noexcept { return true; }
  /// Every later send() carries binary data (MessagePack): WebSockets switch to Binary frames.
  virtual void use_binary() {}
};

}  // namespace scanhub::signalr
