#pragma once
// `scanhub scan PATH`: registers PATH as a music library if new, scans it in the foreground
// with live progress, prints a summary. Exit codes: 0 the scan completed (even with per-file
// errors), 1 the scan could not run or failed, 130 cancelled with Ctrl-C.

#include "embed/embedding_enricher.hpp"
#include "media/read_limits.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace scanhub::app {

struct ScanCommandOptions {
  std::string path;
  std::string type = "music";  ///< "music" or "movie"
  std::string database;
  bool json = false;      ///< newline-delimited JSON progress events on stdout
  unsigned workers = 0;   ///< 0 = one per core
  /// How long reading one file may take (scan::ScanServiceOptions::file_time_budget).
  std::chrono::milliseconds file_time_budget = media::kDefaultFileTimeBudget;
  /// The audio-embedding enricher of a music scan's enriching phase (issue 5), on by default
  /// with the built-in model and seed 000's limits; nullopt (`--no-embeddings`) turns it off.
  std::optional<embed::EmbeddingOptions> embeddings = embed::EmbeddingOptions{};
};

int run_scan_command(const ScanCommandOptions& options);

}  // namespace scanhub::app
