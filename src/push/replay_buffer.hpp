#pragma once
// Records written to a peer and kept until it acknowledges them, so that a new transport can
// write them again: SignalR's stateful reconnect (HubProtocol.md "Ack" and "Sequence"; the JS
// client's MessageBuffer). Records are numbered from 1 in the order they were written; an
// acknowledgement of id N releases every record up to N.
//
// A SendPipeline given a ReplayBuffer (SendPipeline::replay_into) appends each sequenced record
// it writes and stops writing while full() (the peer must acknowledge first).
//
// Used on the owning connection's strand only; not thread-safe. Throws only std::bad_alloc.

#include "push/record.hpp"

#include <boost/container/deque.hpp>

#include <cstddef>
#include <cstdint>

namespace scanhub::push {

class ReplayBuffer {
 public:
  /// `max_bytes`: full() from this many bytes kept (ASP.NET Core's StatefulReconnectBufferSize).
  explicit ReplayBuffer(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  void push_back(SharedRecord record) {
    bytes_ += record->size();
    records_.push_back(std::move(record));
  }

  /// The peer has every record up to `id`: they are released.
  void acknowledge(std::int64_t id) noexcept {
    while (!records_.empty() && first_id_ <= id) {
      bytes_ -= records_.front()->size();
      records_.pop_front();
      ++first_id_;
    }
  }

  bool full() const noexcept { return bytes_ >= max_bytes_; }
  bool empty() const noexcept { return records_.empty(); }
  std::size_t size() const noexcept { return records_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }
  /// The id of the oldest record kept (the next one written when empty).
  std::int64_t first_id() const noexcept { return first_id_; }

  auto begin() const noexcept { return records_.begin(); }
  auto end() const noexcept { return records_.end(); }

 private:
  // Boost's deque allocates nothing until its first element (std::deque allocates 576 bytes
  // when constructed).
  boost::container::deque<SharedRecord> records_;
  std::size_t bytes_ = 0;
  std::size_t max_bytes_;
  std::int64_t first_id_ = 1;
};

}  // namespace scanhub::push
