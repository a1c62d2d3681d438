// The job handlers that work on a scan's items (scan_service.hpp): cache-asset (SHA-256 and
// the content-addressed cache) and one job type per Enricher; the failure counting every type
// shares; and the registration of every job type with the scan's queue.
#include "core/text.hpp"
#include "scan/album_art.hpp"
#include "scan/movie_directory.hpp"
#include "scan/scan_service.hpp"
#include "scan/scan_service_internal.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <memory>
#include <string>

namespace scanhub::scan {

using detail::payload_int;
using detail::payload_string;

core::NewJob cache_asset_job(const core::ItemAsset& asset, const std::string& root,
                             core::ScanId scan, core::JobId parent, std::string_view source) {
  boost::json::object payload{{"scanJobId", scan},
                              {"itemAssetId", asset.id},
                              {"sourcePath", root + "/" + asset.source_path},
                              {"displayPath", core::to_valid_utf8(asset.source_path)},
                              {"kind", core::to_string(asset.kind)}};
  if (!source.empty()) payload["source"] = source;
  core::NewJob job;
  job.type = kCacheAssetJob;
  job.priority = core::kPriorityCacheAsset;
  job.parent_id = parent;
  job.scan_id = scan;
  job.payload = boost::json::serialize(payload);
  return job;
}

queue::CommitFn ScanService::Handlers::cache_asset(queue::JobContext& context) {
  const core::Job& job = context.job();
  const auto payload = detail::parse_payload(job);
  if (!job.scan_id) throw queue::PermanentJobError("cache-asset job without a scan");
  const core::ScanId scan = *job.scan_id;
  const core::ItemAssetId item = payload_int(payload, "itemAssetId");
  const std::string source = payload_string(payload, "sourcePath");
  const std::string shown = payload_string(payload, "displayPath");
  const auto* from = payload.if_contains("source");
  const bool embedded = from && from->is_string() && from->as_string() == "embedded";
  auto stored = embedded ? cache_embedded_picture(*s_.cache_, source, read_limits(context))
                         : s_.cache_->store(source);
  if (!stored) {
    const auto& error = stored.error();
    if (error.code == std::errc::no_such_file_or_directory || error.code == std::errc::is_a_directory) {
      throw queue::PermanentJobError(error.message);
    }
    throw std::runtime_error(error.message);
  }
  const store::AssetContent content = asset_content(*stored);
  return finish(context, scan, {}, [=](store::Connection& c, Commit& out) {
    const core::TimePoint now = core::Clock::now();
    c.assets.record_content(content, now);
    c.assets.set_cached(item, content, now);  // false: its movie was removed meanwhile
    core::ScanCounters delta;
    delta.assets_cached = 1;
    out.after = c.scans.add_counters(scan, delta, "Cached " + shown, std::nullopt);
  });
}

queue::CommitFn ScanService::Handlers::enrich(queue::JobContext& context, Enricher& enricher) {
  const core::Job& job = context.job();
  const auto payload = detail::parse_payload(job);
  if (!job.scan_id) throw queue::PermanentJobError(job.type + " job without a scan");
  const core::ScanId scan = *job.scan_id;
  EnrichmentItem item{payload_string(payload, "ownerKind"), payload_int(payload, "ownerId"),
                      payload_string(payload, "path")};
  // Counted while enrich() runs: the in-progress number the scan's next publication carries.
  struct Running {
    explicit Running(std::shared_ptr<Active> a) : active(std::move(a)) {
      if (active) ++active->enriching;
    }
    ~Running() {
      if (active) --active->enriching;
    }
    Running(const Running&) = delete;
    Running& operator=(const Running&) = delete;
    std::shared_ptr<Active> active;
  } running(s_.find_active(scan));
  auto result = std::make_shared<EnrichmentResult>(enricher.enrich(item, context.stop_token()));
  if (context.stop_requested()) throw std::runtime_error("stopped");
  const std::string operation = (result->skipped ? "Skipped " : "Enriched ") + core::to_valid_utf8(item.path);
  return finish(context, scan, {}, [=](store::Connection& c, Commit& out) {
    if (result->commit) result->commit(c);
    core::ScanCounters delta;
    if (result->skipped) {
      delta.enrichment_skipped = 1;
    } else {
      delta.enrichment_completed = 1;
    }
    out.after = c.scans.add_counters(scan, delta, operation, std::nullopt);
  });
}

// A job of a scan failed for good: one error, counted where its phase will look for it.
queue::FailedFn ScanService::Handlers::failed(std::function<void(core::ScanCounters&)> count) {
  return [this, count](store::Connection& c, const core::Job& job,
                       const std::string& error) -> std::function<void()> {
    if (!job.scan_id) return {};
    const core::ScanId scan = *job.scan_id;
    std::string path = job.type;
    try {
      const auto payload = detail::parse_payload(job);
      for (const char* key : {"displayPath", "directoryPath", "path"}) {
        if (const auto* v = payload.if_contains(key); v && v->is_string()) {
          path = core::to_valid_utf8(std::string(v->as_string()));
          break;
        }
      }
    } catch (const std::exception&) {
    }
    const std::string reason = job.type + " failed: " + error;
    c.scans.add_error(scan, {path, reason}, core::Clock::now());
    core::ScanCounters delta;
    delta.errors_count = 1;
    count(delta);
    c.scans.add_counters(scan, delta, "Failed " + path, path + ": " + reason);
    auto commit = std::make_shared<Commit>();
    s_.advance(c, scan, core::Clock::now(), *commit);
    return [this, commit] { s_.published(*commit); };
  };
}

void ScanService::register_handlers() {
  auto handlers = std::make_shared<Handlers>(*this);
  queue::JobTypeOptions discover;
  discover.retry = options_.retry;
  discover.max_attempts = 3;
  discover.concurrency = 1;
  // Discovery that fails for good ends the scan: nothing was emitted, nothing else will end it.
  discover.on_failed = [this](store::Connection& c, const core::Job& job,
                              const std::string& error) -> std::function<void()> {
    if (!job.scan_id) return {};
    auto commit = std::make_shared<Commit>();
    commit->scan = *job.scan_id;
    auto scan = c.scans.get(*job.scan_id);
    if (scan && !core::is_terminal(scan->status)) {
      scan->status = core::ScanStatus::failed;
      scan->failure = "discovery failed: " + error;
      scan->times.completed_at = core::Clock::now();
      scan->current_operation = "Failed";
      c.scans.save_status(*scan);
    }
    commit->after = std::move(scan);
    return [this, commit] { published(*commit); };
  };
  queue_->register_handler(kDiscoverJob, [handlers](queue::JobContext& c) { return handlers->discover(c); },
                           discover);

  queue::JobTypeOptions directory;
  directory.retry = options_.retry;
  directory.max_attempts = 3;
  directory.concurrency = static_cast<int>(options_.workers);
  directory.on_failed = handlers->failed([](core::ScanCounters& d) { d.directories_scanned = 1; });
  queue_->register_handler(kDirectoryScanJob,
                           [handlers](queue::JobContext& c) { return handlers->directory_scan(c); },
                           directory);

  queue::JobTypeOptions removal;
  removal.retry = options_.retry;
  removal.max_attempts = 3;
  removal.concurrency = 1;
  removal.on_failed = handlers->failed([](core::ScanCounters&) {});
  queue_->register_handler(kRemoveMissingJob,
                           [handlers](queue::JobContext& c) { return handlers->remove_missing(c); }, removal);

  queue::JobTypeOptions asset;
  asset.retry = options_.retry;
  asset.max_attempts = 3;
  asset.concurrency = static_cast<int>(options_.workers);
  asset.on_failed = handlers->failed([](core::ScanCounters& d) { d.assets_failed = 1; });
  queue_->register_handler(kCacheAssetJob, [handlers](queue::JobContext& c) { return handlers->cache_asset(c); },
                           asset);

  for (const auto& enricher : options_.enrichers) {
    queue::JobTypeOptions type;
    type.retry = options_.retry;
    type.max_attempts = std::max(1, enricher->max_attempts());
    type.concurrency = std::max(1, enricher->concurrency());
    type.on_failed = handlers->failed([](core::ScanCounters& d) { d.enrichment_failed = 1; });
    Enricher* raw = enricher.get();
    queue_->register_handler(enricher->job_type(),
                             [handlers, raw](queue::JobContext& c) { return handlers->enrich(c, *raw); },
                             type);
  }
}

}  // namespace scanhub::scan
