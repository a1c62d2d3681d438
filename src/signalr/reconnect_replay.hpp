#pragma once
// Stateful reconnect's state for one SignalR connection (handshake version 2 on a connection
// negotiated with useStatefulReconnect): every Invocation and Completion sent gets the next id
// (from 1) and stays in the replay buffer until the client's Ack covers it; the client's
// counted messages are numbered the same way, so duplicates it resends after a reconnect are
// dropped, and an Ack goes back for what was processed.
//
// What HubConnection does with it: the send pipeline keeps the written records in sent()
// (push::SendPipeline::replay_into); when the WebSocket drops the connection is suspended, and
// a WebSocket with the same token resumes it by writing resend() first (Sequence, then every
// unacknowledged record; the client drops what it already had).
//
// Source: HubProtocol.md "Ack" and "Sequence", and the JS client's MessageBuffer (where it and
// the spec differ, the client wins). Made on the connection's strand when its handshake makes
// it stateful, used there only; not thread-safe. Throws only std::bad_alloc.

#include "push/record.hpp"
#include "push/replay_buffer.hpp"
#include "signalr/hub_records.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace scanhub::signalr {

class ReconnectReplay {
 public:
  /// `buffer_size`: bytes kept unacknowledged before writes wait for an Ack
  /// (HubOptions::stateful_reconnect_buffer_size).
  explicit ReconnectReplay(std::size_t buffer_size) : sent_(buffer_size) {}

  /// The records written and not yet acknowledged, oldest first.
  push::ReplayBuffer& sent() noexcept { return sent_; }

  /// Ack from the client: it has every message up to `sequence_id`.
  void on_ack(std::int64_t sequence_id) noexcept { sent_.acknowledge(sequence_id); }
  /// Sequence from the client: its next counted message carries `sequence_id`. False when that
  /// is impossible (above what arrived, or below 1): a protocol error.
  bool on_sequence(std::int64_t sequence_id) noexcept;
  /// Numbers the client's next counted message; false when it is a resent duplicate.
  bool accept_sequenced() noexcept;

  /// The Ack for what was processed since the last one, or null when none is due.
  push::SharedRecord take_ack(WireProtocol protocol);
  /// What a resumed connection writes before anything else: Sequence(oldest unacknowledged
  /// id), then every unacknowledged record.
  std::vector<push::SharedRecord> resend(WireProtocol protocol) const;

 private:
  push::ReplayBuffer sent_;
  std::int64_t next_receive_id_ = 1;     // id the client's next counted message carries
  std::int64_t latest_received_id_ = 0;  // highest id processed from the client
  bool ack_due_ = false;
};

}  // namespace scanhub::signalr
