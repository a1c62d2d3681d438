#include "signalr/hub_connection.hpp"

#include "signalr/hub_endpoint.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <variant>

namespace scanhub::signalr {
namespace asio = boost::asio;

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

push::SharedRecord ping_shared(WireProtocol protocol) {
  static const push::SharedRecord json_ping = std::make_shared<const std::string>(ping_record());
  static const push::SharedRecord msgpack_ping =
      std::make_shared<const std::string>(msgpack_ping_record());
  return protocol == WireProtocol::kMessagePack ? msgpack_ping : json_ping;
}

push::SharedRecord completion_record(WireProtocol protocol, std::string_view invocation_id,
                               const InvocationResult& outcome) {
  return std::make_shared<const std::string>(
      protocol == WireProtocol::kMessagePack ? write_msgpack_completion(invocation_id, outcome)
                                             : write_completion(invocation_id, outcome));
}

// Shared by every copy of one invocation's Completion. Guarantees the hub contract's "exactly
// once": a second call is ignored, and a Completion dropped without a call still completes
// (with an error) so the client is not left waiting and back-pressure is released.
class CompletionState {
 public:
  CompletionState(std::weak_ptr<HubConnection> connection,
                  std::optional<std::string> invocation_id, std::string target)
      : connection_(std::move(connection)),
        invocation_id_(std::move(invocation_id)),
        target_(std::move(target)) {}

  ~CompletionState() {
    if (done_.load(kRelaxed)) return;
    try {
      spdlog::warn("signalr: hub method '{}' dropped its completion without calling it", target_);
      deliver(std::unexpected(
          fmt::format("An unexpected error occurred invoking '{}' on the server.", target_)));
    } catch (...) {
      // Destructors stay noexcept; a lost completion is already logged.
    }
  }

  void deliver(InvocationResult outcome) {
    if (done_.exchange(true)) return;  // only the first call counts
    auto connection = connection_.lock();
    if (!connection) return;  // closed meanwhile: nobody to tell
    connection->post_completion(invocation_id_, std::move(outcome));
  }

  const std::string& target() const noexcept { return target_; }

 private:
  std::weak_ptr<HubConnection> connection_;
  std::optional<std::string> invocation_id_;
  std::string target_;
  std::atomic<bool> done_{false};
};

}  // namespace

HubConnection::HubConnection(HubEndpoint& endpoint, CallerContext caller, std::string token,
                             asio::any_io_executor strand, bool stateful_allowed)
    : endpoint_(endpoint),
      caller_(std::move(caller)),
      token_(std::move(token)),
      strand_(std::move(strand)),
      timer_(strand_),
      reader_(endpoint.options().max_receive_message_size),
      frames_(endpoint.options().max_receive_message_size),
      outbox_(endpoint.options().outbox_max_messages, endpoint.options().outbox_max_bytes),
      stateful_allowed_(stateful_allowed) {}

HubConnection::~HubConnection() = default;

void HubConnection::post_close(std::string error, bool allow_reconnect) {
  post_ordered([self = shared_from_this(), error = std::move(error), allow_reconnect] {
    self->close_with(error, allow_reconnect, /*keep_queued=*/true, "server shutdown");
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
    self->on_completion_for_dispatch(id, std::move(*result));
  });
}

void HubConnection::start(std::shared_ptr<Transport> transport) {
  transport_ = std::move(transport);
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

bool HubConnection::on_receive(std::string_view bytes) {
  if (state_ != State::kHandshake && state_ != State::kOpen) {
    return true;  // closing: discard, keep reading until the transport's close completes
  }
  last_receive_ = Clock::now();
  const bool appended =
      state_ == State::kOpen && msgpack() ? frames_.append(bytes) : reader_.append(bytes);
  if (!appended) {
    const auto limit = endpoint_.options().max_receive_message_size;
    if (state_ == State::kHandshake) {
      fail_handshake(fmt::format("The handshake request exceeds {} bytes.", limit));
    } else {
      protocol_error(fmt::format("The message exceeds the maximum size of {} bytes.", limit));
    }
    return true;
  }
  process_records();
  compact_readers();
  queue_ack();
  if (state_ == State::kOpen && input_blocked()) {
    receive_suspended_ = true;
    return false;
  }
  return true;
}

void HubConnection::compact_readers() {
  // Every view of a record is gone now; a large record's room is given back (record_reader.hpp).
  reader_.compact();
  frames_.compact();
}

bool HubConnection::input_blocked() const noexcept {
  // Back-pressure on the client's input: too many invocations running, or their completions
  // piling up faster than the client reads them. Half the outbox bounds stay for broadcasts,
  // so a flood of invocations slows its sender down instead of overflowing its outbox.
  const auto& options = endpoint_.options();
  return pending_invocations_ >= options.max_pending_invocations ||
         outbox_.size() >= options.outbox_max_messages / 2 ||
         outbox_.bytes() >= options.outbox_max_bytes / 2;
}

void HubConnection::resume_input() {
  if (state_ != State::kOpen || input_blocked()) return;
  process_records();  // records held back while blocked
  compact_readers();
  queue_ack();
  if (receive_suspended_ && state_ == State::kOpen && !input_blocked()) {
    receive_suspended_ = false;
    last_receive_ = Clock::now();  // the client was not read while suspended
    transport_->resume_receive();
  }
}

void HubConnection::process_records() {
  while (state_ == State::kHandshake || state_ == State::kOpen) {
    if (state_ == State::kOpen && input_blocked()) return;
    auto record = next_record();
    if (!record) return;
    if (state_ == State::kHandshake) {
      on_handshake(*record);
    } else {
      on_message(*record);
    }
  }
}

std::optional<std::string_view> HubConnection::next_record() {
  if (state_ == State::kOpen && msgpack()) return frames_.next();
  return reader_.next();
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
  std::string after_handshake;
  if (wants_msgpack) {
    protocol_.store(WireProtocol::kMessagePack, std::memory_order_relaxed);
    transport_->use_binary();
    // Bytes that arrived with the handshake already belong to the binary protocol.
    after_handshake = reader_.take_unread();
  }
  state_ = State::kOpen;
  handshake_done_ = true;
  stateful_ = stateful_allowed_ && request->version >= 2;
  // Open for send_all before the handshake response can leave: the write may happen at once,
  // and a client whose start() resolved must receive every later broadcast. Sends posted by
  // then run on this strand after this handler, so the response still goes first; it is exempt
  // from conflation and bounds by being the first record in an empty outbox.
  endpoint_.mark_open(*this);
  outbox_.push(std::make_shared<const std::string>(write_handshake_response()), {}, false);
  maybe_write();
  arm_timer();  // from the handshake deadline to keep-alive and client timeout
  if (!after_handshake.empty() && !frames_.append(after_handshake)) {
    protocol_error(fmt::format("The message exceeds the maximum size of {} bytes.",
                               endpoint_.options().max_receive_message_size));
    return;
  }
  try {
    endpoint_.hub().on_connected(caller_);
  } catch (const std::exception& e) {
    spdlog::error("signalr: {} on_connected failed for {}: {}", endpoint_.path(), id(), e.what());
    close_with("Connection closed with an error.", false, false, "on_connected failed");
  }
}

void HubConnection::on_message(std::string_view record) {
  endpoint_.counters().messages_received.fetch_add(1, kRelaxed);
  auto message = msgpack() ? parse_msgpack_message(record) : parse_json_message(record);
  if (!message) {
    protocol_error(message.error());
    return;
  }
  if (stateful_ && is_sequenced(*message) && !accept_sequenced()) return;  // a resent duplicate
  if (auto* invocation = std::get_if<InvocationMessage>(&*message)) {
    if (invocation->has_stream_ids) {
      complete_now(invocation->invocation_id,
                   fmt::format("Failed to invoke '{}': client-to-server streaming is not "
                               "supported.",
                               invocation->target));
      return;
    }
    dispatch(*invocation);
  } else if (auto* stream = std::get_if<StreamInvocationMessage>(&*message)) {
    complete_now(stream->invocation_id,
                 fmt::format("Failed to invoke '{}': streaming is not supported.", stream->target));
  } else if (auto* close = std::get_if<CloseMessage>(&*message)) {
    if (close->error) spdlog::debug("signalr: {} closed by client: {}", id(), *close->error);
    // The client is leaving: no Close message back, just end the transport.
    close_with({}, false, /*keep_queued=*/false, "client close");
  } else if (auto* ack = std::get_if<AckMessage>(&*message)) {
    if (stateful_) on_ack(ack->sequence_id);
  } else if (auto* sequence = std::get_if<SequenceMessage>(&*message)) {
    if (stateful_ && !on_sequence(sequence->sequence_id)) return;
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

void HubConnection::on_completion_for_dispatch(const std::optional<std::string>& invocation_id,
                                               InvocationResult outcome) {
  if (pending_invocations_ > 0) --pending_invocations_;
  if (state_ != State::kOpen && state_ != State::kSuspended) return;
  if (invocation_id) {  // queued while suspended too: replayed after a reconnect
    enqueue(completion_record(protocol(), *invocation_id, outcome), {});
  }
  resume_input();
}

void HubConnection::complete_now(const std::optional<std::string>& invocation_id,
                                 std::string error) {
  if (!invocation_id) return;  // non-blocking: no completion, as the spec requires
  enqueue(completion_record(protocol(), *invocation_id, std::unexpected(std::move(error))), {});
}

void HubConnection::fail_handshake(std::string_view reason) {
  spdlog::info("signalr: {} handshake failed for {}: {}", endpoint_.path(), id(), reason);
  state_ = State::kClosing;
  outbox_.clear();
  outbox_.push(std::make_shared<const std::string>(write_handshake_response(reason)), {}, false);
  deadline_ = Clock::now() + endpoint_.options().close_timeout;
  arm_timer();
  maybe_write();
}

void HubConnection::close_with(std::string_view error, bool allow_reconnect, bool keep_queued,
                               std::string_view log_reason) {
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  if (state_ == State::kCreated) return;  // never started: nothing to close
  if (state_ == State::kSuspended) {
    finalize();  // no transport to say goodbye on
    return;
  }
  if (state_ == State::kHandshake) {
    fail_handshake(error.empty() ? std::string_view("The connection was closed.") : error);
    return;
  }
  spdlog::debug("signalr: {} closing {} ({})", endpoint_.path(), id(), log_reason);
  state_ = State::kClosing;
  if (!keep_queued) outbox_.clear();
  // The Close record bypasses the bounds: it must reach the client even after an overflow.
  if (!error.empty() || allow_reconnect) {
    std::string close = msgpack() ? write_msgpack_close(error, allow_reconnect)
                                  : write_close(error, allow_reconnect);
    outbox_.push(std::make_shared<const std::string>(std::move(close)), {}, false);
  }
  deadline_ = Clock::now() + endpoint_.options().close_timeout;
  arm_timer();
  if (!writing_ && outbox_.empty()) {
    close_sent_ = true;
    transport_->close(log_reason);
    return;
  }
  maybe_write();
}

void HubConnection::protocol_error(std::string_view reason) {
  endpoint_.counters().protocol_errors.fetch_add(1, kRelaxed);
  spdlog::info("signalr: {} protocol error from {}: {}", endpoint_.path(), id(), reason);
  close_with(fmt::format("Connection closed with an error. {}", reason), false,
             /*keep_queued=*/false, "protocol error");
}

void HubConnection::on_transport_closed() {
  if (state_ == State::kClosed || state_ == State::kSuspended) return;
  if (state_ == State::kOpen && stateful_) {
    suspend();
    return;
  }
  finalize();
}

void HubConnection::finalize() {
  if (state_ == State::kClosed) return;
  const bool was_open = handshake_done_;
  const bool had_transport = state_ != State::kSuspended;
  state_ = State::kClosed;
  timer_.cancel();
  outbox_.clear();
  in_flight_.clear();
  replay_.clear();
  replay_bytes_ = 0;
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

void HubConnection::arm_timer() {
  const auto& options = endpoint_.options();
  Clock::time_point when;
  switch (state_) {
    case State::kHandshake:
    case State::kClosing:
    case State::kSuspended:
      when = deadline_;
      break;
    case State::kOpen:
      when = last_send_ + options.keep_alive_interval;
      if (!receive_suspended_) when = std::min(when, last_receive_ + options.client_timeout);
      // Not re-armed per write (that would cost a timer operation per message): a write
      // started after this checks in at the keep-alive tick or this deadline, whichever is first.
      when = std::min(when, last_send_ + options.transport_send_timeout);
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
    case State::kClosing:
      if (now >= deadline_) {
        spdlog::debug("signalr: {} close timed out, aborting {}", endpoint_.path(), id());
        transport_->abort();
        return;
      }
      break;
    case State::kOpen:
      if (writing_ && now >= write_started_ + options.transport_send_timeout) {
        // ASP.NET Core's TransportSendTimeout: the client took nothing for this long.
        endpoint_.counters().slow_connections_closed.fetch_add(1, kRelaxed);
        spdlog::warn("signalr: {} closing {}: a write did not complete in {} ms", endpoint_.path(),
                     id(), options.transport_send_timeout.count());
        close_with("Connection closed: the client did not keep up with the messages sent to it.",
                   true, /*keep_queued=*/false, "send timeout");
        return;
      }
      if (!receive_suspended_ && now >= last_receive_ + options.client_timeout) {
        close_with("Server timeout elapsed without receiving a message from the client.", false,
                   false, "client timeout");
        return;
      }
      if (now >= last_send_ + options.keep_alive_interval) {
        if (!writing_ && outbox_.empty()) {
          outbox_.push(ping_shared(protocol()), {}, false);
          maybe_write();
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
