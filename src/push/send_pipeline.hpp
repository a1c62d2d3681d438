#pragma once
// One client's send pipeline: the strand's half, from the records a connection queues to the
// writes its sink (transport) makes. The same for every push surface: SignalR connections
// today, the /ws event socket and the SSE event stream next (DESIGN.md "Surfaces").
//
//   Inbox (any thread) --drain--> Outbox (bounded, conflating) --batch--> PushSink, one write
//   in flight
//
// - Bounded: the outbox's bounds (count and bytes); past them enqueue() reports kOverflow, the
//   pipeline counts the client as slow and the connection closes it with a reason (close()).
// - Conflation: a record with a key replaces the unsent record with the same key (newest
//   progress wins); records without a key (lifecycle messages) are never dropped and leave in
//   the order they were queued.
// - One write in flight; what queued meanwhile leaves as one batch, one gather-write
//   (uWebSockets' corking): drain() queues everything an inbox holds before it writes once.
// - The fast path: a lone record for an idle connection (nothing queued, nothing in flight)
//   goes straight to the sink, without an outbox entry or a batch (try_write_now), and the
//   WebSocket sink writes it with one non-blocking sendmsg.
// - Closing: close() stops taking sends, writes what is queued (or drops it) and a last record
//   (SignalR's Close message), then asks the sink to close, once.
// - Replay (SignalR's stateful reconnect): with a ReplayBuffer the sequenced records written
//   are kept until acknowledged, writes wait while it is full, and write_first() puts a resend
//   before anything queued.
//
// Records are serialized by the caller, once per wire format (record.hpp); the pipeline never
// copies their bytes. It knows no protocol: ping, close and handshake records are the
// connection's business.
//
// Threading: the owning connection's strand only; not thread-safe. The sink calls
// on_send_complete on the same strand. Calls into the sink happen inside the pipeline's calls;
// none back into the connection. Throws only std::bad_alloc.

#include "push/inbox.hpp"
#include "push/outbox.hpp"
#include "push/record.hpp"
#include "push/replay_buffer.hpp"
#include "push/send_counters.hpp"
#include "push/sink.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace scanhub::push {

class SendPipeline {
 public:
  using Clock = std::chrono::steady_clock;

  struct Limits {
    std::size_t max_messages;    ///< queued records, after conflation
    std::size_t max_bytes;       ///< queued bytes
    std::size_t max_batch_bytes; ///< bytes per write (one record more when a record is larger)
  };

  /// kStarting: only the connection's own records (enqueue_control), sends are dropped (before
  /// a handshake). kOpen: sends are queued, and written while a sink is attached. kClosing:
  /// sends are dropped, what is queued is written. kDone: the sink was asked to close; nothing
  /// more is written.
  enum class Mode : std::uint8_t { kStarting, kOpen, kClosing, kDone };

  enum class Queued : std::uint8_t {
    kQueued,     ///< queued
    kConflated,  ///< queued; an unsent record with the same key was dropped (counted)
    kDropped,    ///< not open: dropped
    kOverflow,   ///< queued past the bounds: the client is slow (counted); close it
  };

  /// What close() does with the records queued before it.
  enum class Queue : std::uint8_t { kSend, kDrop };

  SendPipeline(const Limits& limits, SendCounters& counters)
      : outbox_(limits.max_messages, limits.max_bytes),
        counters_(counters),
        max_batch_bytes_(limits.max_batch_bytes) {}
  SendPipeline(const SendPipeline&) = delete;
  SendPipeline& operator=(const SendPipeline&) = delete;

  Mode mode() const noexcept { return mode_; }
  /// kStarting -> kOpen (a SignalR connection's handshake succeeded).
  void open() noexcept {
    if (mode_ == Mode::kStarting) mode_ = Mode::kOpen;
  }

  /// The transport to write to (not owned: the connection holds it while attached).
  void attach(PushSink& sink) noexcept { sink_ = &sink; }
  /// The transport is gone (a suspended SignalR connection keeps queueing without one): the
  /// batch in flight is dropped (a replay keeps its sequenced records).
  void detach() noexcept;
  bool attached() const noexcept { return sink_ != nullptr; }

  /// Queues a send (a broadcast, a completion). Does not write: call flush() (drain() does).
  Queued enqueue(SharedRecord record, std::string_view conflation_key = {},
                 bool sequenced = false);
  /// Queues one of the connection's own records (handshake response, ping, Ack) in any mode
  /// but kDone, never conflated nor refused by the bounds. Does not write.
  void enqueue_control(SharedRecord record);

  /// Drains what an Inbox took, in order: a lone send for an idle connection is written at once
  /// (try_write_now); otherwise every send is queued and tasks run in their place, and one
  /// write follows (corking). `on_overflow()` runs when a send overflows the bounds (it closes
  /// the connection; later sends are then dropped). Empties `entries`. Returns flush()'s value.
  template <class OnOverflow>
  bool drain(std::vector<Inbox::Entry>& entries, OnOverflow&& on_overflow);

  /// The fast path: writes `record` at once when the pipeline is open and idle (nothing queued
  /// or in flight, no replay), taking it (left empty); false, `record` untouched, otherwise.
  bool try_write_now(SharedRecord& record);

  /// Starts writes while something is queued and no write is in flight (nothing while corked
  /// inside drain()). True when at least one batch left at once (SendStatus::kWritten): the
  /// queue shrank without an on_send_complete to follow (input held back for it may go on).
  bool flush();

  /// The sink's pending write ended (`ok`: every byte left; else the sink is aborted). True
  /// when writing may go on (the caller flushes); false when the pipeline is done or failed.
  bool on_send_complete(bool ok);

  /// Stops taking sends. `queued`: write what is queued first, or drop it. `last` (may be null)
  /// goes out after that, beyond the bounds. Then the sink is asked to close with `reason`
  /// (static storage). A second close() does nothing.
  void close(Queue queued, SharedRecord last, std::string_view reason);
  /// Ends for good: drops everything, forgets the replay, detaches; mode kDone.
  void reset() noexcept;

  /// Sequenced records written from now on are kept in `replay` (owned by the caller, alive as
  /// long as this pipeline); writes wait while it is full() and the pipeline is open.
  void replay_into(ReplayBuffer* replay) noexcept { replay_ = replay; }
  /// `batch` is written before anything queued, by the next flush() (a resumed connection's
  /// resend). Only while nothing is in flight.
  void write_first(std::vector<SharedRecord> batch);

  bool writing() const noexcept { return write_ == Write::kInFlight; }
  /// Nothing queued, nothing in flight.
  bool idle() const noexcept { return write_ == Write::kIdle && outbox_.empty(); }
  /// When the write in flight (or the last one) started.
  Clock::time_point write_started() const noexcept { return write_started_; }
  std::size_t queued_messages() const noexcept { return outbox_.size(); }
  std::size_t queued_bytes() const noexcept { return outbox_.bytes(); }

 private:
  // kReady: in_flight_ holds a batch to write first (write_first), not yet handed to the sink.
  enum class Write : std::uint8_t { kIdle, kReady, kInFlight };

  /// Fills in_flight_ with the next batch and marks it in flight; false when there is nothing
  /// to write now.
  bool start_write();
  /// The write in flight ended; false when no further write may start.
  bool finish_write(bool ok);

  Outbox outbox_;
  std::vector<SharedRecord> in_flight_;  // the batch the sink is writing (its capacity kept)
  PushSink* sink_ = nullptr;
  ReplayBuffer* replay_ = nullptr;
  SendCounters& counters_;
  std::size_t max_batch_bytes_;
  std::string_view close_reason_;
  Clock::time_point write_started_{};
  Mode mode_ = Mode::kStarting;
  Write write_ = Write::kIdle;
  bool corked_ = false;  // inside drain(): queue, write once at its end
};

template <class OnOverflow>
bool SendPipeline::drain(std::vector<Inbox::Entry>& entries, OnOverflow&& on_overflow) {
  if (entries.size() == 1 && entries.front().record && entries.front().key.empty() &&
      try_write_now(entries.front().record)) {
    // Nothing was queued, so nothing else to write and no queue that shrank.
    entries.clear();
    return false;
  }
  corked_ = true;
  for (Inbox::Entry& entry : entries) {
    if (entry.task) {
      entry.task();  // close, abort, completion: they check the connection's state themselves
      continue;
    }
    if (enqueue(std::move(entry.record), entry.key, /*sequenced=*/true) == Queued::kOverflow) {
      on_overflow();
    }
  }
  corked_ = false;
  entries.clear();
  // A burst's capacity is not kept by an idle connection (there are tens of thousands).
  if (entries.capacity() > 4) entries.shrink_to_fit();
  return flush();
}

}  // namespace scanhub::push
