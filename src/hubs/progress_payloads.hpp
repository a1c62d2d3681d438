#pragma once
// Seed 000's wire shapes for /hubs/progress, built from canonical progress events. Pure
// functions: the hub adapter sends these, and `scanhub scan --json` prints the same.
//
// Source: seed 000 (ScanProgressDto, ScanSummaryDto, events ScanProgress, IndexingCompleted,
// EmbeddingProgress, EmbeddingCompleted, ScanCompleted, ScanFailed). Field names are the seed's
// in camelCase; enums are the seed's strings ("Indexing", "InProgress"); times ISO 8601 UTC;
// durations ISO 8601 ("PT1M2.5S"). Fields beyond the seed (stage, tracksNew, errorsCount, ...)
// are additions that seed clients ignore.

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
/// "Failed"); phase "Indexing" for discovering/scanning/caching, "Embeddings" for enriching.
boost::json::object scan_progress_dto(const core::ScanSnapshot& scan, std::string_view status);

/// ScanSummaryDto of a finished scan.
boost::json::object scan_summary_dto(const core::ScanSnapshot& scan);

/// The messages seed 000's ProgressHub sends for `event`, in order.
std::vector<HubMessage> progress_hub_messages(const progress::Event& event);

/// What a client subscribing to `scan` receives first: the current snapshot as ScanProgress;
/// for a finished scan, the messages of its end (IndexingCompleted, ScanCompleted/ScanFailed).
std::vector<HubMessage> progress_hub_snapshot(const core::ScanSnapshot& scan);

}  // namespace scanhub::hubs
