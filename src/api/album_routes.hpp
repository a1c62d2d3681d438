#pragma once
// Albums of music libraries over HTTP (issue 4 "Music libraries: ... album art as assets"):
//   GET /api/albums/{id}
// 200 {"id": 3, "libraryId": 1, "directory": "Björk/Homogenic", "title": "Homogenic" | null,
//      "albumArtist": "Björk" | null, "year": 1997 | null, "trackCount": 14,
//      "art": [{"id": 12, "kind": "cover" | "back" | "disc", "source": "file" | "embedded",
//               "path": "Björk/Homogenic/cover.jpg", "size": 746, "sha256": "<64 hex>" | null,
//               "cachePath": "ab/cd/<sha256>.jpg" | null}]}
//   art ordered by path; path relative to the library root (for "embedded", the track holding
//   the picture; size is then the track's); sha256 and cachePath (relative to the asset cache
//   root) null until a cache-asset job has cached it.
// 404 {"error": "no album 3"}
// Handlers run on network threads and read the store (two indexed queries).

#include "http/router.hpp"
#include "store/store.hpp"

namespace scanhub::api {

/// `store` must outlive the router.
void add_album_routes(http::Router& router, store::Store& store);

}  // namespace scanhub::api
