#include "signalr/outbox.hpp"

namespace scanhub::signalr {

Outbox::PushResult Outbox::push(SharedRecord record, std::string_view conflation_key,
                                bool sequenced) {
  PushResult result = PushResult::kQueued;
  const std::size_t size = record->size();
  if (!conflation_key.empty()) {
    std::string key(conflation_key);
    if (auto found = by_key_.find(key); found != by_key_.end()) {
      bytes_ -= found->second->record->size();
      entries_.erase(found->second);
      by_key_.erase(found);
      result = PushResult::kConflated;
    }
    entries_.push_back(Entry{std::move(record), key, sequenced});
    by_key_.emplace(std::move(key), std::prev(entries_.end()));
  } else {
    entries_.push_back(Entry{std::move(record), {}, sequenced});
  }
  bytes_ += size;
  if (entries_.size() > max_messages_ || bytes_ > max_bytes_) return PushResult::kOverflow;
  return result;
}

std::vector<SharedRecord> Outbox::take_batch(std::size_t max_bytes,
                                             ReplayBuffer* sequenced) {
  std::vector<SharedRecord> batch;
  std::size_t total = 0;
  while (!entries_.empty()) {
    Entry& front = entries_.front();
    const std::size_t size = front.record->size();
    if (!batch.empty() && total + size > max_bytes) break;
    total += size;
    bytes_ -= size;
    if (!front.key.empty()) by_key_.erase(front.key);
    if (sequenced != nullptr && front.sequenced) sequenced->push_back(front.record);
    batch.push_back(std::move(front.record));
    entries_.pop_front();
  }
  return batch;
}

void Outbox::clear() noexcept {
  entries_.clear();
  by_key_.clear();
  bytes_ = 0;
}

}  // namespace scanhub::signalr
