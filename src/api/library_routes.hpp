#pragma once
// The libraries' REST API for the dashboard (issue 6; DESIGN.md "Surfaces"; seed 001's
// LibraryAdded trigger; seed 002's per-library scan with ScanOptions). JSON in camelCase;
// errors are {"error": "..."} with a message a person can act on.
//
//   GET    /api/libraries             every library, oldest first:
//            {id, name, path, type: "music"|"movie", createdAt, lastScanAt (ISO 8601 or null),
//             trackCount, movieCount (items stored now), activeScanId (string or null),
//             lastScan: null | {scanId, status, startedAt, completedAt, tracksFound,
//                               moviesFound, errorsCount}}
//   POST   /api/libraries             {path, type: "music"|"movie", name?}
//            path: an absolute path to an existing directory; stored canonical (symlinks
//            resolved). 201 with the library (shape above) plus scanId, the scan started with
//            trigger "library-added" (null if it could not start). 400: body not a JSON
//            object, unknown field, missing or relative path, path missing or not a directory,
//            type not "music"/"movie", name empty or over 200 bytes. 409: that directory
//            (canonical) is a library already.
//   DELETE /api/libraries/{id}        204; forgets the library with its tracks, movies and
//            their scans' links (files on disk are never touched). 404 unknown id. 409 while
//            a scan covers the library (cancel it first).
//   POST   /api/libraries/{id}/scan   optional body: seed 002's ScanOptions
//            ({enableCaching, enableEnrichment, ...}). 202 {scanId, alreadyRunning}; the same
//            ScanService::start as POST /api/library/scan with trigger "manual". 404 unknown
//            id, 400 bad options, 409 when another scan covers the library.
//
// Handlers run on network threads: short database reads, one synchronous write (add or
// remove, milliseconds through the Store's writer) and starting scans in the background.

#include "api/routes.hpp"
#include "http/router.hpp"

namespace scanhub::api {

/// Registers the four routes above. The services must outlive the router.
void add_library_routes(http::Router& router, Services services);

}  // namespace scanhub::api
