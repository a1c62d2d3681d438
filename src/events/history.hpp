#pragma once
// The recent event records, for Server-Sent Events resume (an EventSource reconnecting sends
// Last-Event-ID: the sequence of the last record it got) and their filters (?jobId=, ?scanId=,
// ?types=). A bounded ring in memory: the newest `max_records` records within `max_bytes` of
// JSON; older ones are dropped. Sequences are per process (from 1, strictly increasing), so an
// id from before a restart, or older than what the ring keeps, gets "too old": the stream then
// sends a `resync` hint event (events/sse.hpp) and the client reloads its state.
//
// Thread-safety: every member may be called from any thread (one mutex; copies out shared
// pointers only). Throws only std::bad_alloc.

#include "events/message.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <expected>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::events {

/// What a stream wants: every field that is set must match. An empty `types` matches all.
struct EventFilter {
  std::optional<core::JobId> job_id;
  std::optional<core::ScanId> scan_id;
  std::set<std::string, std::less<>> types;
  /// Who is watching, when not an admin: their user id (empty: none). Records about another
  /// user's external job (EventRecord::job_owner) do not match (progress::may_see_job).
  std::optional<std::string> viewer;

  bool matches(const EventRecord& record) const noexcept;

  /// From query parameters (absent ones as nullopt): jobId "123" or "job-123", scanId "7",
  /// types "job:progress,scan:progress" (comma-separated, at most 32, each 1-64 bytes).
  /// std::invalid_argument with a message for the client on anything else.
  static EventFilter parse(std::optional<std::string_view> job_id, std::optional<std::string_view> scan_id,
                           std::optional<std::string_view> types);
};

/// Last-Event-ID as sent; nullopt when it is not a sequence number (then: too old).
std::optional<std::uint64_t> parse_last_event_id(std::string_view text) noexcept;

struct TooOld {
  std::uint64_t oldest = 0;  ///< the oldest sequence still kept (0: none)
};

class EventHistory {
 public:
  static constexpr std::size_t kDefaultRecords = 4096;
  static constexpr std::size_t kDefaultBytes = 4 * 1024 * 1024;

  explicit EventHistory(std::size_t max_records = kDefaultRecords, std::size_t max_bytes = kDefaultBytes);

  /// The sequence the next record gets (records are made before they are appended).
  std::uint64_t next_sequence();
  /// Appends `record`, whose sequence must be above every earlier one (asserted), and drops the
  /// oldest records beyond the bounds (the newest is always kept).
  void append(SharedRecord record);

  /// The records after `last_event_id` that `filter` matches, oldest first; TooOld when some
  /// record after it is no longer kept, or when it is above every sequence given out (an id
  /// from another process).
  std::expected<std::vector<SharedRecord>, TooOld> since(std::uint64_t last_event_id,
                                                         const EventFilter& filter = {}) const;

  /// The newest sequence given out (0: none yet).
  std::uint64_t last_sequence() const;
  std::size_t size() const;
  std::size_t bytes() const;

 private:
  const std::size_t max_records_;
  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::deque<SharedRecord> records_;
  std::size_t bytes_ = 0;
  std::uint64_t issued_ = 0;       // sequences given out by next_sequence()
  std::uint64_t dropped_upto_ = 0; // every sequence <= this is gone
};

}  // namespace scanhub::events
