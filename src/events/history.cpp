#include "events/history.hpp"

#include "core/ids.hpp"
#include "progress/job_events.hpp"

#include <cassert>
#include <charconv>
#include <stdexcept>

namespace scanhub::events {

bool EventFilter::matches(const EventRecord& record) const noexcept {
  if (job_id && record.job_id != job_id) return false;
  if (scan_id && record.scan_id != scan_id) return false;
  if (!types.empty() && !types.contains(std::string_view(record.type))) return false;
  if (viewer && record.job_owner &&
      (record.job_owner->empty() || viewer->empty() || *record.job_owner != *viewer)) {
    return false;
  }
  return true;
}

EventFilter EventFilter::parse(std::optional<std::string_view> job_id, std::optional<std::string_view> scan_id,
                               std::optional<std::string_view> types) {
  EventFilter filter;
  if (job_id) {
    auto id = core::parse_id(*job_id);
    if (!id) id = progress::parse_hub_job_id(*job_id);
    if (!id) throw std::invalid_argument("jobId must be a job id such as 123 or job-123");
    filter.job_id = id;
  }
  if (scan_id) {
    filter.scan_id = core::parse_id(*scan_id);
    if (!filter.scan_id) throw std::invalid_argument("scanId must be a scan id such as 7");
  }
  if (types) {
    std::string_view rest = *types;
    for (;;) {
      const auto comma = rest.find(',');
      const std::string_view type = rest.substr(0, comma);
      if (type.empty() || type.size() > 64) {
        throw std::invalid_argument("types must be event names separated by commas, such as job:progress,queue:stats");
      }
      filter.types.emplace(type);
      if (filter.types.size() > 32) throw std::invalid_argument("types may name at most 32 events");
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return filter;
}

std::optional<std::uint64_t> parse_last_event_id(std::string_view text) noexcept {
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

EventHistory::EventHistory(std::size_t max_records, std::size_t max_bytes)
    : max_records_(std::max<std::size_t>(1, max_records)), max_bytes_(max_bytes) {}

std::uint64_t EventHistory::next_sequence() {
  std::lock_guard lock(mutex_);
  return ++issued_;
}

void EventHistory::append(SharedRecord record) {
  std::lock_guard lock(mutex_);
  assert(record && (records_.empty() || record->sequence > records_.back()->sequence) &&
         "records are appended in sequence order");
  if (record->sequence > issued_) issued_ = record->sequence;
  bytes_ += record->json.size();
  records_.push_back(std::move(record));
  while (records_.size() > 1 && (records_.size() > max_records_ || bytes_ > max_bytes_)) {
    bytes_ -= records_.front()->json.size();
    dropped_upto_ = records_.front()->sequence;
    records_.pop_front();
  }
}

std::expected<std::vector<SharedRecord>, TooOld> EventHistory::since(std::uint64_t last_event_id,
                                                                     const EventFilter& filter) const {
  std::lock_guard lock(mutex_);
  const std::uint64_t oldest = records_.empty() ? 0 : records_.front()->sequence;
  // Something after last_event_id was dropped, or the id was never given out by this process.
  if (last_event_id < dropped_upto_ || last_event_id > issued_) return std::unexpected(TooOld{oldest});
  std::vector<SharedRecord> out;
  // Sequences are increasing: find the first one after last_event_id by binary search.
  auto it = std::upper_bound(records_.begin(), records_.end(), last_event_id,
                             [](std::uint64_t id, const SharedRecord& r) { return id < r->sequence; });
  for (; it != records_.end(); ++it) {
    if (filter.matches(**it)) out.push_back(*it);
  }
  return out;
}

std::uint64_t EventHistory::last_sequence() const {
  std::lock_guard lock(mutex_);
  return issued_;
}

std::size_t EventHistory::size() const {
  std::lock_guard lock(mutex_);
  return records_.size();
}

std::size_t EventHistory::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace scanhub::events
