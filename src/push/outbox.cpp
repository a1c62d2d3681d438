#include "push/outbox.hpp"

namespace scanhub::push {

Outbox::PushResult Outbox::push(SharedRecord record, std::string_view conflation_key,
                                bool sequenced) {
  PushResult result = PushResult::kQueued;
  const std::size_t size = record->size();
  if (!conflation_key.empty()) {
    std::string key(conflation_key);
    const std::uint64_t position = first_index_ + entries_.size();
    auto [found, inserted] = by_key_.try_emplace(key, position);
    if (!inserted) {
      Entry& older = entries_[static_cast<std::size_t>(found->second - first_index_)];
      bytes_ -= older.record->size();
      older.record.reset();
      older.key.clear();
      --live_;
      found->second = position;
      result = PushResult::kConflated;
    }
    entries_.push_back(Entry{std::move(record), std::move(key), sequenced});
  } else {
    entries_.push_back(Entry{std::move(record), {}, sequenced});
  }
  ++live_;
  bytes_ += size;
  // Tombstones are bounded too: a busy key that is never sent must not grow the deque.
  if (entries_.size() > 2 * max_messages_ + 16) compact();
  if (live_ > max_messages_ || bytes_ > max_bytes_) return PushResult::kOverflow;
  return result;
}

void Outbox::compact() {
  boost::container::deque<Entry> kept;
  by_key_.clear();
  first_index_ = 0;
  for (Entry& entry : entries_) {
    if (!entry.record) continue;
    if (!entry.key.empty()) by_key_.emplace(entry.key, kept.size());
    kept.push_back(std::move(entry));
  }
  entries_ = std::move(kept);
}

std::vector<SharedRecord> Outbox::take_batch(std::size_t max_bytes,
                                             ReplayBuffer* sequenced) {
  std::vector<SharedRecord> batch;
  take_batch(max_bytes, batch, sequenced);
  return batch;
}

void Outbox::take_batch(std::size_t max_bytes, std::vector<SharedRecord>& batch,
                        ReplayBuffer* sequenced) {
  const std::size_t first = batch.size();
  std::size_t total = 0;
  while (!entries_.empty()) {
    Entry& front = entries_.front();
    if (front.record) {
      const std::size_t size = front.record->size();
      if (batch.size() > first && total + size > max_bytes) break;
      total += size;
      bytes_ -= size;
      --live_;
      if (!front.key.empty()) by_key_.erase(front.key);
      if (sequenced != nullptr && front.sequenced) sequenced->push_back(front.record);
      batch.push_back(std::move(front.record));
    }
    entries_.pop_front();
    ++first_index_;
  }
  // An idle connection keeps no block allocated (there are tens of thousands of them).
  if (entries_.empty()) entries_.shrink_to_fit();
}

void Outbox::clear() noexcept {
  entries_.clear();
  entries_.shrink_to_fit();
  by_key_.clear();
  bytes_ = 0;
  live_ = 0;
}

}  // namespace scanhub::push
