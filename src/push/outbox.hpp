#pragma once
// A connection's bounded queue of serialized records waiting to be written (the queue of a
// SendPipeline, send_pipeline.hpp).
//
// Records are immutable and shared between recipients (one serialization per message and
// protocol, DESIGN.md "Progress"). A record pushed with a conflation key replaces the unsent
// record with the same key: the old one is dropped and the new one queued at the end, so what
// is delivered keeps call order (minus the superseded record) and the newest value wins.
// Records without a key are never dropped. Bounds are on count and bytes; exceeding either is
// reported to the caller, which closes the connection (STYLE.md "Pushing to clients").
//
// Used on the owning connection's strand only; not thread-safe. Throws only std::bad_alloc.

#include "push/record.hpp"
#include "push/replay_buffer.hpp"

#include <boost/container/deque.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace scanhub::push {

class Outbox {
 public:
  enum class PushResult {
    kQueued,     ///< appended
    kConflated,  ///< appended; an older record with the same key was dropped
    kOverflow,   ///< appended, but the bounds are now exceeded: close the connection
  };

  Outbox(std::size_t max_messages, std::size_t max_bytes)
      : max_messages_(max_messages), max_bytes_(max_bytes) {}

  /// `sequenced`: the record counts in a replay's ids (SignalR's stateful reconnect: an
  /// Invocation or Completion; not a Ping, Close, Ack or Sequence), kept by take_batch.
  PushResult push(SharedRecord record, std::string_view conflation_key = {},
                  bool sequenced = false);

  /// Removes and returns the oldest records, at least one when not empty, adding more while
  /// their total stays within `max_bytes`. The sequenced ones among them are also appended to
  /// `sequenced`, in order, when it is given (they are being written).
  std::vector<SharedRecord> take_batch(std::size_t max_bytes,
                                       ReplayBuffer* sequenced = nullptr);
  /// The same, appending to `batch` (whose capacity a connection keeps between writes).
  void take_batch(std::size_t max_bytes, std::vector<SharedRecord>& batch,
                  ReplayBuffer* sequenced = nullptr);

  /// Drops everything queued (used when closing).
  void clear() noexcept;

  bool empty() const noexcept { return live_ == 0; }
  std::size_t size() const noexcept { return live_; }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  // A deque of entries, not a list: one allocation per block of entries instead of one per
  // message (the fan-out's most frequent allocation). A conflated entry stays in place as a
  // tombstone (record empty) until it reaches the front, so positions stay valid for by_key_.
  struct Entry {
    SharedRecord record;  // empty: superseded by a newer record with the same key
    std::string key;
    bool sequenced = false;
  };

  void compact();

  std::size_t max_messages_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::size_t live_ = 0;         // entries with a record
  std::uint64_t first_index_ = 0;  // position of entries_.front() since the outbox began
  boost::container::deque<Entry> entries_;
  std::unordered_map<std::string, std::uint64_t> by_key_;  // key -> position of its live entry
};

}  // namespace scanhub::push
