#pragma once
// ScanService's private types, shared by scan_service.cpp (lifecycle, phase machine,
// publishing), scan_jobs.cpp and scan_job_types.cpp (the job handlers). Not part of the scan
// library's interface.

#include "queue/queue.hpp"
#include "scan/enricher.hpp"
#include "scan/scan_service.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace scanhub::scan {

struct ScanService::Active {
  core::ScanId id = 0;
  std::vector<core::Library> libraries;
  core::ScanOptions options;
  bool scoped = false;  ///< an incremental scan of some directories (file-system events)
  bool ended = false;   ///< guarded by ScanService::mutex_
  /// The phase the tracker was last told (guarded by ScanService::publish_mutex_).
  core::ScanStatus published_status = core::ScanStatus::discovering;
  /// Enrichment jobs of this scan inside Enricher::enrich now (ScanSnapshot::enrichment_in_progress).
  std::atomic<std::int64_t> enriching{0};

  const core::Library* library(core::LibraryId library_id) const {
    for (const auto& l : libraries) {
      if (l.id == library_id) return &l;
    }
    return nullptr;
  }
};

/// What one commit did to a scan, for publishing after it.
struct ScanService::Commit {
  core::ScanId scan = 0;
  std::optional<core::ScanSnapshot> after;  ///< the scan row as the commit left it
  std::vector<core::JobId> enqueued;        ///< jobs added with Queue::enqueue_in
  std::string directory;                    ///< the directory the job worked on ("" none)
};

// The handlers, with ScanService's private members at hand.
class ScanService::Handlers {
 public:
  explicit Handlers(ScanService& service) : s_(service) {}

  std::shared_ptr<Active> active_for(const core::Job& job) {
    if (!job.scan_id) throw queue::PermanentJobError(job.type + " job without a scan");
    auto active = s_.find_active(*job.scan_id);
    if (!active) active = s_.load_active(*job.scan_id);
    if (!active) throw queue::PermanentJobError("scan " + std::to_string(*job.scan_id) + " is gone");
    return active;
  }

  // What reading one file of this job may take: the per-file budget, and the job's stop token
  // (a cancel or a shutdown stops the file in progress).
  media::ReadLimits read_limits(const queue::JobContext& context) const {
    media::ReadLimits limits;
    limits.time_budget = s_.options_.file_time_budget;
    limits.stop = context.stop_token();
    return limits;
  }

  // Wraps a CommitFn's writes with the phase machine and the publishing after the commit.
  queue::CommitFn finish(queue::JobContext& context, core::ScanId scan, std::string directory,
                         std::function<void(store::Connection&, Commit&)> writes) {
    auto commit = std::make_shared<Commit>();
    commit->directory = std::move(directory);
    context.after_commit([this, commit] { s_.published(*commit); });
    const core::JobId job = context.job().id;
    return [this, commit, scan, job, writes = std::move(writes)](store::Connection& c) {
      // A retried savepoint (the group commit) starts from a clean result.
      commit->after.reset();
      commit->enqueued.clear();
      if (writes) writes(c, *commit);
      s_.advance(c, scan, core::Clock::now(), *commit, job);
    };
  }

  // One per job type (scan_jobs.cpp: discover, directory-scan, remove-missing;
  // scan_job_types.cpp: cache-asset, the enrichers' jobs): each does the job's work and returns
  // the CommitFn that writes its results in the transaction completing the job.
  queue::CommitFn discover(queue::JobContext& context);
  queue::CommitFn directory_scan(queue::JobContext& context);
  queue::CommitFn music_directory(queue::JobContext& context, const Active& active,
                                  const core::Library& library, const std::string& directory);
  queue::CommitFn movie_directory(queue::JobContext& context, const Active& active,
                                  const core::Library& library, const std::string& directory);
  queue::CommitFn remove_missing(queue::JobContext& context);
  queue::CommitFn cache_asset(queue::JobContext& context);
  queue::CommitFn enrich(queue::JobContext& context, Enricher& enricher);
  // A job of a scan failed for good: one error, counted where its phase will look for it.
  queue::FailedFn failed(std::function<void(core::ScanCounters&)> count);

 private:
  ScanService& s_;
};

namespace detail {

/// Reads a job payload (JSON object). Throws queue::PermanentJobError naming the job for text
/// that is not a JSON object: another attempt would read the same bytes.
boost::json::object parse_payload(const core::Job& job);
/// Members of a payload; throw queue::PermanentJobError when missing or of another type.
std::int64_t payload_int(const boost::json::object& payload, const char* key);
std::string payload_string(const boost::json::object& payload, const char* key);

}  // namespace detail

}  // namespace scanhub::scan
