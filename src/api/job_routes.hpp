#pragma once
// The job queue's REST API (issue 4 item 4; seed 003's jobs and queue stats; DESIGN.md
// "Surfaces"). JSON in camelCase as api/job_json.hpp gives it; errors {"error": "..."}.
//   GET  /api/jobs[?status=&type=&limit=&offset=]  jobs, newest first (limit default 100, at
//                                        most 500). Without status (or status=active): the
//                                        active jobs, pending and processing, as seed 003's
//                                        dashboard fetches them; status=all: every job; a
//                                        status name: those jobs. 400 for an unknown status
//   GET  /api/jobs/{id}                  one job; 404 unknown
//   GET  /api/queue/stats                counts by status, in total and per type
//   GET  /api/queue[?processing=20&pending=5&failed=20&recent=15]  the dashboard's view of the
//                                        queue from ONE read transaction, so its counts and
//                                        lists agree: {stats, active (the newest processing
//                                        jobs, then the newest pending ones), failed, recent
//                                        (any status)}; each limit at most 500
// For programs that run their own long jobs (external jobs, api/external_jobs.hpp):
//   POST /api/jobs                       NewExternalJob body -> 201 with the job
//   POST /api/jobs/{id}/progress         JobProgress body -> 200 with the job
//   POST /api/jobs/{id}/complete         {"message"?: string} or no body -> 200 with the job
//   POST /api/jobs/{id}/fail             {"error": string, "retry"?: bool (default false),
//                                         "retryDelayMs"?: 0-86400000} -> 200 with the job
//                                         (status pending again when it will be retried)
// Per user (issue 16; progress/job_access.hpp): a caller who is not an admin lists, reads and
// reports only their own external jobs (and every scan job); another user's job is 404, as
// one that does not exist, rather than 403, so that nobody learns which jobs others run.
// POST /api/jobs records the caller as the job's creator. Queue stats count every job.
// Bad requests: 400 (body not JSON, not an object, unknown field, wrong type, out of range:
// percentage 0-100, current <= total, size limits of job_json.hpp), 404 (unknown id), 409
// (not an external job, or already completed, failed or cancelled), 413 (body over the
// server's limit). A request changes nothing unless it succeeds: each is one transaction.
// Handlers run on network threads; a write waits for its commit (milliseconds: the Store's
// writer batches).

#include "api/external_jobs.hpp"
#include "http/router.hpp"
#include "store/store.hpp"

namespace scanhub::api {

/// `jobs` must outlive the router.
void add_job_routes(http::Router& router, store::Store& store, ExternalJobs& jobs);

}  // namespace scanhub::api
