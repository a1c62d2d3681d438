#include "hubs/indexer_payloads.hpp"

#include <algorithm>

namespace scanhub::hubs {

namespace {

int percent(std::int64_t done, std::int64_t total) noexcept {
  if (total <= 0 || done <= 0) return 0;
  return static_cast<int>(std::min<std::int64_t>(100, done * 100 / total));
}

bool indexing_done(core::ScanStatus status) noexcept {
  return status == core::ScanStatus::caching || status == core::ScanStatus::enriching ||
         status == core::ScanStatus::completed;
}

const core::ScanLibrary* shown_library(const core::ScanSnapshot& scan) noexcept {
  for (const auto& library : scan.libraries) {
    if (!scan.current_library_id || library.id == *scan.current_library_id) return &library;
  }
  return scan.libraries.empty() ? nullptr : &scan.libraries.front();
}

// Seed 001's EmbeddingsCompleted: every track the phase is done with (see the header).
std::int64_t embeddings_done(const core::ScanSnapshot& scan) noexcept {
  const auto& c = scan.counters;
  return c.enrichment_completed + c.enrichment_skipped + c.enrichment_failed;
}

}  // namespace

int indexing_percent(const core::ScanSnapshot& scan) noexcept {
  if (indexing_done(scan.status)) return 100;
  // While discovering, directories_total still grows: nothing is indexed yet.
  if (scan.status == core::ScanStatus::discovering) return 0;
  return percent(scan.counters.directories_scanned, scan.counters.directories_total);
}

int embedding_percent(const core::ScanSnapshot& scan) noexcept {
  if (scan.status == core::ScanStatus::completed) return 100;
  return percent(embeddings_done(scan), scan.counters.enrichment_queued);
}

boost::json::object scan_job_progress(const core::ScanSnapshot& scan) {
  const core::ScanLibrary* library = shown_library(scan);
  boost::json::object o;
  o["requestId"] = std::to_string(scan.id);
  o["libraryId"] = library ? boost::json::value(library->id) : boost::json::value(nullptr);
  o["libraryPath"] = library ? boost::json::value(library->path) : boost::json::value(nullptr);
  o["expectedTracks"] = scan.counters.tracks_found;
  o["tracksIndexed"] = scan.counters.tracks_found;
  o["embeddingsCompleted"] = embeddings_done(scan);
  o["startedAt"] = core::format_iso8601(scan.times.started_at);
  return o;
}

boost::json::object indexer_scan_progress(const core::ScanSnapshot& scan) {
  boost::json::object o;
  o["requestId"] = std::to_string(scan.id);
  o["tracksIndexed"] = scan.counters.tracks_found;
  o["embeddingsCompleted"] = embeddings_done(scan);
  o["totalTracks"] = scan.counters.tracks_found;
  o["indexingProgress"] = indexing_percent(scan);
  o["embeddingProgress"] = embedding_percent(scan);
  o["status"] = core::to_string(scan.status);
  return o;
}

HubMessage indexer_hub_message(const progress::Event& event) {
  const core::ScanSnapshot& scan = progress::scan_of(event);
  std::string key;
  if (std::holds_alternative<progress::ScanProgressed>(event)) {
    key = "indexer-progress:" + std::to_string(scan.id);
  }
  return {"ScanProgress", {indexer_scan_progress(scan)}, std::move(key)};
}

}  // namespace scanhub::hubs
