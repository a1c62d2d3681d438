// Stateful reconnect for HubConnection (see hub_connection.hpp): numbering and acknowledging
// messages, suspending a connection whose WebSocket dropped, and resuming it on a new one.
// Source: HubProtocol.md "Ack" and "Sequence", and the JS client's MessageBuffer.
#include "signalr/hub_connection.hpp"

#include "signalr/hub_endpoint.hpp"

#include <spdlog/spdlog.h>

namespace scanhub::signalr {

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
}  // namespace

void HubConnection::resume(std::shared_ptr<Transport> transport) {
  if (state_ != State::kSuspended) {
    transport->abort();  // expired or closed between the claim and now
    return;
  }
  spdlog::debug("signalr: {} resuming {} ({} unacknowledged, {} queued)", endpoint_.path(), id(),
                replay_.size(), outbox_.size());
  transport_ = std::move(transport);
  if (msgpack()) transport_->use_binary();
  state_ = State::kOpen;
  endpoint_.counters().connections_open.fetch_add(1, kRelaxed);
  last_receive_ = last_send_ = Clock::now();
  // The client starts over with a Sequence message and its unacknowledged messages; a partial
  // record from the old socket is part of those.
  reader_ = RecordReader(endpoint_.options().max_receive_message_size);
  frames_ = LengthPrefixedReader(endpoint_.options().max_receive_message_size);
  resend_pending_ = true;
  maybe_write();
  arm_timer();
}

void HubConnection::on_resume_failed() {
  if (state_ != State::kSuspended) return;
  endpoint_.suspend(shared_from_this());  // resumable again until the same deadline
  arm_timer();  // the deadline may have passed while it was claimed
}

void HubConnection::on_ack(std::int64_t sequence_id) {
  while (!replay_.empty() && replay_first_id_ <= sequence_id) {
    replay_bytes_ -= replay_.front()->size();
    replay_.pop_front();
    ++replay_first_id_;
  }
  maybe_write();  // writes may have waited for this Ack
}

bool HubConnection::on_sequence(std::int64_t sequence_id) {
  // The client resends from its oldest unacknowledged message; ids above what arrived would
  // mean messages were lost (MessageBuffer._resetSequence treats it the same way).
  if (sequence_id > next_receive_id_ || sequence_id < 1) {
    protocol_error("Sequence ID greater than amount of messages we've received.");
    return false;
  }
  next_receive_id_ = sequence_id;
  return true;
}

bool HubConnection::accept_sequenced() {
  const std::int64_t current = next_receive_id_++;
  if (current <= latest_received_id_) return false;
  latest_received_id_ = current;
  ack_due_ = true;
  return true;
}

void HubConnection::queue_ack() {
  if (!ack_due_ || state_ != State::kOpen) return;
  ack_due_ = false;
  // Keyed: an unsent Ack is replaced by the newer one.
  enqueue(std::make_shared<const std::string>(msgpack() ? write_msgpack_ack(latest_received_id_)
                                                        : write_ack(latest_received_id_)),
          "\x01" "ack", /*sequenced=*/false);
}

void HubConnection::suspend() {
  spdlog::debug("signalr: {} {} lost its WebSocket; kept {} ms for a stateful reconnect",
                endpoint_.path(), id(), endpoint_.options().reconnect_grace_period.count());
  state_ = State::kSuspended;
  transport_.reset();
  writing_ = false;
  in_flight_.clear();  // its counted records are in replay_ and go out again on resume
  receive_suspended_ = false;
  endpoint_.counters().connections_open.fetch_sub(1, kRelaxed);
  deadline_ = Clock::now() + endpoint_.options().reconnect_grace_period;
  endpoint_.suspend(shared_from_this());
  arm_timer();
}

}  // namespace scanhub::signalr
