#pragma once
// One SignalR connection: the handshake, the JSON or MessagePack hub protocol, dispatch to the
// hub, the outbox, keep-alive pings and timeouts. Transport-independent (see transport.hpp).
//
// Source: HubProtocol.md (handshake, messages, "Ping (aka Keep Alive)", "Ack", "Sequence"),
// ASP.NET Core's HubConnectionHandler behaviour for timeouts, and the JS client's MessageBuffer
// for stateful reconnect (where it and the spec differ, the client wins). Internal to
// src/signalr.
//
// Stateful reconnect (handshake version 2 on a connection negotiated with
// useStatefulReconnect): every Invocation/Completion sent gets the next id (from 1); sent
// records stay in a replay buffer until the client's Ack covers them. When the WebSocket drops
// the connection is suspended, not closed: it stays in its groups and keeps queueing for
// options().reconnect_grace_period. A WebSocket with the same token resumes it: the server
// sends Sequence(oldest unacknowledged id), replays the buffer, then the outbox. Ids of the
// client's messages are tracked the same way, so a client's resent duplicates are dropped.
//
// Threading: owned by shared_ptr; all state lives on `executor` (a strand). The post_* members
// are callable from any thread; everything else runs on the strand. No exception escapes.

#include "signalr/hub.hpp"
#include "signalr/json_hub_protocol.hpp"
#include "signalr/msgpack_hub_protocol.hpp"
#include "push/outbox.hpp"
#include "signalr/record_reader.hpp"
#include "signalr/transport.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::signalr {

class HubEndpoint;

/// The hub protocol a connection chose in its handshake (HubProtocol.md).
enum class WireProtocol { kJson, kMessagePack };

class HubConnection : public std::enable_shared_from_this<HubConnection> {
 public:
  /// `stateful_allowed`: negotiated with useStatefulReconnect over WebSockets; a version 2
  /// handshake then makes the connection stateful.
  HubConnection(HubEndpoint& endpoint, CallerContext caller, std::string token,
                boost::asio::any_io_executor strand, bool stateful_allowed = false);
  ~HubConnection();
  HubConnection(const HubConnection&) = delete;
  HubConnection& operator=(const HubConnection&) = delete;

  const std::string& id() const noexcept { return caller_.connection_id; }
  const std::string& token() const noexcept { return token_; }
  const boost::asio::any_io_executor& executor() const noexcept { return strand_; }
  /// Any thread. Final before the connection is marked open (HubEndpoint::mark_open), so a
  /// sender that found it open reads the protocol its records must be written in.
  WireProtocol protocol() const noexcept { return protocol_.load(std::memory_order_relaxed); }

  // Any thread. Sends, completions, closes and aborts made from one thread arrive in call order:
  // all of them pass through one inbox, drained in order on the strand, so a burst costs one
  // drain per connection, not one per message.
  void post_send(push::SharedRecord record, std::string_view conflation_key);
  /// The first half of post_send, for a fan-out to many connections (HubEndpoint::deliver):
  /// appends to the inbox and returns true when the caller must call dispatch_drain() (no
  /// drain is scheduled yet); the record still leaves in call order relative to every other
  /// post_* call, whenever the drain runs.
  bool push_send(push::SharedRecord record, std::string_view conflation_key);
  /// Runs the drain that push_send asked for: at once when called on a network thread and the
  /// strand is idle (asio::dispatch), else queued on the strand. Any thread but this
  /// connection's strand, where post_drain() must be used.
  void dispatch_drain();
  /// Queues the drain that push_send asked for on the strand. Any thread.
  void post_drain();
  /// Sends Close (with `error` unless empty) after what is already queued, then closes.
  void post_close(std::string error, bool allow_reconnect);
  void post_abort();
  /// A hub method's Completion (any thread): queued after the sends made before it.
  void post_completion(std::optional<std::string> invocation_id, InvocationResult outcome);

  // Transport side, on the strand.
  void start(std::shared_ptr<Transport> transport);
  /// A new WebSocket for this suspended stateful connection (claimed through
  /// HubEndpoint::claim). Aborts `transport` when the connection ended meanwhile.
  void resume(std::shared_ptr<Transport> transport);
  /// The WebSocket that claimed this connection for resume failed before it started.
  void on_resume_failed();
  /// Bytes from the client. Returns false to stop receiving until Transport::resume_receive.
  bool on_receive(std::string_view bytes);
  void on_send_complete(bool ok);
  void on_transport_closed();

  /// A Completion arrived (posted by the invocation's Completion from any thread).
  void on_completion_for_dispatch(const std::optional<std::string>& invocation_id,
                                  InvocationResult outcome);

 private:
  // kSuspended: a stateful connection between its WebSocket dropping and resume or expiry.
  enum class State { kCreated, kHandshake, kOpen, kSuspended, kClosing, kClosed };
  using Clock = std::chrono::steady_clock;

  void process_records();
  void compact_readers();
  void on_handshake(std::string_view record);
  void on_message(std::string_view record);
  void dispatch(InvocationMessage& invocation);
  bool input_blocked() const noexcept;
  /// Processes held-back records and reads from the client again once input_blocked() ends.
  void resume_input();
  void complete_now(const std::optional<std::string>& invocation_id, std::string error);

  void enqueue(push::SharedRecord record, std::string_view conflation_key, bool sequenced = true);
  void on_ack(std::int64_t sequence_id);
  bool on_sequence(std::int64_t sequence_id);
  /// Stateful: numbers the client's next counted message; false when it is a resent duplicate.
  bool accept_sequenced();
  void queue_ack();
  void suspend();
  /// Ends the connection for good: leaves its groups, tells the hub.
  void finalize();
  void maybe_write();
  /// Fills in_flight_ with the next batch (Sequence and replay first after a resume) and marks
  /// the write started; false when there is nothing to write now.
  bool start_write();
  /// The write in flight ended (`ok`: every byte left). False when no further write may start:
  /// the connection failed, closed, or its Close went out and the transport is closing.
  bool finish_write(bool ok);
  /// Writes `record` at once when nothing is queued or in flight (the fan-out's common case at
  /// a steady rate: no outbox entry, no batch), taking `record` (left empty); false, `record`
  /// untouched, when it must take the outbox's path.
  bool write_now(push::SharedRecord& record);
  void drain_inbox();
  /// Runs `task` on the strand after everything already in the inbox (post_close, post_abort,
  /// post_completion).
  void post_ordered(std::function<void()> task);
  void fail_handshake(std::string_view reason);
  void close_with(std::string_view error, bool allow_reconnect, bool keep_queued,
                  std::string_view log_reason);
  void protocol_error(std::string_view reason);
  std::optional<std::string_view> next_record();
  bool msgpack() const noexcept { return protocol() == WireProtocol::kMessagePack; }

  void arm_timer();
  void on_timer();

  HubEndpoint& endpoint_;
  CallerContext caller_;
  std::string token_;
  boost::asio::any_io_executor strand_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<Transport> transport_;

  State state_ = State::kCreated;
  RecordReader reader_;            // the handshake, then the JSON protocol
  LengthPrefixedReader frames_;    // the MessagePack protocol after the handshake
  std::atomic<WireProtocol> protocol_{WireProtocol::kJson};
  push::Outbox outbox_;
  // Sends and other work from other threads wait here for drain_inbox() on the strand.
  struct PendingSend {
    push::SharedRecord record;           // a send, or empty for a task
    std::string conflation_key;
    std::function<void()> task;    // post_ordered
  };
  std::mutex inbox_mutex_;
  std::vector<PendingSend> inbox_;  // guarded by inbox_mutex_
  bool drain_posted_ = false;       // guarded by inbox_mutex_
  // The inbox's other buffer, swapped in by drain_inbox (on the strand), so steady traffic
  // allocates no vector per message.
  std::vector<PendingSend> draining_sends_;
  std::vector<push::SharedRecord> in_flight_;
  bool writing_ = false;
  bool draining_ = false;          // drain_inbox() is filling the outbox: write once, after
  bool close_sent_ = false;        // Transport::close requested
  bool receive_suspended_ = false;  // on_receive returned false
  bool resume_posted_ = false;      // maybe_write posted a resume_input()
  bool handshake_done_ = false;
  std::size_t pending_invocations_ = 0;

  // Stateful reconnect (see the top of this file).
  bool stateful_allowed_ = false;
  bool stateful_ = false;
  bool resend_pending_ = false;          // resumed: Sequence + replay go out first
  push::ReplayBuffer replay_;      // sent, not acknowledged, oldest first
  std::int64_t replay_first_id_ = 1;     // id of replay_.front()
  std::size_t replay_bytes_ = 0;
  std::int64_t next_receive_id_ = 1;     // id the client's next counted message carries
  std::int64_t latest_received_id_ = 0;  // highest id processed from the client
  bool ack_due_ = false;

  Clock::time_point last_receive_{};
  Clock::time_point last_send_{};
  Clock::time_point write_started_{};  // of the write in flight (writing_)
  Clock::time_point deadline_{};  // handshake, close or grace deadline, by state
};

}  // namespace scanhub::signalr
