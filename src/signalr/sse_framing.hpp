#pragma once
// Server-Sent Events framing for the SSE transport: one outgoing transport message (one or
// more complete hub records) becomes one unnamed event of `data:` lines and a blank line.
//
// Source: TransportProtocols.md "Server-Sent Events"; WHATWG HTML "Server-sent events"
// (event stream interpretation): a line ends at "\r\n", "\n" or "\r"; the values of an
// event's `data` lines are joined with "\n"; one space after the colon is dropped. A payload
// that contains line breaks is therefore split into several `data:` lines and arrives with
// "\n" line breaks (TransportProtocols.md allows line endings to be converted). Pure
// functions, any thread; throw only std::bad_alloc.

#include "push/outbox.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace scanhub::signalr {

/// Appends `payload` as one event: "data: line\n" per line, then "\n". An empty payload is
/// one empty data line (an event whose data is "").
void append_sse_event(std::string& out, std::string_view payload);

/// `records` concatenated (one transport message) as one event.
std::string format_sse_event(const std::vector<push::SharedRecord>& records);

}  // namespace scanhub::signalr
