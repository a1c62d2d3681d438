#pragma once
// The benchmark's library: generated once by make-library (--no-bad: the bad files include a
// FIFO that would block MPD) and reused while its manifest matches the track count and seed.

#include <cstdint>
#include <filesystem>

namespace scanhub::bench {

struct LibraryRequest {
  std::filesystem::path make_library;  ///< the make-library binary
  std::filesystem::path work_dir;      ///< holds library-<N>-seed<S>/ and templates/
  int tracks = 5000;
  std::uint64_t seed = 1;
};

/// Returns WORK_DIR/library-<N>-seed<S>, generating it (and replacing a partial one) unless its
/// manifest.json already describes N tracks from seed S. Throws std::runtime_error when
/// make-library fails, with its stderr.
std::filesystem::path ensure_library(const LibraryRequest& request);

struct WarmUp {
  std::uintmax_t files = 0;
  std::uintmax_t bytes = 0;
};

/// Reads every regular file under `root` once, so that the timed runs find the library in the
/// page cache (contents, inodes and dentries). Throws std::filesystem::filesystem_error.
WarmUp warm_page_cache(const std::filesystem::path& root);

/// Counts the audio tracks make-library's manifest lists (the number every scan must find).
int manifest_track_count(const std::filesystem::path& library);

}  // namespace scanhub::bench
