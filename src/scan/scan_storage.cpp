// ScanService's side of storage faults (scan_service.hpp): a queue paused because the
// database cannot be written is shown in every running scan's live snapshot, and a scan whose
// job met a damaged database file fails with the reason.
#include "scan/scan_service.hpp"
#include "scan/scan_service_internal.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace scanhub::scan {

void ScanService::on_damaged(const core::Job* job, const std::string& reason) {
  if (job) {
    if (job->scan_id) fail_damaged(*job->scan_id, reason);
    return;
  }
  // The queue's own table: none of the running scans can finish.
  std::vector<core::ScanId> ids;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, active] : active_) {
      if (!active->ended) ids.push_back(id);
    }
  }
  for (const core::ScanId id : ids) fail_damaged(id, reason);
}

void ScanService::fail_damaged(core::ScanId id, const std::string& reason) {
  const auto active = find_active(id);
  if (!active) return;
  {
    std::lock_guard lock(mutex_);
    if (active->ended) return;
  }
  const auto now = core::Clock::now();
  const auto mark = [&](core::ScanSnapshot& scan) {
    scan.status = core::ScanStatus::failed;
    scan.failure = reason;
    scan.last_error = reason;
    scan.times.completed_at = now;
    scan.current_operation = "Failed";
  };
  Commit out;
  out.scan = id;
  try {
    queue_->cancel_scan(id, [&](store::Connection& c) {
      auto scan = c.scans.get(id);
      if (scan && !core::is_terminal(scan->status)) {
        mark(*scan);
        c.scans.save_status(*scan);
      }
      out.after = std::move(scan);
    });
  } catch (const std::exception& e) {
    // The damage may lie under the scan's own row or its jobs: it is shown failed all the same
    // (the start-up check refuses the file until it is restored, so the row is never resumed).
    spdlog::error("scan {}: cannot record its failure: {}", id, e.what());
    out.after = tracker_.snapshot(id);
    if (!out.after) return;
    mark(*out.after);
  }
  spdlog::error("scan {} failed: {}", id, reason);
  published(out);
}

void ScanService::show_storage(const queue::StorageStatus& status, core::ScanId only) {
  std::vector<core::ScanId> ids;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, active] : active_) {
      if (!active->ended && (only == 0 || id == only)) ids.push_back(id);
    }
  }
  std::string operation;
  switch (status.state) {
    case queue::StorageStatus::State::paused: {
      const auto wait = std::chrono::ceil<std::chrono::seconds>(
          status.retry_at.value_or(core::Clock::now()) - core::Clock::now());
      operation = "Paused: " + status.reason + "; trying again in " +
                  std::to_string(std::max<std::int64_t>(0, wait.count())) + " s";
      break;
    }
    case queue::StorageStatus::State::ok:
      operation = "Resuming: the database can be written again";
      break;
    case queue::StorageStatus::State::damaged:
      break;  // the scans that meet the damage fail with it (fail_damaged)
  }
  if (only == 0) {
    std::lock_guard lock(mutex_);
    const bool paused = status.state == queue::StorageStatus::State::paused;
    paused_operation_ = paused ? operation : std::string();
    paused_reason_ = paused ? status.reason : std::string();
  }
  for (const core::ScanId id : ids) {
    tracker_.update(id, [&](core::ScanSnapshot& scan) {
      if (status.state == queue::StorageStatus::State::paused) scan.current_directory.clear();
      if (!operation.empty()) scan.current_operation = operation;
      if (status.state != queue::StorageStatus::State::ok) scan.last_error = status.reason;
    });
  }
}

}  // namespace scanhub::scan
