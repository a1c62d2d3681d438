#pragma once
// Pieces shared by the queue's translation units (queue.cpp, dispatcher.cpp, worker.cpp).
// Not part of the queue's interface.

#include "core/job.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace scanhub::queue::detail {

/// The job was no longer processing under our lease when its completion was written: it was
/// cancelled, or it stalled and another worker took it. Its results are rolled back.
class LeaseLost : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline core::Job make_job(const core::NewJob& spec, core::JobId id, core::TimePoint now) {
  core::Job job;
  job.id = id;
  job.type = spec.type;
  job.payload = spec.payload;
  job.priority = spec.priority;
  job.max_attempts = std::max(1, spec.max_attempts);
  job.parent_id = spec.parent_id;
  job.scan_id = spec.scan_id;
  job.run_after = spec.run_after.value_or(now);
  job.created_at = now;
  return job;
}

inline std::vector<core::Job> make_jobs(const std::vector<core::NewJob>& specs,
                                 const std::vector<core::JobId>& ids, core::TimePoint now) {
  std::vector<core::Job> jobs;
  jobs.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size() && i < specs.size(); ++i) {
    jobs.push_back(make_job(specs[i], ids[i], now));
  }
  return jobs;
}

inline std::string what_of(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace scanhub::queue::detail
