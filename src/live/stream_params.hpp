#pragma once
// What a `GET /api/events` request asks for, read from its query and its Last-Event-ID header
// (HTML Living Standard, "Server-sent events" 9.2.4: an EventSource reconnecting sends the id
// of the last event it got in that header):
//   ?jobId=123 | job-123    only the events of that queue job
//   ?scanId=7               only the events of that scan
//   ?types=a,b              only events of these types (at most 32)
//   ?lastEventId=N          resume after N, for clients that cannot set headers; the header
//                           wins when both are there (a browser reconnecting sends the header
//                           with its newest id and the URL with the old one)
// Pure; any thread; untrusted input (tests/fuzz feeds it). Throws only std::bad_alloc.

#include "events/history.hpp"

#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace scanhub::live {

struct StreamParams {
  std::optional<events::EventFilter> filter;  ///< none: every event
  /// Where to resume: nullopt for "from now on"; a value that is not a sequence of this
  /// process (events::parse_last_event_id gives nullopt) is answered with a resync hint.
  std::optional<std::string> last_event_id;
};

/// `query`: the target after '?', not decoded. `last_event_id_header`: the header's value
/// (empty when absent). An error message for the client (400) on a malformed filter.
std::expected<StreamParams, std::string> parse_stream_params(std::string_view query,
                                                             std::string_view last_event_id_header);

}  // namespace scanhub::live
