#include "events/scan_messages.hpp"

#include "core/time.hpp"
#include "events/server_messages.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <filesystem>

namespace scanhub::events {

namespace {

bool past(const core::ScanSnapshot& scan, core::ScanStatus phase) {
  // A running scan past `phase`; a completed one is past every phase.
  if (scan.status == core::ScanStatus::completed) return true;
  if (core::is_terminal(scan.status)) return false;
  return static_cast<int>(scan.status) > static_cast<int>(phase);
}

std::string name_of(const core::ScanLibrary& library, const LibraryLookup& lookup) {
  if (lookup) {
    if (auto found = lookup(library.id); found && !found->name.empty()) return found->name;
  }
  return std::filesystem::path(library.path).filename().string();
}

}  // namespace

int phase_percentage(std::int64_t done, std::int64_t total, bool ended) noexcept {
  if (total <= 0) return ended ? 100 : 0;
  if (done >= total) return 100;
  if (done <= 0) return 0;
  return static_cast<int>(std::min<std::int64_t>(99, done * 100 / total));
}

Message scan_progress(const core::ScanSnapshot& scan, std::string_view library_name,
                      core::TimePoint now, Delivery delivery) {
  Message m = make_message("scan:progress", now, delivery,
                           delivery == Delivery::progress ? "scan:" + std::to_string(scan.id) : "");
  m.scan_id = scan.id;
  const auto& c = scan.counters;
  auto& b = m.body;
  b["scanJobId"] = scan.id;
  b["libraryId"] = scan.libraries.empty() ? boost::json::value(nullptr)
                                          : boost::json::value(scan.libraries.front().id);
  b["libraryName"] = library_name;
  boost::json::array ids;
  for (const auto& library : scan.libraries) ids.emplace_back(library.id);
  b["libraryIds"] = std::move(ids);
  b["phase"] = core::to_string(scan.status);

  const bool scanning_ended = past(scan, core::ScanStatus::scanning);
  const bool caching_ended = past(scan, core::ScanStatus::caching);
  const bool enriching_ended = scan.status == core::ScanStatus::completed;
  const std::int64_t cached_done = c.assets_cached + c.assets_failed;
  const std::int64_t enriched_done = c.enrichment_completed + c.enrichment_skipped + c.enrichment_failed;
  boost::json::object progress;
  progress["discovering"] = {{"directoriesFound", c.directories_total},
                             {"inProgress", scan.status == core::ScanStatus::discovering}};
  progress["scanning"] = {
      {"scanned", c.directories_scanned},
      {"total", c.directories_total},
      {"percentage", phase_percentage(c.directories_scanned, c.directories_total, scanning_ended)}};
  progress["caching"] = {{"cached", c.assets_cached},
                         {"queued", c.assets_queued},
                         {"percentage", phase_percentage(cached_done, c.assets_queued, caching_ended)},
                         {"failed", c.assets_failed}};
  progress["enriching"] = {
      {"completed", c.enrichment_completed},
      {"queued", c.enrichment_queued},
      {"percentage", phase_percentage(enriched_done, c.enrichment_queued, enriching_ended)},
      {"skipped", c.enrichment_skipped},
      {"failed", c.enrichment_failed}};
  b["progress"] = std::move(progress);
  b["stats"] = {{"moviesFound", c.movies_found},   {"moviesNew", c.movies_new},
                {"moviesUpdated", c.movies_updated}, {"assetsCached", c.assets_cached},
                {"errorsCount", c.errors_count},   {"tracksFound", c.tracks_found},
                {"tracksNew", c.tracks_new},       {"tracksUpdated", c.tracks_updated},
                {"tracksRemoved", c.tracks_removed}};
  b["currentOperation"] = scan.current_operation;
  if (scan.estimated_time_remaining && !core::is_terminal(scan.status)) {
    b["estimatedTimeRemaining"] = core::format_iso8601_duration(*scan.estimated_time_remaining);
  }
  b["startedAt"] = core::format_iso8601(scan.times.started_at);
  b["lastUpdatedAt"] = core::format_iso8601(now);
  return m;
}

Message scan_status(const core::ScanSnapshot& scan, core::TimePoint now, Delivery delivery) {
  Message m = make_message("scanStatus", now, delivery,
                           delivery == Delivery::progress ? "scanStatus:" + std::to_string(scan.id) : "");
  m.scan_id = scan.id;
  const auto& c = scan.counters;
  auto& b = m.body;
  b["scanId"] = scan.id;
  b["libraryId"] = scan.libraries.empty() ? boost::json::value(nullptr)
                                          : boost::json::value(scan.libraries.front().id);
  b["status"] = metarr_scan_status(scan.status);
  b["progressCurrent"] = c.directories_scanned;
  b["progressTotal"] = c.directories_total;
  if (!core::is_terminal(scan.status)) {
    const std::string& current =
        scan.current_directory.empty() ? scan.current_operation : scan.current_directory;
    if (!current.empty()) b["currentFile"] = current;
  }
  b["errorsCount"] = c.errors_count;
  b["stats"] = {{"added", c.tracks_new + c.movies_new},
                {"updated", c.tracks_updated + c.movies_updated},
                {"deleted", c.tracks_removed},
                {"failed", c.errors_count}};
  return m;
}

std::string_view to_string(ChangeAction action) noexcept {
  switch (action) {
    case ChangeAction::added: return "added";
    case ChangeAction::updated: return "updated";
    case ChangeAction::deleted: return "deleted";
  }
  return "updated";
}

Message library_changed(ChangeAction action, core::LibraryId id,
                        const std::optional<core::Library>& library, core::TimePoint now) {
  Message m = make_message("libraryChanged", now);
  m.body["action"] = to_string(action);
  m.body["libraryId"] = id;
  if (library) m.body["library"] = library_json(*library);
  return m;
}

Message movies_changed(ChangeAction action, std::span<const std::int64_t> movie_ids,
                       core::TimePoint now) {
  Message m = make_message("moviesChanged", now);
  m.body["action"] = to_string(action);
  boost::json::array ids;
  for (std::int64_t id : movie_ids) ids.emplace_back(id);
  m.body["movieIds"] = std::move(ids);
  return m;
}

std::vector<Message> scan_messages(const progress::Event& event, const LibraryLookup& lookup,
                                   core::TimePoint now) {
  const core::ScanSnapshot& scan = progress::scan_of(event);
  const Delivery delivery = std::holds_alternative<progress::ScanProgressed>(event)
                                ? Delivery::progress
                                : Delivery::lifecycle;
  const std::string name = scan.libraries.empty() ? std::string() : name_of(scan.libraries.front(), lookup);
  std::vector<Message> out;
  out.push_back(scan_progress(scan, name, now, delivery));
  out.push_back(scan_status(scan, now, delivery));
  if (std::holds_alternative<progress::ScanFinished>(event) &&
      scan.status == core::ScanStatus::completed) {
    for (const auto& library : scan.libraries) {
      auto stored = lookup ? lookup(library.id) : std::nullopt;
      if (stored) out.push_back(library_changed(ChangeAction::updated, library.id, stored, now));
    }
  }
  return out;
}

}  // namespace scanhub::events
