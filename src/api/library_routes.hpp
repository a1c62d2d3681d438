#pragma once
// The libraries' REST API for the dashboard (issue 6; DESIGN.md "Surfaces"; seed 001's
// LibraryAdded trigger; seed 002's per-library scan with ScanOptions). JSON in camelCase;
// errors are {"error": "..."} with a message a person can act on.
//
//   GET    /api/libraries             every library, oldest first:
//            {id, name, path, type: "music"|"movie", followSymlinks, createdAt,
//             lastScanAt (ISO 8601 or null), trackCount, movieCount (items stored now),
//             activeScanId (string or null),
//             watched (true while the file-system watcher follows it),
//             lastScan: null | {scanId, status, startedAt, completedAt, tracksFound,
//                               moviesFound, errorsCount}}
//   POST   /api/libraries             {path, type: "music"|"movie", name?, followSymlinks?}
//            path: an absolute path to an existing directory; stored canonical (symlinks
//            resolved), checked by scan::check_library_root (scan/library_root.hpp).
//            followSymlinks (default false): whether the scan follows symbolic links whose
//            targets lie outside the library (scan/walker.hpp). Watched for changes at once
//            (LibraryRouteHooks) before its scan starts, so no change is missed between the
//            two. 201 with the library (shape above) plus scanId, the scan started with
//            trigger "library-added" (null if it could not start). With authentication on
//            (LibraryRoots) the path, links resolved, must lie under a `--library-root`,
//            checked before anything else about it. 400 with the reason: body
//            not a JSON object, unknown field, missing or relative path, path missing, not a
//            directory, unreadable or a symbolic link loop, `/`, a system directory (/proc,
//            /sys, /dev, /run) or a pseudo file system, type not "music"/"movie", name empty
//            or over 200 bytes, followSymlinks not a boolean. 409: that directory (canonical)
//            is a library already.
//   DELETE /api/libraries/{id}        204; forgets the library with its tracks, movies and
//            their scans' links (files on disk are never touched) and stops watching it.
//            404 unknown id. 409 {"error": "scan N is scanning this library: cancel it
//            first", "scanId": "N"} while a scan covers the library: nothing is removed and
//            the scan runs on (the page offers to cancel it, waits for it to end, then
//            removes). A scan cannot be left without its library by this route.
//   POST   /api/libraries/{id}/scan   optional body: seed 002's ScanOptions
//            ({enableCaching, enableEnrichment, ...}). 202 {scanId, alreadyRunning}; the same
//            ScanService::start as POST /api/library/scan with trigger "manual". 404 unknown
//            id, 400 bad options, 409 when another scan covers the library.
//
// Handlers run on network threads: short database reads, one synchronous write (add or
// remove, milliseconds through the Store's writer) and starting scans in the background.

#include "api/routes.hpp"
#include "core/library.hpp"
#include "http/router.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace scanhub::api {

/// What `scanhub serve` does when a library comes or goes at run time: the file-system watcher
/// follows it (issue 4's watcher, issue 6: "a library added through the page is watched at
/// once"). Each hook is optional and runs on the network thread that handles the request.
struct LibraryRouteHooks {
  /// After the library is stored and before its library-added scan starts. May block for the
  /// walk of the library's directories (one inotify watch each). Throwing is logged as a
  /// warning; the library stays added, unwatched.
  std::function<void(const core::Library&)> on_library_added;
  /// Before the library is removed; afterwards nothing may start a scan of it on its own.
  std::function<void(core::LibraryId)> on_library_removed;
  /// Whether the library is being watched now (GET's `watched`); unset: never.
  std::function<bool(core::LibraryId)> is_watched;
};

/// Where POST /api/libraries may add a library (issue 16 item 6; Navidrome's and Jellyfin's
/// media folders): with authentication on, only under one of `roots`, so a signed-in user
/// cannot index the server's own files.
struct LibraryRoots {
  bool restricted = false;                   ///< false: anywhere check_library_root allows
  std::vector<std::filesystem::path> roots;  ///< canonical directories (links resolved)
};

/// Nullopt when `path` (absolute, links resolved) may be a library under `roots`, else the
/// 400's reason naming the roots. Pure; whole path components (/a/b is not under /a/bc).
std::optional<std::string> outside_library_roots(const std::filesystem::path& path,
                                                 const LibraryRoots& roots);

/// Registers the four routes above: GET for any caller, POST, DELETE and the scan for role
/// admin (http::Access). The services must outlive the router, and whatever the hooks refer
/// to must outlive every request.
void add_library_routes(http::Router& router, Services services, LibraryRouteHooks hooks = {},
                        LibraryRoots roots = {});

}  // namespace scanhub::api
