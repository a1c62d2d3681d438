#pragma once
// Per-hub settings of the SignalR server, with ASP.NET Core SignalR's defaults
// (HubOptions: KeepAliveInterval 15 s, ClientTimeoutInterval 30 s, HandshakeTimeout 15 s,
// MaximumReceiveMessageSize 32 KiB). Read by src/signalr only; passed to HubHost::map_hub.

#include <chrono>
#include <cstddef>

namespace scanhub::signalr {

struct HubOptions {
  /// A Ping goes out when nothing was sent to a client for this long.
  std::chrono::milliseconds keep_alive_interval{std::chrono::seconds(15)};
  /// A connection that received nothing (not even a Ping) for this long is closed.
  std::chrono::milliseconds client_timeout{std::chrono::seconds(30)};
  /// The handshake request must arrive within this time after the transport connected.
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(15)};
  /// A negotiated connection id must be claimed by a transport within this time.
  std::chrono::milliseconds negotiate_timeout{std::chrono::seconds(30)};
  /// A write to a client that has not completed after this long closes the connection as a
  /// slow consumer (ASP.NET Core's TransportSendTimeout, 10 s): a client that stopped reading
  /// is let go even when conflation keeps its outbox small.
  std::chrono::milliseconds transport_send_timeout{std::chrono::seconds(10)};
  /// After the server starts closing a connection (Close message, then close frame), the
  /// socket is aborted when the peer has not finished the close within this time.
  std::chrono::milliseconds close_timeout{std::chrono::seconds(5)};
  /// Long Polling: a poll with nothing to deliver is answered 200 with an empty body after this
  /// long (TransportProtocols.md "Long Polling"; ASP.NET Core's PollTimeout, 90 s; the JS
  /// client gives up on a poll after 100 s).
  std::chrono::milliseconds long_poll_timeout{std::chrono::seconds(90)};
  /// How long the token of a closed connection is remembered, so a late poll gets 204 (the
  /// connection ended) rather than 404 (never existed).
  std::chrono::milliseconds closed_token_memory{std::chrono::seconds(30)};

  /// Stateful reconnect (ASP.NET Core 8's AllowStatefulReconnects; HubProtocol.md "Ack" and
  /// "Sequence"): offered when a WebSockets client asks for it in negotiate.
  bool allow_stateful_reconnect = true;
  /// A stateful connection whose WebSocket dropped is kept this long for the client to come
  /// back with the same connection token; sends meanwhile queue in its outbox.
  std::chrono::milliseconds reconnect_grace_period{std::chrono::seconds(30)};
  /// Bytes sent but not yet acknowledged by a stateful client, kept for replay. At the limit
  /// the server stops writing to that client until an Ack arrives (its outbox then conflates
  /// and bounds as for a slow client). ASP.NET Core's StatefulReconnectBufferSize default.
  std::size_t stateful_reconnect_buffer_size = 100'000;

  /// Largest hub message (one record, without its separator) accepted from a client, in bytes.
  std::size_t max_receive_message_size = 32 * 1024;

  /// Per-connection outbox bounds: messages queued but not yet handed to the transport. When
  /// either is exceeded even after conflation, the connection is closed (a slow client).
  std::size_t outbox_max_messages = 1024;
  std::size_t outbox_max_bytes = 4 * 1024 * 1024;
  /// Queued records are written together as one transport message up to this many bytes.
  std::size_t max_batch_bytes = 64 * 1024;

  /// Invocations whose completion has not arrived yet; at the limit the server stops reading
  /// from that client until one completes (back-pressure, not an error).
  std::size_t max_pending_invocations = 64;
  /// Negotiated connections waiting for their transport; further negotiates get 503.
  std::size_t max_pending_negotiations = 10000;

  // Per client address (the TCP peer; an IPv6 client by its /64), so that one client cannot
  // take the whole max_pending_negotiations and lock the others out (negotiate_limiter.hpp).
  // A negotiate past them gets 429 Too Many Requests with Retry-After.
  /// Negotiated connections of one client waiting for their transport; 0: no per-client cap.
  std::size_t max_pending_negotiations_per_client = 1000;
  /// Negotiates per second one client may sustain (a token bucket's refill); 0: unlimited.
  double negotiate_rate_per_client = 100;
  /// Negotiates one client may make at once (the bucket's size).
  double negotiate_burst_per_client = 1000;
  /// Client addresses tracked at once; an idle client's entry is dropped.
  std::size_t max_negotiate_clients = 65536;

  /// Groups one connection may be in at once; a join past it completes with an error and the
  /// connection stays open. Rejoining a group it is in does not count.
  std::size_t max_groups_per_connection = 100;
};

}  // namespace scanhub::signalr
