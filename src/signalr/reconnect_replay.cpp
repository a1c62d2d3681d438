#include "signalr/reconnect_replay.hpp"

namespace scanhub::signalr {

bool ReconnectReplay::on_sequence(std::int64_t sequence_id) noexcept {
  // The client resends from its oldest unacknowledged message; ids above what arrived would
  // mean messages were lost (MessageBuffer._resetSequence treats it the same way).
  if (sequence_id > next_receive_id_ || sequence_id < 1) return false;
  next_receive_id_ = sequence_id;
  return true;
}

bool ReconnectReplay::accept_sequenced() noexcept {
  const std::int64_t current = next_receive_id_++;
  if (current <= latest_received_id_) return false;
  latest_received_id_ = current;
  ack_due_ = true;
  return true;
}

push::SharedRecord ReconnectReplay::take_ack(WireProtocol protocol) {
  if (!ack_due_) return nullptr;
  ack_due_ = false;
  return hub_ack(protocol, latest_received_id_);
}

std::vector<push::SharedRecord> ReconnectReplay::resend(WireProtocol protocol) const {
  std::vector<push::SharedRecord> batch;
  batch.reserve(sent_.size() + 1);
  // Sequence first: the client ignores everything until it arrives.
  batch.push_back(hub_sequence(protocol, sent_.first_id()));
  batch.insert(batch.end(), sent_.begin(), sent_.end());
  return batch;
}

}  // namespace scanhub::signalr
