#include "signalr/hub_connection.hpp"

#include "signalr/completion_state.hpp"
#include "signalr/hub_endpoint.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <variant>

namespace scanhub::signalr {
namespace asio = boost::asio;

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

using IoContextStrand = asio::strand<asio::io_context::executor_type>;

constexpr std::string_view kAuthenticationExpired =
    "Unauthorized: the access token expired. Connect again with a new token.";
constexpr std::string_view kSlowClient =
    "Connection closed: the client did not keep up with the messages sent to it.";

push::SendPipeline::Limits pipeline_limits(const HubOptions& options) {
  return {options.outbox_max_messages, options.outbox_max_bytes, options.max_batch_bytes};
}

// The steady-clock moment of `expires` (a system-clock time, the principal's token expiry):
// timers run on the steady clock, so a wall-clock jump after the start does not move it.
std::chrono::steady_clock::time_point steady_deadline(
    std::chrono::system_clock::time_point expires) {
  if (expires == std::chrono::system_clock::time_point::max()) {
    return std::chrono::steady_clock::time_point::max();
  }
  const auto left = expires - std::chrono::system_clock::now();
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(left);
}

}  // namespace

HubConnection::HubConnection(HubEndpoint& endpoint, CallerContext caller, std::string token,
                             asio::any_io_executor strand, bool stateful_allowed)
    : endpoint_(endpoint),
      caller_(std::move(caller)),
      token_(std::move(token)),
      strand_(std::move(strand)),
      timer_(strand_),
      reader_(endpoint.options().max_receive_message_size),
      pipeline_(pipeline_limits(endpoint.options()), endpoint.counters().send),
      authentication_expires_(steady_deadline(caller_.user.expires)),
      stateful_allowed_(stateful_allowed) {}

HubConnection::~HubConnection() = default;

// ---- Any thread: the inbox --------------------------------------------------------------------

void HubConnection::post_send(push::SharedRecord record, std::string_view conflation_key) {
  if (push_send(std::move(record), conflation_key)) post_drain();
}

bool HubConnection::push_send(push::SharedRecord record, std::string_view conflation_key) {
  return inbox_.push(std::move(record), conflation_key);
}

void HubConnection::post_drain() {
  asio::post(strand_, [self = shared_from_this()] { self->drain_inbox(); });
}

void HubConnection::dispatch_drain() {
  // Inline when this thread runs the io_context and no other thread holds the strand: the
  // fan-out then writes to each recipient in the delivering task, without a round trip through
  // the scheduler's queue per recipient. Never called on this connection's own strand (that
  // would run drain_inbox inside itself): push::fan_out calls it from io_context tasks only.
  // Through the strand's own type when it is an io_context strand (every network connection):
  // no copy of the type-erased executor per recipient.
  if (const auto* strand = strand_.target<IoContextStrand>()) {
    asio::dispatch(*strand, [self = shared_from_this()] { self->drain_inbox(); });
  } else {
    asio::dispatch(strand_, [self = shared_from_this()] { self->drain_inbox(); });
  }
}

void HubConnection::post_ordered(std::function<void()> task) {
  // Behind sends waiting for a drain (maybe dispatched later by a fan-out); with none waiting,
  // a later send's drain queues on the strand behind this post.
  if (!inbox_.push_task(task)) asio::post(strand_, std::move(task));
}

void HubConnection::post_close(std::string error, Reconnect reconnect) {
  post_ordered([self = shared_from_this(), error = std::move(error), reconnect] {
    self->close({error, reconnect, push::SendPipeline::Queue::kSend, "server shutdown"});
  });
}

void HubConnection::post_abort() {
  post_ordered([self = shared_from_this()] {
    if (self->state_ == State::kSuspended) {
      self->finalize();
    } else if (self->transport_) {
      self->transport_->abort();
    }
  });
}

void HubConnection::post_completion(std::optional<std::string> invocation_id,
                                    InvocationResult outcome) {
  // std::function needs a copyable callable: the outcome travels in a shared_ptr.
  auto result = std::make_shared<InvocationResult>(std::move(outcome));
  post_ordered([self = shared_from_this(), id = std::move(invocation_id), result] {
    self->on_completion(id, std::move(*result));
  });
}

// ---- The strand: lifecycle --------------------------------------------------------------------

void HubConnection::start(std::shared_ptr<Transport> transport) {
  transport_ = std::move(transport);
  pipeline_.attach(*transport_);
  state_ = State::kHandshake;
  last_receive_ = last_send_ = Clock::now();
  deadline_ = last_receive_ + endpoint_.options().handshake_timeout;
  endpoint_.counters().connections_open.fetch_add(1, kRelaxed);
  endpoint_.counters().connections_total.fetch_add(1, kRelaxed);
  if (!endpoint_.attach(shared_from_this())) {
    fail_handshake("The server is shutting down.");
    return;
  }
  arm_timer();
}

void HubConnection::on_handshake(std::string_view record) {
  auto request = parse_handshake_request(record);
  if (!request) {
    fail_handshake(fmt::format("Invalid handshake request: {}", request.error()));
    return;
  }
  const bool wants_msgpack = request->protocol == "messagepack";
  if (request->protocol != "json" && !wants_msgpack) {
    fail_handshake(fmt::format("Requested protocol '{}' is not available.", request->protocol));
    return;
  }
  // Version 2 adds Ack and Sequence (stateful reconnect); a version 2 client that did not
  // negotiate it simply never sees them.
  if (request->version != 1 && request->version != 2) {
    fail_handshake(fmt::format("The server does not support version {} of the '{}' protocol.",
                               request->version, request->protocol));
    return;
  }
  if (wants_msgpack && !transport_->supports_binary()) {
    // As ASP.NET Core: a binary protocol cannot run over a text-only transport (SSE).
    fail_handshake("Cannot use the 'messagepack' protocol on the current transport. The "
                   "transport does not support 'Binary' transfer format.");
    return;
  }
  if (wants_msgpack) {
    protocol_.store(WireProtocol::kMessagePack, kRelaxed);
    transport_->use_binary();
  }
  state_ = State::kOpen;
  if (stateful_allowed_ && request->version >= 2) {
    replay_ = std::make_unique<ReconnectReplay>(
        endpoint_.options().stateful_reconnect_buffer_size);
    pipeline_.replay_into(&replay_->sent());
  }
  // Open for send_all before the handshake response can leave: the write may happen at once,
  // and a client whose start() resolved must receive every later broadcast. Sends posted by
  // then run on this strand after this handler, so the response still goes first.
  endpoint_.mark_open(*this);
  pipeline_.open();
  pipeline_.enqueue_control(push::make_record(write_handshake_response()));
  write();
  arm_timer();  // from the handshake deadline to keep-alive and client timeout
  if (wants_msgpack && !reader_.use_msgpack()) {
    protocol_error(fmt::format("The message exceeds the maximum size of {} bytes.",
                               reader_.max_message_size()));
    return;
  }
  try {
    endpoint_.hub().on_connected(caller_);
  } catch (const std::exception& e) {
    spdlog::error("signalr: {} on_connected failed for {}: {}", endpoint_.path(), id(), e.what());
    close({"Connection closed with an error.", Reconnect::kNotAllowed,
           push::SendPipeline::Queue::kDrop, "on_connected failed"});
  }
}

void HubConnection::fail_handshake(std::string_view reason) {
  spdlog::info("signalr: {} handshake failed for {}: {}", endpoint_.path(), id(), reason);
  state_ = State::kRefusing;
  deadline_ = Clock::now() + endpoint_.options().close_timeout;
  arm_timer();
  pipeline_.close(push::SendPipeline::Queue::kDrop,
                  push::make_record(write_handshake_response(reason)), "handshake failed");
}

void HubConnection::close(const CloseRequest& request) {
  if (closing() || state_ == State::kClosed) return;
  if (state_ == State::kCreated) return;  // never started: nothing to close
  if (state_ == State::kSuspended) {
    finalize();  // no transport to say goodbye on
    return;
  }
  if (state_ == State::kHandshake) {
    fail_handshake(request.error.empty() ? std::string_view("The connection was closed.")
                                         : request.error);
    return;
  }
  spdlog::debug("signalr: {} closing {} ({})", endpoint_.path(), id(), request.log_reason);
  state_ = State::kClosing;
  deadline_ = Clock::now() + endpoint_.options().close_timeout;
  arm_timer();
  // The Close record bypasses the bounds: it must reach the client even after an overflow.
  push::SharedRecord goodbye;
  if (!request.error.empty() || request.reconnect == Reconnect::kAllowed) {
    goodbye = hub_close(protocol(), request.error, request.reconnect);
  }
  pipeline_.close(request.queued, std::move(goodbye), request.log_reason);
}

void HubConnection::protocol_error(std::string_view reason) {
  endpoint_.counters().protocol_errors.fetch_add(1, kRelaxed);
  spdlog::info("signalr: {} protocol error from {}: {}", endpoint_.path(), id(), reason);
  close({fmt::format("Connection closed with an error. {}", reason), Reconnect::kNotAllowed,
         push::SendPipeline::Queue::kDrop, "protocol error"});
}

void HubConnection::close_slow_client() {
  // Counted by the pipeline (push::SendCounters::slow_clients_closed).
  spdlog::warn("signalr: {} closing {}: outbox overflow ({} messages, {} bytes queued)",
               endpoint_.path(), id(), pipeline_.queued_messages(), pipeline_.queued_bytes());
  close({kSlowClient, Reconnect::kAllowed, push::SendPipeline::Queue::kDrop, "outbox overflow"});
}

void HubConnection::on_transport_closed() {
  if (state_ == State::kClosed || state_ == State::kSuspended) return;
  if (state_ == State::kOpen && replay_) {
    suspend();
    return;
  }
  finalize();
}

void HubConnection::finalize() {
  if (state_ == State::kClosed) return;
  const bool was_open = state_ == State::kOpen || state_ == State::kSuspended ||
                        state_ == State::kClosing;
  const bool had_transport = state_ != State::kSuspended;
  state_ = State::kClosed;
  timer_.cancel();
  pipeline_.reset();
  replay_.reset();
  transport_.reset();  // breaks the connection <-> transport cycle
  if (had_transport) endpoint_.counters().connections_open.fetch_sub(1, kRelaxed);
  endpoint_.detach(*this);
  if (was_open) {
    try {
      endpoint_.hub().on_disconnected(caller_);
    } catch (const std::exception& e) {
      spdlog::error("signalr: {} on_disconnected failed for {}: {}", endpoint_.path(), id(),
                    e.what());
    }
  }
}

// ---- The strand: stateful reconnect -----------------------------------------------------------

void HubConnection::suspend() {
  spdlog::debug("signalr: {} {} lost its WebSocket; kept {} ms for a stateful reconnect",
                endpoint_.path(), id(), endpoint_.options().reconnect_grace_period.count());
  state_ = State::kSuspended;
  pipeline_.detach();  // the batch in flight: its counted records are in the replay
  transport_.reset();
  input_ = Input::kReading;
  endpoint_.counters().connections_open.fetch_sub(1, kRelaxed);
  deadline_ = Clock::now() + endpoint_.options().reconnect_grace_period;
  endpoint_.suspend(shared_from_this());
  arm_timer();
}

void HubConnection::resume(std::shared_ptr<Transport> transport) {
  if (state_ != State::kSuspended) {
    transport->abort();  // expired or closed between the claim and now
    return;
  }
  spdlog::debug("signalr: {} resuming {} ({} unacknowledged, {} queued)", endpoint_.path(), id(),
                replay_->sent().size(), pipeline_.queued_messages());
  transport_ = std::move(transport);
  if (protocol() == WireProtocol::kMessagePack) transport_->use_binary();
  state_ = State::kOpen;
  endpoint_.counters().connections_open.fetch_add(1, kRelaxed);
  last_receive_ = last_send_ = Clock::now();
  // The client starts over with a Sequence message and its unacknowledged messages; a partial
  // record from the old socket is part of those.
  reader_.restart();
  pipeline_.attach(*transport_);
  // Sequence and every unacknowledged record first; the client drops what it had received.
  pipeline_.write_first(replay_->resend(protocol()));
  write();
  arm_timer();
}

void HubConnection::on_resume_failed() {
  if (state_ != State::kSuspended) return;
  endpoint_.suspend(shared_from_this());  // resumable again until the same deadline
  arm_timer();  // the deadline may have passed while it was claimed
}

void HubConnection::queue_ack() {
  if (!replay_ || state_ != State::kOpen) return;
  // Keyed: an unsent Ack is replaced by the newer one.
  if (auto ack = replay_->take_ack(protocol())) enqueue(std::move(ack), "\x01" "ack", false);
}

// ---- The strand: reading ----------------------------------------------------------------------

bool HubConnection::on_receive(std::string_view bytes) {
  if (state_ != State::kHandshake && state_ != State::kOpen) {
    return true;  // closing: discard, keep reading until the transport's close completes
  }
  last_receive_ = Clock::now();
  if (!reader_.append(bytes)) {
    const auto limit = reader_.max_message_size();
    if (state_ == State::kHandshake) {
      fail_handshake(fmt::format("The handshake request exceeds {} bytes.", limit));
    } else {
      protocol_error(fmt::format("The message exceeds the maximum size of {} bytes.", limit));
    }
    return true;
  }
  process_records();
  // Every view of a record is gone now; a large record's room is given back.
  reader_.compact();
  queue_ack();
  if (state_ == State::kOpen && input_blocked()) {
    if (input_ == Input::kReading) input_ = Input::kHeldBack;
    return false;
  }
  return true;
}

bool HubConnection::input_blocked() const noexcept {
  // Back-pressure on the client's input: too many invocations running, or their completions
  // piling up faster than the client reads them. Half the outbox bounds stay for broadcasts,
  // so a flood of invocations slows its sender down instead of overflowing its outbox.
  const auto& options = endpoint_.options();
  return pending_invocations_ >= options.max_pending_invocations ||
         pipeline_.queued_messages() >= options.outbox_max_messages / 2 ||
         pipeline_.queued_bytes() >= options.outbox_max_bytes / 2;
}

void HubConnection::resume_input() {
  if (state_ != State::kOpen || input_blocked()) return;
  process_records();  // records held back while blocked
  reader_.compact();
  queue_ack();
  if (input_ != Input::kReading && state_ == State::kOpen && !input_blocked()) {
    input_ = Input::kReading;
    last_receive_ = Clock::now();  // the client was not read while held back
    transport_->resume_receive();
  }
}

void HubConnection::process_records() {
  while (state_ == State::kHandshake || state_ == State::kOpen) {
    if (state_ == State::kHandshake) {
      auto record = reader_.next_record();
      if (!record) return;
      on_handshake(*record);
      continue;
    }
    if (input_blocked()) return;
    auto message = reader_.next_message();
    if (!message) return;
    endpoint_.counters().messages_received.fetch_add(1, kRelaxed);
    if (!*message) {
      protocol_error(message->error());
      return;
    }
    on_message(**message);
  }
}

void HubConnection::on_message(HubMessage& message) {
  // A stateful client's resent duplicate is dropped.
  if (replay_ && is_sequenced(message) && !replay_->accept_sequenced()) return;
  if (auto* invocation = std::get_if<InvocationMessage>(&message)) {
    if (invocation->has_stream_ids) {
      complete_now(invocation->invocation_id,
                   fmt::format("Failed to invoke '{}': client-to-server streaming is not "
                               "supported.",
                               invocation->target));
      return;
    }
    dispatch(*invocation);
  } else if (auto* stream = std::get_if<StreamInvocationMessage>(&message)) {
    complete_now(stream->invocation_id,
                 fmt::format("Failed to invoke '{}': streaming is not supported.", stream->target));
  } else if (auto* close_message = std::get_if<CloseMessage>(&message)) {
    if (close_message->error) {
      spdlog::debug("signalr: {} closed by client: {}", id(), *close_message->error);
    }
    // The client is leaving: no Close message back, just end the transport.
    close({{}, Reconnect::kNotAllowed, push::SendPipeline::Queue::kDrop, "client close"});
  } else if (auto* ack = std::get_if<AckMessage>(&message)) {
    if (replay_) {
      replay_->on_ack(ack->sequence_id);
      write();  // writes may have waited for this Ack
    }
  } else if (auto* sequence = std::get_if<SequenceMessage>(&message)) {
    if (replay_ && !replay_->on_sequence(sequence->sequence_id)) {
      protocol_error("Sequence ID greater than amount of messages we've received.");
    }
  }
  // Ping only refreshes last_receive_; Ack and Sequence count only on stateful connections;
  // CancelInvocation (no cancellable invocations here),
  // StreamItem/Completion from the client and unknown types are ignored.
}

void HubConnection::dispatch(InvocationMessage& invocation) {
  ++pending_invocations_;
  auto state = std::make_shared<CompletionState>(weak_from_this(), invocation.invocation_id,
                                                 invocation.target);
  Completion complete = [state](InvocationResult outcome) { state->deliver(std::move(outcome)); };
  try {
    endpoint_.hub().invoke(caller_, invocation.target, invocation.arguments, std::move(complete));
  } catch (const HubError& e) {
    state->deliver(std::unexpected(std::string(e.what())));
  } catch (const std::exception& e) {
    // Internal details stay in the log (HubProtocol/ASP.NET Core behaviour).
    spdlog::error("signalr: {} method '{}' threw: {}", endpoint_.path(), invocation.target,
                  e.what());
    state->deliver(std::unexpected(fmt::format(
        "An unexpected error occurred invoking '{}' on the server.", invocation.target)));
  }
}

void HubConnection::on_completion(const std::optional<std::string>& invocation_id,
                                  InvocationResult outcome) {
  if (pending_invocations_ > 0) --pending_invocations_;
  if (state_ != State::kOpen && state_ != State::kSuspended) return;
  if (invocation_id) {  // queued while suspended too: replayed after a reconnect
    enqueue(hub_completion(protocol(), *invocation_id, outcome), {}, true);
  }
  resume_input();
}

void HubConnection::complete_now(const std::optional<std::string>& invocation_id,
                                 std::string error) {
  if (!invocation_id) return;  // non-blocking: no completion, as the spec requires
  enqueue(hub_completion(protocol(), *invocation_id, std::unexpected(std::move(error))), {}, true);
}

// ---- The strand: sending ----------------------------------------------------------------------

void HubConnection::drain_inbox() {
  if (pipeline_.drain(inbox_.take(), [this] { close_slow_client(); })) after_inline_write();
}

void HubConnection::enqueue(push::SharedRecord record, std::string_view conflation_key,
                            bool sequenced) {
  if (pipeline_.enqueue(std::move(record), conflation_key, sequenced) ==
      push::SendPipeline::Queued::kOverflow) {
    close_slow_client();
    return;
  }
  write();
}

void HubConnection::write() {
  if (pipeline_.flush()) after_inline_write();
}

void HubConnection::after_inline_write() {
  // Input held back for a full outbox may go on; not from inside this write (the caller may be
  // processing the client's records right now).
  if (input_ != Input::kHeldBack) return;
  input_ = Input::kResumeQueued;
  asio::post(strand_, [self = shared_from_this()] {
    if (self->input_ == Input::kResumeQueued) self->input_ = Input::kHeldBack;
    self->resume_input();
  });
}

void HubConnection::on_send_complete(bool ok) {
  if (!pipeline_.on_send_complete(ok)) return;
  write();
  resume_input();  // the outbox shrank: input held back for it may go on
}

// ---- The strand: keep-alive and deadlines -----------------------------------------------------

HubConnection::Clock::time_point HubConnection::last_send() const noexcept {
  return std::max(last_send_, pipeline_.write_started());
}

void HubConnection::arm_timer() {
  const auto& options = endpoint_.options();
  Clock::time_point when;
  switch (state_) {
    case State::kHandshake:
    case State::kRefusing:
    case State::kClosing:
    case State::kSuspended:
      when = deadline_;
      break;
    case State::kOpen:
      when = last_send() + options.keep_alive_interval;
      if (input_ == Input::kReading) when = std::min(when, last_receive_ + options.client_timeout);
      // Not re-armed per write (that would cost a timer operation per message): a write
      // started after this checks in at the keep-alive tick or this deadline, whichever is first.
      when = std::min(when, last_send() + options.transport_send_timeout);
      when = std::min(when, authentication_expires_);
      break;
    default:
      return;
  }
  timer_.expires_at(when);  // cancels the previous wait, whose handler sees operation_aborted
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->on_timer();
  });
}

void HubConnection::on_timer() {
  const auto now = Clock::now();
  const auto& options = endpoint_.options();
  switch (state_) {
    case State::kHandshake:
      if (now >= deadline_) {
        fail_handshake("The handshake request did not arrive in time.");
        return;
      }
      break;
    case State::kSuspended:
      if (now >= deadline_) {
        // A WebSocket may have claimed it just now: then its resume (or failure) decides.
        if (endpoint_.expire(*this)) {
          spdlog::debug("signalr: {} {} did not reconnect in time", endpoint_.path(), id());
          finalize();
        }
        return;
      }
      break;
    case State::kRefusing:
    case State::kClosing:
      if (now >= deadline_) {
        spdlog::debug("signalr: {} close timed out, aborting {}", endpoint_.path(), id());
        transport_->abort();
        return;
      }
      break;
    case State::kOpen:
      if (now >= authentication_expires_) {
        // ASP.NET Core's CloseOnAuthenticationExpiration: the caller's token is no longer
        // valid, so the connection may not go on acting for it. No reconnect: the client must
        // come back with a new token.
        spdlog::debug("signalr: {} closing {}: its access token expired", endpoint_.path(), id());
        close({kAuthenticationExpired, Reconnect::kNotAllowed, push::SendPipeline::Queue::kDrop,
               "authentication expired"});
        return;
      }
      if (pipeline_.writing() &&
          now >= pipeline_.write_started() + options.transport_send_timeout) {
        // ASP.NET Core's TransportSendTimeout: the client took nothing for this long.
        endpoint_.counters().send.slow_clients_closed.fetch_add(1, kRelaxed);
        spdlog::warn("signalr: {} closing {}: a write did not complete in {} ms", endpoint_.path(),
                     id(), options.transport_send_timeout.count());
        close({kSlowClient, Reconnect::kAllowed, push::SendPipeline::Queue::kDrop,
               "send timeout"});
        return;
      }
      if (input_ == Input::kReading && now >= last_receive_ + options.client_timeout) {
        close({"Server timeout elapsed without receiving a message from the client.",
               Reconnect::kNotAllowed, push::SendPipeline::Queue::kDrop, "client timeout"});
        return;
      }
      if (now >= last_send() + options.keep_alive_interval) {
        if (pipeline_.idle()) {
          pipeline_.enqueue_control(hub_ping(protocol()));
          write();
        } else {
          last_send_ = now;  // something is being sent anyway
        }
      }
      break;
    default:
      return;
  }
  arm_timer();
}

}  // namespace scanhub::signalr
