#pragma once
// ScanService's private types, shared by scan_service.cpp (lifecycle, phase machine,
// publishing) and scan_jobs.cpp (the job handlers). Not part of the scan library's interface.

#include "scan/scan_service.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>
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

namespace detail {

/// Reads a job payload (JSON object). Throws queue::PermanentJobError naming the job for text
/// that is not a JSON object: another attempt would read the same bytes.
boost::json::object parse_payload(const core::Job& job);
/// Members of a payload; throw queue::PermanentJobError when missing or of another type.
std::int64_t payload_int(const boost::json::object& payload, const char* key);
std::string payload_string(const boost::json::object& payload, const char* key);

}  // namespace detail

}  // namespace scanhub::scan
