#include "api/scan_json.hpp"

#include <boost/json.hpp>

namespace scanhub::api {

namespace {

boost::json::value time_or_null(const std::optional<core::TimePoint>& time) {
  return time ? boost::json::value(core::format_iso8601(*time)) : boost::json::value(nullptr);
}

boost::json::value text_or_null(const std::optional<std::string>& text) {
  return text ? boost::json::value(*text) : boost::json::value(nullptr);
}

}  // namespace

boost::json::object scan_json(const core::ScanSnapshot& scan) {
  const auto& c = scan.counters;
  boost::json::object o;
  o["id"] = scan.id;
  o["scanId"] = std::to_string(scan.id);
  boost::json::array libraries;
  for (const auto& library : scan.libraries) {
    libraries.push_back(boost::json::object{{"id", library.id}, {"path", library.path}});
  }
  o["libraryId"] = scan.libraries.size() == 1 ? boost::json::value(scan.libraries.front().id)
                                              : boost::json::value(nullptr);
  o["libraries"] = std::move(libraries);
  o["trigger"] = core::to_string(scan.trigger);
  o["status"] = core::to_string(scan.status);
  o["directoriesTotal"] = c.directories_total;
  o["directoriesQueued"] = c.directories_queued;
  o["directoriesScanned"] = c.directories_scanned;
  o["tracksFound"] = c.tracks_found;
  o["tracksNew"] = c.tracks_new;
  o["tracksUpdated"] = c.tracks_updated;
  o["tracksRemoved"] = c.tracks_removed;
  o["moviesFound"] = c.movies_found;
  o["moviesNew"] = c.movies_new;
  o["moviesUpdated"] = c.movies_updated;
  o["assetsQueued"] = c.assets_queued;
  o["assetsCached"] = c.assets_cached;
  o["assetsFailed"] = c.assets_failed;
  o["enrichmentQueued"] = c.enrichment_queued;
  o["enrichmentCompleted"] = c.enrichment_completed;
  o["enrichmentSkipped"] = c.enrichment_skipped;
  o["enrichmentFailed"] = c.enrichment_failed;
  o["symlinksSkipped"] = c.symlinks_skipped;
  o["errorsCount"] = c.errors_count;
  o["lastError"] = text_or_null(scan.last_error);
  o["failure"] = text_or_null(scan.failure);
  o["currentOperation"] = scan.current_operation;
  o["options"] = boost::json::parse(scan.options.to_json());
  o["startedAt"] = core::format_iso8601(scan.times.started_at);
  o["discoveryCompletedAt"] = time_or_null(scan.times.discovery_completed_at);
  o["scanningCompletedAt"] = time_or_null(scan.times.scanning_completed_at);
  o["cachingCompletedAt"] = time_or_null(scan.times.caching_completed_at);
  o["completedAt"] = time_or_null(scan.times.completed_at);
  o["estimatedTimeRemaining"] =
      scan.estimated_time_remaining
          ? boost::json::value(core::format_iso8601_duration(*scan.estimated_time_remaining))
          : boost::json::value(nullptr);
  return o;
}

boost::json::object library_json(const core::Library& library, std::int64_t track_count) {
  boost::json::object o;
  o["id"] = library.id;
  o["name"] = library.name;
  o["path"] = library.path;
  o["type"] = core::to_string(library.type);
  o["followSymlinks"] = library.follow_symlinks;
  o["trackCount"] = track_count;
  o["createdAt"] = core::format_iso8601(library.created_at);
  o["lastScanAt"] = time_or_null(library.last_scan_at);
  return o;
}

}  // namespace scanhub::api
