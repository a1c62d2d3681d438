// The sending side of HubConnection (see hub_connection.hpp): the inbox other threads post
// sends to, the strand's drain into the bounded outbox (conflation, overflow), and the writes,
// one at a time, through the transport (an idle WebSocket's direct write included).
#include "signalr/hub_connection.hpp"

#include "signalr/hub_endpoint.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <spdlog/spdlog.h>

#include <atomic>

namespace scanhub::signalr {
namespace asio = boost::asio;

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

using IoContextStrand = asio::strand<asio::io_context::executor_type>;

}  // namespace

void HubConnection::post_send(push::SharedRecord record, std::string_view conflation_key) {
  if (push_send(std::move(record), conflation_key)) post_drain();
}

void HubConnection::post_drain() {
  asio::post(strand_, [self = shared_from_this()] { self->drain_inbox(); });
}

bool HubConnection::push_send(push::SharedRecord record, std::string_view conflation_key) {
  std::lock_guard lock(inbox_mutex_);
  inbox_.push_back(PendingSend{std::move(record), std::string(conflation_key), {}});
  if (drain_posted_) return false;  // the scheduled drain_inbox() will take this one too
  drain_posted_ = true;
  return true;
}

void HubConnection::dispatch_drain() {
  // Inline when this thread runs the io_context and no other thread holds the strand: the
  // fan-out then writes to each recipient in the delivering task, without a round trip through
  // the scheduler's queue per recipient. Never called on this connection's own strand (that
  // would run drain_inbox inside itself): HubEndpoint calls it from io_context tasks only.
  // Through the strand's own type when it is an io_context strand (every network connection):
  // no copy of the type-erased executor per recipient.
  if (const auto* strand = strand_.target<IoContextStrand>()) {
    asio::dispatch(*strand, [self = shared_from_this()] { self->drain_inbox(); });
  } else {
    asio::dispatch(strand_, [self = shared_from_this()] { self->drain_inbox(); });
  }
}

void HubConnection::post_ordered(std::function<void()> task) {
  {
    std::lock_guard lock(inbox_mutex_);
    if (drain_posted_) {
      // Sends are waiting for a drain (maybe dispatched later by a fan-out): go behind them.
      inbox_.push_back(PendingSend{{}, {}, std::move(task)});
      return;
    }
  }
  // The inbox is empty: a later send's drain queues on the strand behind this post.
  asio::post(strand_, std::move(task));
}

void HubConnection::drain_inbox() {
  {
    std::lock_guard lock(inbox_mutex_);
    draining_sends_.swap(inbox_);
    drain_posted_ = false;
  }
  auto& sends = draining_sends_;
  if (sends.size() == 1 && sends.front().record && sends.front().conflation_key.empty() &&
      write_now(sends.front().record)) {
    sends.clear();
    return;
  }
  // Corking, as uWebSockets does: everything that arrived since the last drain goes into the
  // outbox first and leaves in one gather-write, not one write (one syscall) per message.
  draining_ = true;
  for (auto& send : sends) {
    if (send.task) {
      send.task();  // close, abort, completion: they check the state themselves
      continue;
    }
    if (state_ != State::kOpen && state_ != State::kSuspended) continue;  // closed by an overflow
    enqueue(std::move(send.record), send.conflation_key);
  }
  draining_ = false;
  sends.clear();
  // A burst's capacity is not kept by an idle connection (there are tens of thousands).
  if (sends.capacity() > 4) sends.shrink_to_fit();
  maybe_write();
}

bool HubConnection::write_now(push::SharedRecord& record) {
  // The outbox's rules hold trivially for one record into an empty outbox: nothing to conflate,
  // within bounds. Stateful connections number and keep their records: the outbox's path.
  if (writing_ || !transport_ || state_ != State::kOpen || stateful_ || resend_pending_ ||
      !outbox_.empty()) {
    return false;
  }
  in_flight_.push_back(std::move(record));  // taken: the caller drops its empty pointer
  writing_ = true;
  last_send_ = write_started_ = Clock::now();
  if (transport_->send(in_flight_) == SendStatus::kWritten) {
    // Nothing was queued, so nothing more to write and no input held back for the outbox.
    writing_ = false;
    endpoint_.counters().messages_sent.add(1);
    in_flight_.clear();
  }
  return true;
}

void HubConnection::enqueue(push::SharedRecord record, std::string_view conflation_key,
                            bool sequenced) {
  switch (outbox_.push(std::move(record), conflation_key, sequenced)) {
    case push::Outbox::PushResult::kQueued:
      break;
    case push::Outbox::PushResult::kConflated:
      endpoint_.counters().messages_conflated.fetch_add(1, kRelaxed);
      break;
    case push::Outbox::PushResult::kOverflow:
      endpoint_.counters().slow_connections_closed.fetch_add(1, kRelaxed);
      spdlog::warn("signalr: {} closing {}: outbox overflow ({} messages, {} bytes queued)",
                   endpoint_.path(), id(), outbox_.size(), outbox_.bytes());
      close_with("Connection closed: the client did not keep up with the messages sent to it.",
                 true, /*keep_queued=*/false, "outbox overflow");
      return;
  }
  if (!draining_) maybe_write();
}

void HubConnection::maybe_write() {
  // A loop: a transport that wrote everything at once (SendStatus::kWritten) is ready for the
  // next batch now, and reports no on_send_complete to continue from.
  for (;;) {
    if (writing_ || !transport_) return;
    if (state_ != State::kOpen && state_ != State::kClosing && state_ != State::kHandshake) {
      return;
    }
    if (!start_write()) return;
    if (transport_->send(in_flight_) == SendStatus::kPending) return;
    if (!finish_write(true)) return;
    if (receive_suspended_ && !resume_posted_) {
      // Input held back for a full outbox may go on; not from inside this write (the caller
      // may be processing the client's records right now).
      resume_posted_ = true;
      asio::post(strand_, [self = shared_from_this()] {
        self->resume_posted_ = false;
        self->resume_input();
      });
    }
  }
}

bool HubConnection::start_write() {
  if (resend_pending_) {
    // Resumed: Sequence first (the client ignores everything until it arrives), then every
    // unacknowledged record again; the client drops the ones it had already received.
    resend_pending_ = false;
    in_flight_.clear();
    in_flight_.reserve(replay_.size() + 1);
    in_flight_.push_back(std::make_shared<const std::string>(
        msgpack() ? write_msgpack_sequence(replay_first_id_) : write_sequence(replay_first_id_)));
    in_flight_.insert(in_flight_.end(), replay_.begin(), replay_.end());
  } else {
    if (outbox_.empty()) return false;
    if (stateful_ && replay_bytes_ >= endpoint_.options().stateful_reconnect_buffer_size &&
        state_ == State::kOpen) {
      return false;  // wait for the client's Ack; the outbox conflates and bounds meanwhile
    }
    const std::size_t replayed_before = replay_.size();
    in_flight_.clear();
    outbox_.take_batch(endpoint_.options().max_batch_bytes, in_flight_,
                       stateful_ ? &replay_ : nullptr);
    for (std::size_t i = replayed_before; i < replay_.size(); ++i) {
      replay_bytes_ += replay_[i]->size();
    }
  }
  writing_ = true;
  last_send_ = write_started_ = Clock::now();
  return true;
}

bool HubConnection::finish_write(bool ok) {
  writing_ = false;
  if (state_ == State::kClosed) return false;
  if (ok) endpoint_.counters().messages_sent.add(in_flight_.size());
  in_flight_.clear();
  if (!ok) {
    transport_->abort();  // the transport reports on_transport_closed
    return false;
  }
  if (state_ == State::kClosing && outbox_.empty()) {
    if (!close_sent_) {
      close_sent_ = true;
      transport_->close("closed by server");
    }
    return false;
  }
  return true;
}

void HubConnection::on_send_complete(bool ok) {
  if (!finish_write(ok)) return;
  maybe_write();
  resume_input();  // the outbox shrank: input held back for it may go on
}

}  // namespace scanhub::signalr
