#pragma once
// Scan events as Metarr's /ws messages: seed 002's ScanProgressMessage (`scan:progress`) and
// Metarr's `scanStatus`, `libraryChanged` and `moviesChanged`, built from scan snapshots
// (core/scan.hpp) and libraries. Pure functions; any thread; `now` passed in.
//
// scan:progress (seed 002, "WebSocket Progress Reporting", ScanProgressMessage):
//   {type, timestamp, scanJobId, libraryId, libraryName, libraryIds, phase,
//    progress: {discovering: {directoriesFound, inProgress},
//               scanning:    {scanned, total, percentage},
//               caching:     {cached, queued, percentage, failed},
//               enriching:   {completed, queued, percentage, skipped, failed}},
//    stats: {moviesFound, moviesNew, moviesUpdated, assetsCached, errorsCount, tracksFound,
//            tracksNew, tracksUpdated, tracksRemoved},
//    currentOperation, estimatedTimeRemaining?, startedAt, lastUpdatedAt}
//   - phase is seed 002's status: the four phases and "completed", and also "failed" and
//     "cancelled" (the seed's union has no word for a scan that did not complete).
//   - libraryId and libraryName are the scan's first library (a scanhub scan may hold several:
//     libraryIds lists them all).
//   - every phase object is present. A phase's units done are cached + failed for caching and
//     completed + skipped + failed for enriching (seed 002: the phase ends when they reach
//     queued). percentage is whole, floored, 100 only once done reaches the total (or, with
//     nothing to do, once the phase ended), never above 100.
//   - estimatedTimeRemaining: ISO 8601 duration ("PT1M5S") of the current phase; left out when
//     unknown. lastUpdatedAt = `now`.
// scanStatus (Metarr websocket.ts ScanStatusMessage): {scanId, libraryId, status ("running" |
//   "completed" | "failed" | "cancelled"), progressCurrent, progressTotal (directories),
//   currentFile?, errorsCount, stats: {added, updated, deleted, failed}} (tracks and movies
//   added and updated, tracks removed, errors).
// libraryChanged {action ("added" | "updated" | "deleted"), libraryId, library?}.
// moviesChanged {action, movieIds}.
//
// Delivery: scan:progress and scanStatus of a ScanProgressed are progress messages (keys
// "scan:{id}" and "scanStatus:{id}"); those of ScanStarted, ScanPhaseChanged and ScanFinished
// are lifecycle (a phase change and the final counts are never dropped).

#include "core/library.hpp"
#include "core/scan.hpp"
#include "events/message.hpp"
#include "progress/events.hpp"

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::events {

/// Whole percent of done/total as above.
int phase_percentage(std::int64_t done, std::int64_t total, bool ended) noexcept;

Message scan_progress(const core::ScanSnapshot& scan, std::string_view library_name,
                      core::TimePoint now, Delivery delivery = Delivery::lifecycle);
Message scan_status(const core::ScanSnapshot& scan, core::TimePoint now,
                    Delivery delivery = Delivery::lifecycle);

enum class ChangeAction { added, updated, deleted };
std::string_view to_string(ChangeAction action) noexcept;

/// `library` (Metarr's Library shape, server_messages.hpp) is left out when nullopt.
Message library_changed(ChangeAction action, core::LibraryId id,
                        const std::optional<core::Library>& library, core::TimePoint now);
Message movies_changed(ChangeAction action, std::span<const std::int64_t> movie_ids,
                       core::TimePoint now);

/// The library a scan names, by id: its name for libraryName, and for libraryChanged the
/// library as stored now. nullopt when it is gone.
using LibraryLookup = std::function<std::optional<core::Library>(core::LibraryId)>;

/// The messages for `event`, in order:
///   ScanStarted, ScanPhaseChanged  scan:progress, scanStatus (lifecycle)
///   ScanProgressed                 scan:progress, scanStatus (progress)
///   ScanFinished                   scan:progress, scanStatus (lifecycle); then, when it
///                                  completed, libraryChanged "updated" per library found
/// `lookup` gives library names (a library it does not find is named after its directory).
std::vector<Message> scan_messages(const progress::Event& event, const LibraryLookup& lookup,
                                   core::TimePoint now);

}  // namespace scanhub::events
