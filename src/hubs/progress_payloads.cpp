#include "hubs/progress_payloads.hpp"

#include <chrono>

namespace scanhub::hubs {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

std::string id_string(core::ScanId id) { return std::to_string(id); }

std::string duration_between(core::TimePoint from, std::optional<core::TimePoint> to) {
  if (!to) return "PT0S";
  return core::format_iso8601_duration(duration_cast<milliseconds>(*to - from));
}

// The scan emitted enrichment jobs (a scan whose items were all skipped by stored data has
// enrichment_skipped but no enrichment_queued: it had no embedding phase, scan/enricher.hpp).
bool enriched(const core::ScanSnapshot& scan) { return scan.counters.enrichment_queued > 0; }

// Seed 000's phase "Embeddings": enriching now, or ended after (or during) that phase.
bool in_embedding_phase(const core::ScanSnapshot& scan) {
  return scan.status == core::ScanStatus::enriching ||
         (core::is_terminal(scan.status) && enriched(scan));
}

// Where seed 000's IndexingCompleted falls: when the enriching phase began (caching ended).
std::optional<core::TimePoint> indexing_ended_at(const core::ScanSnapshot& scan) {
  const auto& t = scan.times;
  if (t.caching_completed_at) return t.caching_completed_at;
  if (t.scanning_completed_at) return t.scanning_completed_at;
  return t.completed_at;
}

HubMessage indexing_completed(const core::ScanSnapshot& scan) {
  return {"IndexingCompleted", {id_string(scan.id), scan.counters.tracks_found}, {}};
}

// The messages that end a scan: IndexingCompleted (unless sent when enrichment began),
// EmbeddingCompleted (after enrichment), then ScanCompleted or ScanFailed.
void append_end(const core::ScanSnapshot& scan, std::vector<HubMessage>& out) {
  if (scan.status == core::ScanStatus::completed) {
    if (enriched(scan)) {
      out.push_back({"EmbeddingCompleted", {id_string(scan.id)}, {}});
    } else {
      out.push_back(indexing_completed(scan));
    }
    out.push_back({"ScanCompleted", {id_string(scan.id), scan_summary_dto(scan)}, {}});
    return;
  }
  const std::string reason = scan.status == core::ScanStatus::cancelled
                                 ? "Scan cancelled"
                                 : scan.failure.value_or("Scan failed");
  out.push_back({"ScanFailed", {id_string(scan.id), reason}, {}});
}

std::string_view progress_target(const core::ScanSnapshot& scan) {
  return in_embedding_phase(scan) ? "EmbeddingProgress" : "ScanProgress";
}

}  // namespace

std::string scan_group(std::string_view scan_id) { return "scan_" + std::string(scan_id); }

boost::json::object scan_progress_dto(const core::ScanSnapshot& scan, std::string_view status) {
  const auto& c = scan.counters;
  const bool embeddings = in_embedding_phase(scan);
  boost::json::object o;
  o["scanId"] = id_string(scan.id);
  o["phase"] = embeddings ? "Embeddings" : "Indexing";
  o["status"] = status;
  o["timestamp"] = core::format_iso8601(core::Clock::now());
  const core::ScanLibrary* library = nullptr;
  for (const auto& l : scan.libraries) {
    if (scan.current_library_id ? l.id == *scan.current_library_id : true) {
      library = &l;
      break;
    }
  }
  o["libraryId"] = library ? boost::json::value(library->id) : boost::json::value(nullptr);
  o["libraryPath"] = library ? boost::json::value(library->path) : boost::json::value(nullptr);
  o["totalDirectories"] = c.directories_total;
  o["scannedDirectories"] = c.directories_scanned;
  o["indexedTracks"] = c.tracks_found;
  o["currentDirectory"] = scan.current_directory.empty()
                              ? boost::json::value(nullptr)
                              : boost::json::value(scan.current_directory);
  if (embeddings) {
    o["totalTracksForEmbedding"] = c.enrichment_queued;
    o["embeddingsCompleted"] = c.enrichment_completed;
    o["embeddingsInProgress"] =
        scan.status == core::ScanStatus::enriching ? scan.enrichment_in_progress : 0;
    o["embeddingsFailed"] = c.enrichment_failed + c.enrichment_skipped;
  } else {
    o["totalTracksForEmbedding"] = nullptr;
    o["embeddingsCompleted"] = nullptr;
    o["embeddingsInProgress"] = nullptr;
    o["embeddingsFailed"] = nullptr;
  }
  o["estimatedTimeRemaining"] =
      scan.estimated_time_remaining
          ? boost::json::value(core::format_iso8601_duration(*scan.estimated_time_remaining))
          : boost::json::value(nullptr);
  // Additions beyond seed 000.
  o["stage"] = core::to_string(scan.status);
  o["tracksNew"] = c.tracks_new;
  o["tracksUpdated"] = c.tracks_updated;
  o["tracksRemoved"] = c.tracks_removed;
  o["errorsCount"] = c.errors_count;
  o["lastError"] = scan.last_error ? boost::json::value(*scan.last_error) : boost::json::value(nullptr);
  o["currentOperation"] = scan.current_operation;
  o["ratePerSecond"] = scan.rate_per_second;
  o["startedAt"] = core::format_iso8601(scan.times.started_at);
  o["embeddingsSkipped"] = embeddings ? boost::json::value(c.enrichment_skipped) : boost::json::value(nullptr);
  return o;
}

boost::json::object scan_summary_dto(const core::ScanSnapshot& scan) {
  const auto& c = scan.counters;
  const auto& t = scan.times;
  const auto indexing_end = indexing_ended_at(scan);
  const auto scanning_end = t.scanning_completed_at ? t.scanning_completed_at : t.completed_at;
  boost::json::object o;
  o["totalTracksIndexed"] = c.tracks_found;
  o["totalDirectoriesScanned"] = c.directories_scanned;
  o["totalEmbeddingsGenerated"] = c.enrichment_completed;
  o["embeddingsFailed"] = c.enrichment_failed + c.enrichment_skipped;
  o["indexingDuration"] = duration_between(t.started_at, indexing_end);
  o["embeddingDuration"] =
      enriched(scan) && indexing_end ? duration_between(*indexing_end, t.completed_at) : "PT0S";
  // Additions beyond seed 000.
  o["status"] = core::to_string(scan.status);
  o["tracksNew"] = c.tracks_new;
  o["tracksUpdated"] = c.tracks_updated;
  o["tracksRemoved"] = c.tracks_removed;
  o["errorsCount"] = c.errors_count;
  o["lastError"] = scan.last_error ? boost::json::value(*scan.last_error) : boost::json::value(nullptr);
  o["embeddingsSkipped"] = c.enrichment_skipped;
  o["discoveryDuration"] = duration_between(t.started_at, t.discovery_completed_at);
  o["scanningDuration"] = t.discovery_completed_at
                              ? duration_between(*t.discovery_completed_at, scanning_end)
                              : "PT0S";
  o["totalDuration"] = duration_between(t.started_at, t.completed_at);
  o["startedAt"] = core::format_iso8601(t.started_at);
  o["completedAt"] = t.completed_at ? boost::json::value(core::format_iso8601(*t.completed_at))
                                    : boost::json::value(nullptr);
  return o;
}

std::vector<HubMessage> progress_hub_messages(const progress::Event& event) {
  std::vector<HubMessage> out;
  const core::ScanSnapshot& scan = progress::scan_of(event);
  if (std::holds_alternative<progress::ScanStarted>(event)) {
    out.push_back({"ScanProgress", {scan_progress_dto(scan, "Started")}, {}});
  } else if (std::holds_alternative<progress::ScanProgressed>(event)) {
    out.push_back({std::string(progress_target(scan)),
                   {scan_progress_dto(scan, "InProgress")},
                   "progress:" + id_string(scan.id)});
  } else if (const auto* changed = std::get_if<progress::ScanPhaseChanged>(&event)) {
    if (scan.status == core::ScanStatus::enriching && changed->from != core::ScanStatus::enriching) {
      out.push_back(indexing_completed(scan));
    }
    out.push_back({std::string(progress_target(scan)), {scan_progress_dto(scan, "InProgress")}, {}});
  } else {
    const bool ok = scan.status == core::ScanStatus::completed;
    out.push_back({std::string(progress_target(scan)),
                   {scan_progress_dto(scan, ok ? "Completed" : "Failed")},
                   {}});
    append_end(scan, out);
  }
  return out;
}

std::vector<HubMessage> progress_hub_snapshot(const core::ScanSnapshot& scan) {
  std::vector<HubMessage> out;
  if (!core::is_terminal(scan.status)) {
    out.push_back({std::string(progress_target(scan)), {scan_progress_dto(scan, "InProgress")}, {}});
    return out;
  }
  return progress_hub_messages(progress::ScanFinished{scan});
}

}  // namespace scanhub::hubs
