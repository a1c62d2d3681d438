#pragma once
// One client of `GET /ws`, Metarr's event socket (seeds 002 and 003; Metarr
// src/services/websocketServer.ts): a push::WebSocket whose messages are JSON text frames.
//
//   open        welcome first, then every record of the EventFeed (EventBroadcaster), through
//               a push::Subscription: bounded outbox, progress conflated per key, lifecycle
//               never dropped and in order
//   client      ping -> pong, resync -> resyncData, startLibraryScan / cancelLibraryScan ->
//               ack or error (events/commands.hpp), one at a time and in order; commands that
//               read or write the database run on the command pool, never on this strand, and
//               reading pauses until the answer is queued (so a client's unanswered messages
//               take at most one read's worth of memory)
//   refused     what is not a Metarr message gets an `error` and the socket stays open:
//               malformed JSON, an unknown type, a bad field (events/client_message.hpp), a
//               binary message (BINARY_NOT_SUPPORTED); a resync flood gets RATE_LIMITED
//               errors (5 at once, then one a second) without touching the database
//   closed      what breaks RFC 6455 closes the socket with the RFC's code and a reason (the
//               frame reader, push/websocket_reader.hpp): 1009 for a message over 64 KiB
//               (its bytes are never buffered), 1007 for a text message that is not UTF-8
//               (RFC 6455 section 8.1: the endpoint must fail the connection), 1002 for a
//               protocol error; 1008 with push::kSlowClientReason for a client that did not
//               keep up (its outbox past the bounds, or a write pending for send_timeout;
//               counted); 1008 with kSilentReason for a client silent for ping_interval +
//               client_timeout_grace; 1008 with kTokenExpiredReason when the caller's
//               token expires (authentication on); 1001 kShutdownReason when the server stops
//   roles       startLibraryScan and cancelLibraryScan need role admin (always so with
//               authentication off): otherwise an `error` with code FORBIDDEN
//   deadlines   one timer: a WebSocket Ping every ping_interval, the silence deadline, the send
//               timeout, and once a close began, close_timeout before the socket is dropped
//
// Threading: owned by shared_ptr (I/O completions, the timer and the command pool hold it);
// everything on the socket's strand but shutdown() and abort_now(). No exception escapes
// (std::bad_alloc aside).

#include "events/client_message.hpp"
#include "events/commands.hpp"
#include "events/rate_limiter.hpp"
#include "http/stream_route.hpp"
#include "live/broadcaster.hpp"
#include "live/surface.hpp"
#include "progress/event_bus.hpp"
#include "push/sink.hpp"
#include "push/subscription.hpp"
#include "push/websocket.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/container/deque.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::live {

/// What every /ws socket refers to; owned by EventService, outlives every socket.
struct SocketContext {
  const EventSurfaceOptions& options;
  EventBroadcaster& broadcaster;
  /// The feed appends and delivers under its lock: a socket's welcome and its joining the
  /// broadcaster happen at one point of that order.
  progress::EventBus& bus;
  events::ScanCommands& commands;
  boost::asio::any_io_executor command_pool;  ///< where commands run (blocking allowed)
  SurfaceCounters& counters;
  ConnectionRegistry& registry;
  std::string server_id;
  std::string server_version;
};

class EventSocket final : public push::WebSocket,
                          public push::PushSink,
                          public LiveConnection {
 public:
  /// `user`: who the upgrade request was authenticated as (http::StreamRequest::user).
  EventSocket(Socket&& socket, SocketContext& context, http::ConnectionLease lease,
              auth::Principal user = auth::anonymous_principal());
  ~EventSocket() override;

  /// Writes the 101 response and runs the socket until it closes.
  void run(std::string upgrade_response);

  // push::PushSink: the subscription's pipeline writes through these.
  push::SendStatus send(const std::vector<push::SharedRecord>& frames) override;
  void close(std::string_view reason) override;
  void abort() override;

  // LiveConnection: any thread.
  void shutdown() override;
  void abort_now() override;

 private:
  using Clock = std::chrono::steady_clock;
  struct ClientText {
    std::string text;
    bool binary = false;
  };

  void on_websocket_open() override;
  bool on_websocket_data(std::string_view bytes, bool text, bool end) override;
  void on_websocket_sent() override;
  void on_websocket_pong() override;
  void on_websocket_closed() override;

  std::shared_ptr<EventSocket> self();
  /// Answers queued client messages in order until one needs the command pool.
  void pump();
  void on_command_done(const events::Message& answer);
  /// Queues `message` (one of ours, to this client only).
  void reply(const events::Message& message);
  /// Closes after what is queued, with `code` and `reason` (static storage).
  void begin_close(std::uint16_t code, std::string_view reason);
  void arm_timer(Clock::time_point when);
  void schedule();
  void on_timer();

  SocketContext& context_;
  http::ConnectionLease lease_;
  const auth::Principal user_;
  const Clock::time_point token_expires_;  // user_'s expiry (max: never)
  std::shared_ptr<push::Subscription> subscription_;
  boost::asio::steady_timer timer_;
  events::TokenBucket resync_limit_;
  std::string message_;                         // the text message being received
  boost::container::deque<ClientText> pending_;  // received, not yet answered
  Clock::time_point last_receive_{};
  Clock::time_point next_ping_{};
  Clock::time_point closing_since_{};
  Clock::time_point timer_due_ = Clock::time_point::max();
  std::uint16_t close_code_ = kPolicyViolation;
  bool receiving_binary_ = false;  // the message being received is binary
  bool busy_ = false;              // a command is on the pool
  bool opened_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

}  // namespace scanhub::live
