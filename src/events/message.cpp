#include "events/message.hpp"

#include "text/json_text.hpp"

namespace scanhub::events {

Message make_message(std::string_view type, core::TimePoint now, Delivery delivery,
                     std::string conflation_key) {
  Message m;
  m.type = std::string(type);
  m.delivery = delivery;
  m.conflation_key = std::move(conflation_key);
  m.body["type"] = m.type;
  m.body["timestamp"] = core::format_iso8601(now);
  return m;
}

// Through the one serializer, so a path that is not UTF-8 leaves as U+FFFD, never raw.
std::string serialize(const Message& message) { return text::serialize_json(message.body); }

SharedRecord make_record(const Message& message, std::uint64_t sequence) {
  auto record = std::make_shared<EventRecord>();
  record->sequence = sequence;
  record->type = message.type;
  record->delivery = message.delivery;
  record->conflation_key = message.conflation_key;
  record->job_id = message.job_id;
  record->scan_id = message.scan_id;
  record->job_owner = message.job_owner;
  record->json = serialize(message);
  return record;
}

}  // namespace scanhub::events
