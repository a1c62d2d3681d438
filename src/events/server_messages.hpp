#pragma once
// Metarr's request/response and connection messages, and the library and scan shapes of its
// frontend types, built from scanhub's domain values. Pure functions; any thread; `now` is
// passed in so tests are exact. Each returns a lifecycle Message (events/message.hpp).
//
// Sources: Metarr public/frontend/src/types/websocket.ts (WelcomeMessage, PongMessage,
// ResyncDataMessage, AckMessage, ErrorMessage), public/frontend/src/types/library.ts (Library,
// ScanJob). `requestId` is echoed when the client gave one (a string or an integer), and left
// out otherwise, as Metarr's JSON.stringify leaves out an undefined one.

#include "core/library.hpp"
#include "core/scan.hpp"
#include "events/client_message.hpp"
#include "events/message.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::events {

/// What a client may send (welcome's capabilities).
inline constexpr std::string_view kCapabilities[] = {"ping", "resync", "startLibraryScan",
                                                     "cancelLibraryScan"};


/// welcome {serverId, serverVersion, capabilities}: the first message on every connection.
Message welcome(std::string_view server_id, std::string_view server_version, core::TimePoint now);
/// pong {serverTime, requestId?}.
Message pong(const boost::json::value& request_id, core::TimePoint now);
/// ack {originalType, success, message, requestId?} plus `extra` fields (e.g. scanId).
Message ack(std::string_view original_type, bool success, std::string_view message,
            const boost::json::value& request_id, core::TimePoint now,
            boost::json::object extra = {});
/// error {originalType?, error, code, requestId?}; originalType left out when empty.
Message error(std::string_view original_type, std::string_view error, std::string_view code,
              const boost::json::value& request_id, core::TimePoint now);

/// Metarr's Library: {id, name, type ("movies" | "music"), path, enabled (true), createdAt,
/// updatedAt (the last scan, else createdAt)}.
boost::json::object library_json(const core::Library& library);
/// Metarr's ScanJob: {id, libraryId (the first library), status ("running" | "completed" |
/// "failed" | "cancelled"), progressCurrent, progressTotal (directories scanned of found),
/// currentFile (running only: the current directory, else the current operation; left out
/// when empty), errorsCount, startedAt, completedAt (ended only)} plus scanhub's libraryIds
/// and phase (seed 002's status).
boost::json::object scan_job_json(const core::ScanSnapshot& scan);
/// "running" for the four phases, else the terminal status.
std::string_view metarr_scan_status(core::ScanStatus status) noexcept;


/// resyncData {scope, data: {libraries?, scans?}}: libraries for all and libraries, scans for
/// all and scans.
Message resync_data(ResyncScope scope, std::span<const core::Library> libraries,
                    std::span<const core::ScanSnapshot> scans,
                    const boost::json::value& request_id, core::TimePoint now);

}  // namespace scanhub::events
