#pragma once
// One server message of Metarr's event protocol (the /ws WebSocket and the /api/events
// Server-Sent Events stream), before and after serialization. Pure data; any thread.
//
// Wire shape (Metarr public/frontend/src/types/websocket.ts, BaseServerMessage): one JSON
// object {"type": "<event>", "timestamp": "<ISO 8601 UTC with Z>", "requestId"?: ..., fields}.
// scanhub puts the event name in `type` (job:created, scan:progress, ...) and a job's own type
// in `jobType`; Metarr's server spreads the job over the message, so its lifecycle events reach
// clients with the job's type (e.g. "directory-scan") in `type`.
//
// Delivery says what a send pipeline may do with a message that has not left yet:
//   lifecycle  never dropped, never reordered (welcome, ack, job:created, job:completed, ...);
//   progress   a newer message with the same conflation key replaces the unsent older one
//              (job:progress per job, scan:progress and scanStatus per scan, queue:stats).

#include "core/ids.hpp"
#include "core/job.hpp"
#include "core/time.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace scanhub::events {

enum class Delivery { lifecycle, progress };

/// A message as built: its body holds every field, `type` and `timestamp` included.
struct Message {
  std::string type;
  Delivery delivery = Delivery::lifecycle;
  std::string conflation_key;  ///< empty for lifecycle messages
  std::optional<core::JobId> job_id;    ///< the queue job it is about (history filters)
  std::optional<core::ScanId> scan_id;  ///< the scan it is about (history filters)
  /// Set when the message is about an external job (progress::may_see_job, issue 16): its
  /// creator's user id, empty when it has none. Only that user and admins get the message.
  std::optional<std::string> job_owner;
  boost::json::object body;
};

/// A message of `type` with its body's "type" and "timestamp" (ISO 8601 UTC, milliseconds, Z)
/// set; the caller adds the rest.
Message make_message(std::string_view type, core::TimePoint now,
                     Delivery delivery = Delivery::lifecycle, std::string conflation_key = {});

/// Serializes `message.body` (Boost.JSON: valid UTF-8 in, no raw control characters out, so the
/// text is one line, as an SSE data field needs).
std::string serialize(const Message& message);

/// A message serialized once and shared by every recipient and the history. Immutable.
struct EventRecord {
  std::uint64_t sequence = 0;  ///< per process, from 1, strictly increasing (SSE id)
  std::string type;
  Delivery delivery = Delivery::lifecycle;
  std::string conflation_key;
  std::optional<core::JobId> job_id;
  std::optional<core::ScanId> scan_id;
  std::optional<std::string> job_owner;  ///< as Message::job_owner
  std::string json;  ///< the serialized message
};

using SharedRecord = std::shared_ptr<const EventRecord>;

/// The record of `message` with sequence number `sequence`.
SharedRecord make_record(const Message& message, std::uint64_t sequence);

}  // namespace scanhub::events
