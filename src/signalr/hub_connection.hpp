#pragma once
// One SignalR connection: the handshake, dispatch of the client's messages to the hub, keep-alive
// pings and timeouts, and the connection's state. Transport-independent (see transport.hpp).
// Internal to src/signalr.
//
// It is the coordinator of three parts, each its own type:
// - MessageReader (message_reader.hpp): the client's bytes to hub messages, bounded;
// - push::SendPipeline with its push::Inbox (push/send_pipeline.hpp): everything sent to the
//   client, from any thread, bounded, conflated, one write in flight, corked;
// - ReconnectReplay (reconnect_replay.hpp), made by a version 2 handshake on a connection
//   negotiated with useStatefulReconnect: when the WebSocket drops the connection is
//   suspended, not closed: it stays in its groups and keeps queueing for
//   options().reconnect_grace_period; a WebSocket with the same token resumes it.
//
// Source: HubProtocol.md (handshake, messages, "Ping (aka Keep Alive)", "Ack", "Sequence"),
// ASP.NET Core's HubConnectionHandler behaviour for timeouts.
//
// Threading: owned by shared_ptr; all state lives on `executor` (a strand). The post_* and
// fan-out members are callable from any thread; everything else runs on the strand. No
// exception escapes.

#include "push/inbox.hpp"
#include "push/send_pipeline.hpp"
#include "signalr/hub.hpp"
#include "signalr/hub_records.hpp"
#include "signalr/message_reader.hpp"
#include "signalr/reconnect_replay.hpp"
#include "signalr/transport.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace scanhub::signalr {

class HubEndpoint;

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

  // Any thread: a subscriber of push::fan_out (push/fan_out.hpp). Sends, completions, closes
  // and aborts made from one thread arrive in call order: all of them pass through one inbox,
  // drained in order on the strand, so a burst costs one drain per connection.
  std::size_t wire_format() const noexcept { return static_cast<std::size_t>(protocol()); }
  void post_send(push::SharedRecord record, std::string_view conflation_key);
  /// The first half of post_send: appends to the inbox and returns true when the caller must
  /// call dispatch_drain() or post_drain() (no drain is scheduled yet).
  bool push_send(push::SharedRecord record, std::string_view conflation_key);
  /// Runs the drain that push_send asked for: at once when called on a network thread and the
  /// strand is idle (asio::dispatch), else queued on the strand. Any thread but this
  /// connection's strand, where post_drain() must be used.
  void dispatch_drain();
  /// Queues the drain that push_send asked for on the strand. Any thread.
  void post_drain();

  /// Any thread: sends Close (with `error` unless empty) after what is already queued, then
  /// closes.
  void post_close(std::string error, Reconnect reconnect);
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

 private:
  // kRefusing: the handshake failed and its error response goes out, then the transport
  // closes. kSuspended: a stateful connection between its WebSocket dropping and resume or
  // expiry. kClosing: a Close message (if any) goes out after what is queued, then the
  // transport closes.
  enum class State : std::uint8_t {
    kCreated, kHandshake, kRefusing, kOpen, kSuspended, kClosing, kClosed
  };
  // Reading from the client: kHeldBack while too much of its work is pending (input_blocked());
  // kResumeQueued: held back, and a resume_input() is posted.
  enum class Input : std::uint8_t { kReading, kHeldBack, kResumeQueued };
  using Clock = std::chrono::steady_clock;

  /// How close() ends the connection.
  struct CloseRequest {
    std::string_view error;            ///< the Close message's error; none when empty
    Reconnect reconnect = Reconnect::kNotAllowed;  ///< its allowReconnect
    /// Whether what is queued still goes out before the Close message.
    push::SendPipeline::Queue queued = push::SendPipeline::Queue::kDrop;
    std::string_view log_reason;       ///< for the log and the transport's close (static)
  };

  void process_records();
  void on_handshake(std::string_view record);
  void on_message(HubMessage& message);
  void dispatch(InvocationMessage& invocation);
  void on_completion(const std::optional<std::string>& invocation_id, InvocationResult outcome);
  void complete_now(const std::optional<std::string>& invocation_id, std::string error);
  bool input_blocked() const noexcept;
  /// Processes held-back records and reads from the client again once input_blocked() ends.
  void resume_input();

  /// Queues a send of the connection's own (a Completion, an Ack) and writes.
  void enqueue(push::SharedRecord record, std::string_view conflation_key, bool sequenced);
  /// Writes what the pipeline holds; input held back for it may go on after inline writes.
  void write();
  void after_inline_write();
  void drain_inbox();
  void close_slow_client();
  void queue_ack();
  void suspend();
  /// Ends the connection for good: leaves its groups, tells the hub.
  void finalize();
  /// Runs `task` on the strand after everything already in the inbox (post_close, post_abort,
  /// post_completion).
  void post_ordered(std::function<void()> task);
  void fail_handshake(std::string_view reason);
  void close(const CloseRequest& request);
  void protocol_error(std::string_view reason);
  bool closing() const noexcept { return state_ == State::kClosing || state_ == State::kRefusing; }
  /// The keep-alive's reference: the last write, or when the connection (re)started.
  Clock::time_point last_send() const noexcept;

  void arm_timer();
  void on_timer();

  HubEndpoint& endpoint_;
  CallerContext caller_;
  std::string token_;
  boost::asio::any_io_executor strand_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<Transport> transport_;
  MessageReader reader_;
  push::Inbox inbox_;
  push::SendPipeline pipeline_;
  std::unique_ptr<ReconnectReplay> replay_;  // stateful connections only
  std::size_t pending_invocations_ = 0;

  Clock::time_point last_receive_{};
  Clock::time_point last_send_{};  // (re)start, or a keep-alive tick that found a write going
  Clock::time_point deadline_{};   // handshake, close or grace deadline, by state
  // When caller_.user's token expires (max: never): the open connection is closed then.
  const Clock::time_point authentication_expires_;
  std::atomic<WireProtocol> protocol_{WireProtocol::kJson};
  State state_ = State::kCreated;
  Input input_ = Input::kReading;
  const bool stateful_allowed_;
};

}  // namespace scanhub::signalr
