#pragma once
// Seed 001's wire shapes for /hubs/indexer, built from scan snapshots. Pure functions.
//
// Source: seed 001, "ScanReporter" (ScanJobProgress; EmitProgress's anonymous ScanProgress
// object) and "Create IndexerHub". Field names are the seed's in camelCase; requestId is the
// scan id in decimal; times ISO 8601 UTC with Z.
//
// Choices where scanhub differs from the seed's ScanReporter (which knew expectedTracks up
// front):
// - totalTracks / expectedTracks: scanhub does not know how many tracks a library holds until
//   its directories are read, so they carry the tracks found so far (equal to tracksIndexed).
//   The number never decreases and is exact once the scanning phase ends.
// - indexingProgress: the share of directories scanned (directories_scanned of
//   directories_total; 0 while discovering, 100 once every directory is scanned), floored. It
//   is what seed 001's TracksIndexed/ExpectedTracks measures, from the one total known early.
// - embeddingsCompleted: the tracks the embedding phase is done with: vectors stored, tracks
//   skipped (too short or long) and tracks that failed, as seed 001's EmbeddingWorker calls
//   ReportEmbeddingCompleted in all three cases ("Still report completion"). At the end of a
//   first scan it equals totalTracks; tracks that already had a vector are not counted again.
// - embeddingProgress: embeddingsCompleted of enrichment_queued while enriching; 100 when the
//   scan completed (no embedding work is left, also when there was none); else 0.
// Both percentages are integers in [0, 100] and never decrease within a scan (their inputs
// only grow, and directories_total is fixed when scanning starts). A failed or cancelled scan
// keeps the percentages it had reached.
// Addition beyond the seed: "status", seed 002's stage ("scanning", "completed", ...), so a
// client can tell the last message of a scan.

#include "core/scan.hpp"
#include "hubs/progress_payloads.hpp"
#include "progress/events.hpp"

#include <boost/json/object.hpp>

#include <vector>

namespace scanhub::hubs {

/// Seed 001's IndexingProgress for `scan`, 0-100.
int indexing_percent(const core::ScanSnapshot& scan) noexcept;
/// Seed 001's EmbeddingProgress for `scan`, 0-100.
int embedding_percent(const core::ScanSnapshot& scan) noexcept;

/// Seed 001's ScanJobProgress (GetActiveScans): requestId, libraryId, libraryPath,
/// expectedTracks, tracksIndexed, embeddingsCompleted, startedAt. A scan of several libraries
/// names the one being scanned now (else its first).
boost::json::object scan_job_progress(const core::ScanSnapshot& scan);

/// The ScanProgress payload: requestId, tracksIndexed, embeddingsCompleted, totalTracks,
/// indexingProgress, embeddingProgress (+ status).
boost::json::object indexer_scan_progress(const core::ScanSnapshot& scan);

/// The message IndexerHub sends to all its connections for `event`: one ScanProgress. Progress
/// events carry the conflation key "indexer-progress:{id}" (a newer one replaces an unsent
/// older one); start, phase changes and the end are never replaced.
HubMessage indexer_hub_message(const progress::Event& event);

}  // namespace scanhub::hubs
