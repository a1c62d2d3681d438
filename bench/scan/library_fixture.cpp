#include "library_fixture.hpp"

#include "child_process.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>

#include <boost/json.hpp>

namespace scanhub::bench {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct ManifestSummary {
  std::uint64_t seed = 0;
  int tracks = 0;
  int errors = 0;
};

// The manifest's seed and counts, or nullopt when it is missing or unreadable (a library whose
// generation was interrupted has no manifest: make-library writes it last).
std::optional<ManifestSummary> read_manifest(const fs::path& library) {
  std::ifstream in(library / "manifest.json", std::ios::binary);
  if (!in) return std::nullopt;
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  boost::system::error_code ec;
  const json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return std::nullopt;
  const json::object& root = doc.get_object();
  const auto* seed = root.if_contains("seed");
  const auto* tracks = root.if_contains("tracks");
  const auto* errors = root.if_contains("errors");
  if (seed == nullptr || tracks == nullptr || !tracks->is_array()) return std::nullopt;
  ManifestSummary summary;
  summary.seed = json::value_to<std::uint64_t>(*seed);
  summary.tracks = static_cast<int>(tracks->get_array().size());
  summary.errors =
      errors != nullptr && errors->is_array() ? static_cast<int>(errors->get_array().size()) : 0;
  return summary;
}

}  // namespace

fs::path ensure_library(const LibraryRequest& request) {
  const fs::path library = request.work_dir / ("library-" + std::to_string(request.tracks) +
                                               "-seed" + std::to_string(request.seed));
  const auto manifest = read_manifest(library);
  if (manifest && manifest->seed == request.seed && manifest->tracks == request.tracks &&
      manifest->errors == 0) {
    std::fprintf(stderr, "scan-bench: reusing %s\n", library.c_str());
    return library;
  }

  fs::create_directories(request.work_dir);
  std::fprintf(stderr, "scan-bench: generating %d tracks (seed %llu) in %s\n", request.tracks,
               static_cast<unsigned long long>(request.seed), library.c_str());
  const TimedRun run =
      run_timed({request.make_library.string(), library.string(), "--tracks",
                 std::to_string(request.tracks), "--seed", std::to_string(request.seed), "--no-bad",
                 "--force", "--template-cache", (request.work_dir / "templates").string()},
                request.work_dir);
  if (run.exit_code != 0) {
    throw std::runtime_error("make-library failed (exit " + std::to_string(run.exit_code) +
                             "): " + run.err);
  }
  if (!read_manifest(library)) {
    throw std::runtime_error("make-library left no readable manifest in " + library.string());
  }
  return library;
}

WarmUp warm_page_cache(const fs::path& root) {
  WarmUp result;
  std::array<char, 1 << 16> buffer{};
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // the scanners will report it; warming is best effort
    ssize_t n = 0;
    while ((n = ::read(fd, buffer.data(), buffer.size())) > 0) {
      result.bytes += static_cast<std::uintmax_t>(n);
    }
    ::close(fd);
    ++result.files;
  }
  return result;
}

int manifest_track_count(const fs::path& library) {
  const auto manifest = read_manifest(library);
  if (!manifest) throw std::runtime_error("no readable manifest.json in " + library.string());
  return manifest->tracks;
}

}  // namespace scanhub::bench
