#pragma once
// Who may see a job of the queue (issue 16 "Per-user jobs"; seed 004 section 11
// "Authorization": job access validated before subscription).
//
//   an admin (and the anonymous principal: authentication off) sees every job;
//   an external job is seen by the user who created it (core::Job::created_by) only; one
//   created without a user (anonymously, or before authentication was turned on) by admins;
//   every other job (the jobs of scans) by every signed-in user, as scans are.
//
// Used alike by the REST routes (src/api) and /hubs/job-progress (src/hubs), so both refuse
// the same jobs. Pure; thread-safe.

#include "auth/principal.hpp"
#include "core/job.hpp"
#include "progress/job_events.hpp"

#include <optional>
#include <string>

namespace scanhub::progress {

inline bool may_see_job(const auth::Principal& user, const core::Job& job) noexcept {
  if (user.admin || !is_external(job)) return true;
  return job.created_by && !user.user_id.empty() && *job.created_by == user.user_id;
}

/// What a list of jobs is narrowed to for `user` (the store's JobFilter::visible_to): nullopt
/// (every job) for an admin, else the user's id (external jobs of theirs, every other job).
inline std::optional<std::string> jobs_visible_to(const auth::Principal& user) {
  if (user.admin) return std::nullopt;
  return user.user_id;
}

/// The creator to record on a job `user` creates: nullopt when anonymous.
inline std::optional<std::string> creator_of(const auth::Principal& user) {
  if (user.user_id.empty()) return std::nullopt;
  return user.user_id;
}

}  // namespace scanhub::progress
