#pragma once
// The interface between a hub connection (protocol state, src/signalr/hub_connection.hpp) and
// the transport that moves its bytes: WebSockets (websocket_transport.cpp), Server-Sent Events
// and Long Polling, each paired with HTTP POST (http_transport.hpp) (TransportProtocols.md).
//
// Threading: every call in both directions happens on the connection's strand. The transport
// delivers bytes with HubConnection::on_receive, reports writes with on_send_complete and its
// end with on_transport_closed (exactly once).

#include "push/outbox.hpp"

#include <string_view>
#include <vector>

namespace scanhub::signalr {

/// The transports of TransportProtocols.md.
enum class TransportKind { kWebSockets, kServerSentEvents, kLongPolling };

/// What Transport::send did with the records.
enum class SendStatus {
  kPending,  ///< the write is under way: on_send_complete follows
  kWritten,  ///< every byte left at once (WebSockets' direct write): no on_send_complete follows
};

class Transport {
 public:
  virtual ~Transport() = default;

  /// Writes complete records, in order, as one transport message. At most one send is in
  /// flight. kPending: the caller keeps `records` alive until on_send_complete. kWritten: the
  /// bytes are with the kernel already; the send is over and no on_send_complete follows.
  virtual SendStatus send(const std::vector<push::SharedRecord>& records) = 0;
  /// Starts receiving again after on_receive returned false (back-pressure).
  virtual void resume_receive() = 0;
  /// Graceful end: finish the transport's close handshake (`reason` for logs and close frame).
  virtual void close(std::string_view reason) = 0;
  /// Immediate end: cancel pending operations and drop the socket.
  virtual void abort() = 0;
  /// Whether the transport carries binary messages (TransportProtocols.md: Server-Sent Events
  /// is text only). The MessagePack hub protocol needs it.
  virtual bool supports_binary() const noexcept { return true; }
  /// Every later send() carries binary data (MessagePack): WebSockets switch to Binary frames.
  virtual void use_binary() {}
};

}  // namespace scanhub::signalr
