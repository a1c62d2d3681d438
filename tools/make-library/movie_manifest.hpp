// The manifest of a generated movie library: what a correct scan of it must find (format: the
// "Movie libraries" section of README.md beside this file; "version": 1, "kind": "movies").
//
// Called once from the main thread after every file is written.
#pragma once

#include <cstdint>
#include <filesystem>

#include "movie_plan.hpp"
#include "movie_templates.hpp"
#include "movie_writer.hpp"

namespace scanhub::make_library {

struct MovieManifestInput {
  std::uint64_t seed = 0;
  const MovieLibraryPlan* plan = nullptr;
  const MovieTemplateSet* templates = nullptr;
  const WrittenAssets* written = nullptr;  ///< sizes and hashes, aligned with plan->movies
};

/// Totals printed in the summary line and written under "totals".
struct MovieTotals {
  std::size_t movies = 0;
  std::size_t directories = 0;
  std::size_t nfos = 0;  ///< well-formed .nfo files of movies
  std::size_t assets = 0;
  std::size_t distinct_asset_hashes = 0;
  std::uintmax_t asset_bytes = 0;
  std::uintmax_t distinct_asset_bytes = 0;  ///< what a content-addressed cache stores
  std::size_t errors = 0;
};

/// Writes the manifest as UTF-8 JSON, one movie, error or directory per line, and returns its
/// totals. Throws std::runtime_error when the file cannot be written.
MovieTotals write_movie_manifest(const std::filesystem::path& path,
                                 const MovieManifestInput& input);

}  // namespace scanhub::make_library
