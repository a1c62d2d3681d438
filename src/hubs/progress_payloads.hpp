#pragma once
// Seed 000's wire shapes for /hubs/progress, built from canonical progress events. Pure
// functions: the hub adapter sends these, and `scanhub scan --json` prints the same.
//
// Source: seed 000 (ScanProgressDto, ScanSummaryDto, events ScanProgress, IndexingCompleted,
// EmbeddingProgress, EmbeddingCompleted, ScanCompleted, ScanFailed). Field names are the seed's
// in camelCase; enums are the seed's strings ("Indexing", "InProgress"); times ISO 8601 UTC;
// durations ISO 8601 ("PT1M2.5S"). Fields beyond the seed (stage, tracksNew, errorsCount, ...)
// are additions that seed clients ignore.
//
// The embedding phase (seed 000's second phase; scanhub's enriching phase, issue 5). Order of a
// music scan's messages: ScanProgress (Started, InProgress...), IndexingCompleted(scanId,
// tracks) when the enriching phase begins, EmbeddingProgress (InProgress..., then Completed),
// EmbeddingCompleted(scanId), ScanCompleted(scanId, summary). A scan that emitted no enrichment
// job (nothing to embed, or every track skipped from its stored duration) has no embedding
// phase: ScanProgress (Completed), IndexingCompleted, ScanCompleted. EmbeddingProgress fields:
// - totalTracksForEmbedding: enrichment_queued, the tracks the phase accounts for (jobs plus
//   tracks skipped from their stored duration; tracks that already have a vector of the model
//   and version are not part of it, seed 000's "already exists");
// - embeddingsCompleted: vectors stored (enrichment_completed);
// - embeddingsInProgress: enrichment jobs of the scan running in this process when the
//   snapshot was published (seed 000's IncrementEmbeddingInProgress around each track); 0 in the
//   last message;
// - embeddingsFailed: failed plus skipped, as seed 000 counts them (FailEmbedding for "too
//   short"/"too long" and for errors; its UI labels them "skipped - too short/long"), so
//   completed + failed reaches the total when the phase ends; the addition embeddingsSkipped
//   holds the skipped alone (null outside the phase, as the seed's embedding fields);
// - estimatedTimeRemaining: ISO 8601 duration, seed 000's formula (elapsed in the phase /
//   completed x tracks left; core::update_rate_and_eta), null until one track completed.
// ScanSummaryDto: totalEmbeddingsGenerated (completed), embeddingsFailed (failed + skipped, as
// above; addition embeddingsSkipped), indexingDuration (start to IndexingCompleted, i.e. to the
// end of caching), embeddingDuration (from there to completion; PT0S without the phase).

#include "core/scan.hpp"
#include "progress/events.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace scanhub::hubs {

/// One client-method invocation to send.
struct HubMessage {
  std::string target;              ///< client method, e.g. "ScanProgress"
  boost::json::array arguments;
  /// Non-empty for progress that a newer message of the same key may replace unsent.
  std::string conflation_key;
};

/// The group seed 000 puts a scan's subscribers in: "scan_{id}".
std::string scan_group(std::string_view scan_id);

/// ScanProgressDto for `scan` with seed 000's `status` ("Started", "InProgress", "Completed",
/// "Failed"); phase "Indexing" for discovering/scanning/caching, "Embeddings" for enriching and
/// for a scan that ended after emitting enrichment jobs.
boost::json::object scan_progress_dto(const core::ScanSnapshot& scan, std::string_view status);

/// ScanSummaryDto of a finished scan.
boost::json::object scan_summary_dto(const core::ScanSnapshot& scan);

/// The messages seed 000's ProgressHub sends for `event`, in order.
std::vector<HubMessage> progress_hub_messages(const progress::Event& event);

/// What a client subscribing to `scan` receives first: the current snapshot as ScanProgress;
/// for a finished scan, the messages of its end (IndexingCompleted, ScanCompleted/ScanFailed).
std::vector<HubMessage> progress_hub_snapshot(const core::ScanSnapshot& scan);

}  // namespace scanhub::hubs
