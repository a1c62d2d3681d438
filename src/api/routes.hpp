#pragma once
// The REST API of the foundation (JSON, camelCase; errors as {"error": ...}):
//   POST /api/library/scan           scan every library (seed 000) -> {"scanId": "7"}; when a
//                                    scan of the same libraries runs: its id, alreadyRunning
//   GET  /api/scans[?active=true]    recent scans, newest first (at most 50)
//   GET  /api/scans/{id}             one scan (seed 002's scan_jobs fields), live while running
//   GET  /api/scans/{id}/errors[?limit=&offset=]   its per-file errors, in order
//   POST /api/scans/{id}/cancel      ask a running scan to stop -> 202; 409 when it has ended,
//                                    404 when there is no such scan (as GET)
//   (the libraries' routes, GET /api/libraries among them, are in api/library_routes.hpp)
//   GET  /healthz                    200 {"status":"ok"}; 503 {"status":"degraded", "storage":
//                                    "paused"|"damaged", "reason", "since", "retryAt"} while the
//                                    job queue is paused by a storage fault or met a damaged file
// Access (http/authorize.hpp; only with `serve --auth`): /healthz is open; starting and
// cancelling scans needs role admin; the rest any signed-in caller.
// Handlers run on network threads and only do short database reads and queue scans.

#include "http/router.hpp"
#include "progress/tracker.hpp"
#include "scan/scan_service.hpp"
#include "store/store.hpp"

namespace scanhub::api {

struct Services {
  store::Store& store;
  progress::ProgressTracker& tracker;
  scan::ScanService& scans;
};

void add_routes(http::Router& router, Services services);

}  // namespace scanhub::api
