// make-library: builds a real music library with ffmpeg and TagLib, or a real movie library
// (Kodi layout) with ffmpeg, plus a JSON manifest of what a correct scan of it must find
// (contract: README.md beside this file).
//
//   make-library OUT_DIR [--tracks N | --movies N] [--seed S] [--no-bad] [--manifest PATH]
//                [--template-cache DIR] [--force]
//
// Exit status: 0 on success, 1 when generation fails (ffmpeg, TagLib, I/O), 2 on bad usage.
// Every failure prints one line on stderr.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "bad_files.hpp"
#include "library_writer.hpp"
#include "manifest.hpp"
#include "movie_manifest.hpp"
#include "movie_plan.hpp"
#include "movie_templates.hpp"
#include "movie_writer.hpp"
#include "plan.hpp"
#include "templates.hpp"

namespace {

namespace fs = std::filesystem;
using namespace scanhub::make_library;

struct Options {
  std::string out_dir;
  int tracks = 200;
  int movies = 0;  ///< > 0 selects the movie library
  std::uint64_t seed = 1;
  bool no_bad = false;
  std::string manifest;
  std::string template_cache;
  bool force = false;
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A private temporary directory, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "make-library-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot create a temporary directory in " +
                               fs::temp_directory_path().string());
    }
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
};

bool is_same_or_ancestor(const fs::path& ancestor, const fs::path& path) {
  const auto [end, unused] =
      std::mismatch(ancestor.begin(), ancestor.end(), path.begin(), path.end());
  return end == ancestor.end();
}

// Leaves `dir` existing and empty. Refuses (UsageError) to replace a non-empty directory without
// --force, and even with it refuses "/", the working directory, $HOME and their ancestors.
void prepare_output_dir(const fs::path& dir, bool force) {
  if (!fs::exists(fs::symlink_status(dir))) {
    fs::create_directories(dir);
    return;
  }
  if (!fs::is_directory(dir)) throw UsageError(dir.string() + " exists and is not a directory");
  if (fs::is_empty(dir)) return;
  if (!force) throw UsageError(dir.string() + " is not empty (use --force to replace it)");
  const fs::path target = fs::canonical(dir);
  const char* home = std::getenv("HOME");
  if (is_same_or_ancestor(target, fs::current_path()) ||
      (home != nullptr && *home != '\0' &&
       is_same_or_ancestor(target, fs::weakly_canonical(home)))) {
    throw UsageError("refusing to remove " + target.string() +
                     ": it holds the working or home directory");
  }
  fs::remove_all(target);
  fs::create_directories(target);
}

std::string describe(const std::exception& e) {
  std::string text = e.what();
  try {
    std::rethrow_if_nested(e);
  } catch (const std::exception& nested) {
    text += ": " + describe(nested);
  }
  return text;
}

std::string summary(const Options& options, const LibraryPlan& plan,
                    const std::vector<ErrorEntry>& errors, const std::vector<std::string>& ignored,
                    const fs::path& manifest, double seconds) {
  std::map<Format, int> per_format;
  int by_ffmpeg = 0;
  for (const TrackPlan& track : plan.tracks) {
    ++per_format[track.format];
    by_ffmpeg += track.tagged_by == TaggedBy::kFfmpeg ? 1 : 0;
  }
  std::string formats;
  for (const auto& [format, count] : per_format) {
    formats += fmt::format("{}{} {}", formats.empty() ? "" : ", ", codec_name(format), count);
  }
  return fmt::format(
      "make-library: {} tracks in {} albums ({}; {} tagged by ffmpeg), {} errors, {} ignored, "
      "seed {} -> {} (manifest {}) in {:.2f} s",
      plan.tracks.size(), plan.albums.size(), formats, by_ffmpeg, errors.size(), ignored.size(),
      options.seed, options.out_dir, manifest.string(), seconds);
}

int run_movies(const Options& options, const fs::path& root, const fs::path& manifest,
               const fs::path& cache_dir, unsigned threads,
               std::chrono::steady_clock::time_point started) {
  const MovieTemplateSet templates = prepare_movie_templates(cache_dir, threads);
  const MovieLibraryPlan plan = plan_movie_library(options.movies, options.seed, !options.no_bad);
  const WrittenAssets written = write_movie_library(root, plan, templates, threads);
  write_bad_movie_directories(root, plan, templates);
  const MovieTotals totals =
      write_movie_manifest(manifest, {options.seed, &plan, &templates, &written});

  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  std::puts(fmt::format("make-library: {} movies in {} directories, {} assets ({} distinct), "
                        "{} errors, seed {} -> {} (manifest {}) in {:.2f} s",
                        totals.movies, totals.directories, totals.assets,
                        totals.distinct_asset_hashes, totals.errors, options.seed, options.out_dir,
                        manifest.string(), elapsed.count())
                .c_str());
  return 0;
}

int run(const Options& options) {
  const auto started = std::chrono::steady_clock::now();
  const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 2u, 8u);
  const fs::path root = fs::absolute(options.out_dir);
  const fs::path manifest =
      options.manifest.empty() ? root / "manifest.json" : fs::absolute(options.manifest);
  prepare_output_dir(root, options.force);

  std::optional<TempDir> temp_cache;
  fs::path cache_dir;
  if (options.template_cache.empty()) {
    temp_cache.emplace();
    cache_dir = temp_cache->path();
  } else {
    cache_dir = options.template_cache;
    fs::create_directories(cache_dir);
  }
  if (options.movies > 0) {
    return run_movies(options, root, manifest, cache_dir, threads, started);
  }
  const TemplateSet templates = prepare_templates(cache_dir, threads);

  const LibraryPlan plan = plan_library(options.tracks, options.seed);
  write_library(root, plan, templates, threads);
  std::vector<ErrorEntry> errors;
  std::vector<std::string> ignored;
  if (!options.no_bad) {
    errors = write_bad_files(root, templates);
    ignored = write_ignored_files(root, templates, plan);
  }
  write_manifest(manifest,
                 {options.seed, &plan, &templates, &errors, &ignored,
                  count_directories_with_audio(root)});

  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  std::puts(summary(options, plan, errors, ignored, manifest, elapsed.count()).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{
      "Builds a real music library (ffmpeg, TagLib) or, with --movies, a real movie library "
      "(Kodi layout: videos, .nfo, artwork, trailers, subtitles; ffmpeg), and a JSON manifest "
      "of what a correct scan must find.",
      "make-library"};
  app.add_option("OUT_DIR", options.out_dir, "Library root; must not exist or be empty")
      ->required();
  CLI::Option* tracks = app.add_option("--tracks", options.tracks, "Number of tracks (music)")
                            ->capture_default_str()
                            ->check(CLI::Range(1, 1'000'000));
  app.add_option("--movies", options.movies,
                 "Make a movie library of this many movies instead of a music library")
      ->check(CLI::Range(1, 1'000'000))
      ->excludes(tracks);
  app.add_option("--seed", options.seed,
                 "Seed; the same seed and --tracks or --movies give the same library")
      ->capture_default_str();
  app.add_flag("--no-bad", options.no_bad,
               "Leave out the error files and the files a scanner must ignore (movies: the "
               "broken .nfo and the bad directories)");
  app.add_option("--manifest", options.manifest, "Manifest path (default OUT_DIR/manifest.json)");
  app.add_option("--template-cache", options.template_cache,
                 "Keep encoded templates here and reuse them across runs (default: a temporary "
                 "directory removed at exit)");
  app.add_flag("--force", options.force, "Replace OUT_DIR if it is not empty");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "make-library: %s (see --help)\n", e.what());
    return 2;
  }

  try {
    return run(options);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "make-library: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make-library: error: %s\n", describe(e).c_str());
    return 1;
  }
}
