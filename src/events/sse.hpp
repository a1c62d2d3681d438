#pragma once
// The text/event-stream form of an event record (HTML Living Standard, "Server-sent events",
// section 9.2.6 "Interpreting an event stream"): `id:` = the record's sequence, `event:` = its
// type, `data:` = its JSON (one line: Boost.JSON escapes every control character), then a
// blank line. Pure; any thread.

#include "events/history.hpp"
#include "events/message.hpp"

#include <string>

namespace scanhub::events {

/// "id: 42\nevent: job:progress\ndata: {...}\n\n"; without the id line when sequence is 0
/// (a record outside the history, such as the resync hint, leaves the client's last id as is).
std::string sse_event(const EventRecord& record);

/// The `resync` hint sent instead of a resume that the history cannot serve:
/// {type: "resync", timestamp, reason, oldestEventId (null when the history is empty)}.
/// The client should reload its state (REST or a /ws resync), then go on from this stream.
Message resync_hint(const TooOld& too_old, core::TimePoint now);

}  // namespace scanhub::events
