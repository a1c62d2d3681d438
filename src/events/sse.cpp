#include "events/sse.hpp"

namespace scanhub::events {

std::string sse_event(const EventRecord& record) {
  std::string out;
  out.reserve(record.json.size() + record.type.size() + 40);
  if (record.sequence != 0) {
    out += "id: ";
    out += std::to_string(record.sequence);
    out += '\n';
  }
  out += "event: ";
  out += record.type;
  out += "\ndata: ";
  out += record.json;
  out += "\n\n";
  return out;
}

Message resync_hint(const TooOld& too_old, core::TimePoint now) {
  Message m = make_message("resync", now);
  m.body["reason"] =
      "the events after the given Last-Event-ID are no longer kept: reload the current state";
  m.body["oldestEventId"] =
      too_old.oldest ? boost::json::value(too_old.oldest) : boost::json::value(nullptr);
  return m;
}

}  // namespace scanhub::events
