#include "push/send_pipeline.hpp"

namespace scanhub::push {

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
}  // namespace

void SendPipeline::detach() noexcept {
  sink_ = nullptr;
  write_ = Write::kIdle;
  in_flight_.clear();  // its sequenced records are in the replay, written again on resume
}

SendPipeline::Queued SendPipeline::enqueue(SharedRecord record, std::string_view conflation_key,
                                           bool sequenced) {
  if (mode_ != Mode::kOpen) return Queued::kDropped;
  switch (outbox_.push(std::move(record), conflation_key, sequenced)) {
    case Outbox::PushResult::kQueued:
      return Queued::kQueued;
    case Outbox::PushResult::kConflated:
      counters_.messages_conflated.fetch_add(1, kRelaxed);
      return Queued::kConflated;
    case Outbox::PushResult::kOverflow:
      counters_.slow_clients_closed.fetch_add(1, kRelaxed);
      return Queued::kOverflow;
  }
  return Queued::kQueued;
}

void SendPipeline::enqueue_control(SharedRecord record) {
  if (mode_ == Mode::kDone) return;
  // Beyond the bounds on purpose: a handshake response or a Close must reach the client even
  // after an overflow.
  outbox_.push(std::move(record));
}

bool SendPipeline::try_write_now(SharedRecord& record) {
  // The outbox's rules hold trivially for one record into an empty outbox: nothing to conflate,
  // within bounds. With a replay the records are numbered and kept: the outbox's path.
  if (mode_ != Mode::kOpen || sink_ == nullptr || write_ != Write::kIdle || !outbox_.empty() ||
      replay_ != nullptr) {
    return false;
  }
  in_flight_.push_back(std::move(record));  // taken: the caller drops its empty pointer
  write_ = Write::kInFlight;
  write_started_ = Clock::now();
  if (sink_->send(in_flight_) == SendStatus::kWritten) {
    write_ = Write::kIdle;
    counters_.messages_sent.add(1);
    in_flight_.clear();
  }
  return true;
}

bool SendPipeline::flush() {
  // A loop: a sink that wrote everything at once (kWritten) is ready for the next batch now,
  // and reports no on_send_complete to continue from.
  bool wrote = false;
  while (!corked_ && sink_ != nullptr && write_ != Write::kInFlight && mode_ != Mode::kDone) {
    if (!start_write()) break;
    if (sink_->send(in_flight_) == SendStatus::kPending) break;
    if (!finish_write(true)) break;
    wrote = true;
  }
  return wrote;
}

bool SendPipeline::start_write() {
  if (write_ != Write::kReady) {
    if (outbox_.empty()) return false;
    if (replay_ != nullptr && replay_->full() && mode_ == Mode::kOpen) {
      return false;  // wait for the client's acknowledgement; the outbox bounds meanwhile
    }
    in_flight_.clear();
    outbox_.take_batch(max_batch_bytes_, in_flight_, replay_);
  }
  write_ = Write::kInFlight;
  write_started_ = Clock::now();
  return true;
}

bool SendPipeline::finish_write(bool ok) {
  write_ = Write::kIdle;
  if (sink_ == nullptr) return false;  // detached or reset meanwhile
  if (ok) counters_.messages_sent.add(in_flight_.size());
  in_flight_.clear();
  if (!ok) {
    sink_->abort();  // the transport reports its end to the connection
    return false;
  }
  if (mode_ == Mode::kDone) return false;
  if (mode_ == Mode::kClosing && outbox_.empty()) {
    mode_ = Mode::kDone;
    sink_->close(close_reason_);
    return false;
  }
  return true;
}

bool SendPipeline::on_send_complete(bool ok) {
  if (write_ != Write::kInFlight) return false;  // not ours: detached or reset meanwhile
  return finish_write(ok);
}

void SendPipeline::close(Queue queued, SharedRecord last, std::string_view reason) {
  if (mode_ == Mode::kClosing || mode_ == Mode::kDone) return;
  mode_ = Mode::kClosing;
  close_reason_ = reason;
  if (queued == Queue::kDrop) outbox_.clear();
  if (last) outbox_.push(std::move(last));
  if (write_ == Write::kIdle && outbox_.empty()) {
    mode_ = Mode::kDone;
    if (sink_ != nullptr) sink_->close(reason);
    return;
  }
  flush();
}

void SendPipeline::reset() noexcept {
  mode_ = Mode::kDone;
  outbox_.clear();
  replay_ = nullptr;
  detach();
}

void SendPipeline::write_first(std::vector<SharedRecord> batch) {
  in_flight_ = std::move(batch);
  write_ = Write::kReady;
}

}  // namespace scanhub::push
