#pragma once
// `scanhub similar PATH_OR_ID [--limit N] [--db PATH] [--model NAME] [--model-version V]
// [--json]`: the tracks most similar to one track by its stored audio embedding (issue 5 item
// 3), best first, with their cosine similarity. PATH_OR_ID is a track id ("42") or the file of
// a track of a scanned library (relative paths are taken from the current directory). The
// vectors come from the enriching phase (`scanhub scan`/`serve` with the embedding enricher).
// --json prints what GET /api/tracks/{id}/similar returns.
// Exit codes: 0 listed (possibly empty: no other track has a vector yet), 1 no such track, no
// embedding of the model for it, or the database cannot be read.

#include <string>

namespace scanhub::app {

struct SimilarCommandOptions {
  std::string track;  ///< PATH_OR_ID
  std::string database;
  int limit = 10;         ///< 1..100
  std::string model;      ///< empty: the built-in mel-statistics
  int model_version = 0;  ///< 0: the built-in model's version
  bool json = false;
};

int run_similar_command(const SimilarCommandOptions& options);

}  // namespace scanhub::app
