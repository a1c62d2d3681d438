#pragma once
// Similar-track search over HTTP (issue 5 item 3):
//   GET /api/tracks/{id}/similar[?limit=N]   N in 1..100, default 10
// 200 {"trackId": 7, "model": "mel-statistics",
//      "similar": [{"trackId": 9, "path": "/music/a/b.flac", "title": "...", "artist": "...",
//                   "score": 0.97}, ...]}   best first; title/artist null when untagged;
//      score is the cosine similarity of the two embeddings, in [-1, 1]
// 404 {"error": "no track 7"} or {"error": "track 7 has no mel-statistics embedding yet"}
// 400 {"error": "limit must be an integer from 1 to 100"}
// Handlers run on network threads: a search reads the store (a count query, then one row per
// result) and scans the in-memory index (milliseconds at 100,000 tracks; bench/embed); the
// first search after vectors changed reloads the index (about a second per 100,000 vectors).

#include "embed/similar_tracks.hpp"
#include "http/router.hpp"

#include <boost/json/value.hpp>

namespace scanhub::api {

inline constexpr int kDefaultSimilarLimit = 10;
inline constexpr int kMaxSimilarLimit = 100;

/// `similar` must outlive the router.
void add_similar_routes(http::Router& router, embed::SimilarTracks& similar);

/// The response body for `result` (shared with `scanhub similar --json`).
boost::json::value similar_tracks_json(const embed::SimilarTracksResult& result);

}  // namespace scanhub::api
