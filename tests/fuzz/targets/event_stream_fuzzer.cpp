// libFuzzer target: what a `GET /api/events` request says it wants (src/live/stream_params:
// the query's jobId, scanId, types and lastEventId, and the Last-Event-ID header), then the
// resume it asks for against an event history (src/events/history).
//
// Input: the Last-Event-ID header's value, a newline, the query (after '?', not decoded).
// Besides "no crash, no leak, no undefined behaviour, bounded memory" it checks the contract
// of stream_params.hpp and history.hpp:
// - a refusal (400) has a message; an accepted filter has positive ids and 1 to 32 types of 1
//   to 64 bytes each;
// - the header wins over ?lastEventId= whenever it is not empty;
// - a resume gives records after the id, in increasing order, each matching the filter; or
//   TooOld for an id that is not a sequence number, above every sequence given out, or older
//   than what the history keeps.

#include "fuzz_checks.hpp"

#include "events/history.hpp"
#include "live/stream_params.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

namespace {
using namespace scanhub;
using scanhub::fuzz::check;

// A history of 40 records (keeping the newest 16): jobs 1-4 in scans 1-2, five types.
const events::EventHistory& history() {
  static const events::EventHistory* value = [] {
    auto* h = new events::EventHistory(16, 1 << 20);
    constexpr std::string_view kTypes[] = {"job:created", "job:started", "job:progress",
                                           "job:completed", "scan:progress"};
    for (int i = 0; i < 40; ++i) {
      events::Message m;
      m.type = std::string(kTypes[i % 5]);
      m.job_id = 1 + i % 4;
      m.scan_id = 1 + i % 2;
      m.body["type"] = m.type;
      h->append(events::make_record(m, h->next_sequence()));
    }
    return h;
  }();
  return *value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view header = newline == std::string_view::npos ? std::string_view() : input.substr(0, newline);
  const std::string_view query = newline == std::string_view::npos ? input : input.substr(newline + 1);

  const auto params = live::parse_stream_params(query, header);
  if (!params) {
    check(!params.error().empty(), "a refusal says why");
    return 0;
  }
  if (params->filter) {
    const auto& f = *params->filter;
    check(!f.job_id || *f.job_id > 0, "a job id filter is positive");
    check(!f.scan_id || *f.scan_id > 0, "a scan id filter is positive");
    check(f.types.size() <= 32, "at most 32 types");
    for (const auto& type : f.types) check(!type.empty() && type.size() <= 64, "types are 1-64 bytes");
  }
  if (!header.empty()) {
    check(params->last_event_id && *params->last_event_id == header, "the header wins");
  }
  if (!params->last_event_id) return 0;

  const auto id = events::parse_last_event_id(*params->last_event_id);
  const auto& h = history();
  const auto resumed = h.since(id.value_or(std::numeric_limits<std::uint64_t>::max()),
                               params->filter.value_or(events::EventFilter{}));
  if (!resumed) {
    check(!id || *id > h.last_sequence() || *id < resumed.error().oldest - 1,
          "TooOld only for an id the history cannot serve");
    return 0;
  }
  check(id.has_value(), "only a sequence number resumes");
  std::uint64_t previous = *id;
  for (const auto& record : *resumed) {
    check(record->sequence > previous, "resumed records come after the id, in order");
    check(params->filter.value_or(events::EventFilter{}).matches(*record), "resumed records match");
    previous = record->sequence;
  }
  return 0;
}
