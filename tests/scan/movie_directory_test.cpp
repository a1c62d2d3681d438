// The movie directory unit of work (scan/movie_directory.hpp) against a real Kodi-layout library
// made by tools/make-library --movies 40 and its manifest (tools/make-library/README.md, "Movie
// manifest"): every directory scanned and applied into a real SQLite file through the store's
// writer, assets cached into a real content-addressed cache, and the database and the cache
// compared with the manifest; then incremental rescans.

#include "media/ffmpeg_files.hpp"
#include "scan/movie_directory.hpp"
#include "store/schema.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <sqlite3.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <atomic>
#include <stop_token>
#include <thread>

extern char** environ;

using namespace scanhub;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::optional<std::string> opt_string(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  return std::string(v->as_string());
}

std::optional<std::int64_t> opt_int(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  return v->to_number<std::int64_t>();
}

bool make_library(const fs::path& dir) {
  std::vector<std::string> args{SCANHUB_MAKE_LIBRARY, (dir / "library").string(), "--movies", "40",
                                "--seed", "5", "--template-cache", SCANHUB_MOVIE_TEMPLATE_CACHE};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return false;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Every row of a table as text, to show that a rescan wrote nothing.
std::vector<std::string> dump(store::Connection& c, const std::string& table) {
  sqlite::Statement s(c.db, "SELECT * FROM " + table + " ORDER BY 1");
  std::vector<std::string> rows;
  while (s.step()) {
    std::string row;
    for (int i = 0; i < sqlite3_column_count(s.get()); ++i) {
      row += std::string(s.column_text(i)) + "|";
    }
    rows.push_back(row);
  }
  return rows;
}

class MovieDirectoryScan : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Keyed by make-library's build time: a rebuilt generator makes a new library.
    const auto built = static_cast<std::uint64_t>(
        fs::last_write_time(SCANHUB_MAKE_LIBRARY).time_since_epoch().count());
    source_ = test::cached_fixture_dir(SCANHUB_SCAN_FIXTURE_CACHE,
                                       "movie-library-40-5-" + std::to_string(built), make_library) /
              "library";
    std::ifstream in(source_ / "manifest.json");
    std::stringstream text;
    text << in.rdbuf();
    manifest_ = json::parse(text.str()).as_object();
  }

  void SetUp() override {
    // A copy per test: the rescan tests change files, the cached fixture stays as made.
    fs::copy(source_, root_, fs::copy_options::recursive);
    store_.emplace(dir_ / "scanhub.db");
    store_->write_sync([&](store::Connection& c) {
      core::Library library;
      library.path = root_.string();
      library.name = "Movies";
      library.type = core::LibraryType::movie;
      library.created_at = core::Clock::now();
      library_ = c.libraries.add(library).id;
    });
  }

  core::ScanId new_scan() {
    core::ScanId id = 0;
    store_->write_sync([&](store::Connection& c) {
      core::ScanSnapshot scan;
      scan.libraries = {{library_, root_.string()}};
      scan.times.started_at = core::Clock::now();
      id = c.scans.create(scan);
    });
    return id;
  }

  // Discovery's list, one unit per directory, each committed through the writer like a job.
  core::ScanId scan_library(const core::ScanOptions& options = {}) {
    const core::ScanId scan = new_scan();
    const store::MovieIndex index =
        store_->read([&](store::Connection& c) { return c.movies.load_index(library_); });
    for (const auto& value : manifest_.at("directories").as_array()) {
      const std::string directory(value.as_string());
      const auto found = index.find(directory);
      auto result = scan::scan_movie_directory(root_, library_, directory,
                                               found == index.end() ? nullptr : &found->second,
                                               options, links());
      store_->write_sync([&](store::Connection& c) { result.apply(c, scan, core::Clock::now()); });
    }
    return scan;
  }

  // The cache-asset jobs: every uncached item asset stored and recorded.
  void cache_assets(scan::AssetCache& cache, core::ScanId scan) {
    const auto pending =
        store_->read([](store::Connection& c) { return c.assets.list_uncached(100000); });
    for (const auto& asset : pending) {
      const auto stored = cache.store(root_ / asset.source_path);
      ASSERT_TRUE(stored) << stored.error().message;
      store_->write_sync([&](store::Connection& c) {
        ASSERT_TRUE(c.assets.set_cached(asset.id, scan::asset_content(*stored), core::Clock::now()));
        core::ScanCounters delta;
        delta.assets_cached = 1;
        c.scans.add_counters(scan, delta, "Cached " + asset.source_path, std::nullopt);
      });
    }
  }

  // The library's rule, as a directory-scan job makes it: links out of it are not followed.
  scan::LinkRule links(bool follow_symlinks = false) const {
    return scan::LinkRule(root_.string(), follow_symlinks);
  }

  core::ScanCounters counters(core::ScanId scan) {
    return store_->read([&](store::Connection& c) { return c.scans.get(scan)->counters; });
  }

  std::map<std::string, std::string> manifest_errors() const {
    std::map<std::string, std::string> errors;  // path -> kind
    for (const auto& error : manifest_.at("errors").as_array()) {
      errors[std::string(error.at("path").as_string())] = error.at("kind").as_string();
    }
    return errors;
  }

  std::map<std::string, std::string> stored_errors(core::ScanId scan) {
    std::map<std::string, std::string> errors;  // path -> kind
    const auto rows = store_->read([&](store::Connection& c) { return c.scans.errors(scan, 1000); });
    for (const auto& error : rows) {
      errors[error.path] = error.reason.substr(0, error.reason.find(':'));
    }
    return errors;
  }

  const json::array& movies() const { return manifest_.at("movies").as_array(); }
  std::int64_t total(const char* key) const {
    return manifest_.at("totals").at(key).to_number<std::int64_t>();
  }

  static fs::path source_;
  static json::object manifest_;
  test::TempDir dir_;
  fs::path root_ = dir_ / "library";
  std::optional<store::Store> store_;
  core::LibraryId library_ = 0;
};

fs::path MovieDirectoryScan::source_;
json::object MovieDirectoryScan::manifest_;

}  // namespace

TEST_F(MovieDirectoryScan, DatabaseAndCacheEqualTheManifest) {
  const core::ScanId scan = scan_library();
  scan::AssetCache cache(dir_ / "cache", {.sync = false});
  cache_assets(cache, scan);

  const auto stored = store_->read([&](store::Connection& c) { return c.movies.list(library_); });
  ASSERT_EQ(static_cast<std::int64_t>(stored.size()), total("movies"));
  std::map<std::string, const core::Movie*> by_directory;
  for (const auto& movie : stored) by_directory[movie.directory] = &movie;

  std::map<std::string, std::int64_t> bytes_by_hash;
  for (const auto& value : movies()) {
    const json::object& expected = value.as_object();
    const std::string directory(expected.at("directory").as_string());
    SCOPED_TRACE(directory);
    ASSERT_TRUE(by_directory.contains(directory));
    const core::Movie& movie = *by_directory.at(directory);
    EXPECT_EQ(movie.video_path, expected.at("video").as_string());
    EXPECT_EQ(movie.stamp.size, expected.at("videoSize").to_number<std::int64_t>());
    EXPECT_EQ(movie.nfo_path, opt_string(expected, "nfo"));
    EXPECT_EQ(movie.nfo_error.has_value(), expected.at("nfoKind").as_string() == "broken");
    const auto& m = movie.metadata;
    EXPECT_EQ(m.title, expected.at("title").as_string());
    EXPECT_EQ(m.original_title, opt_string(expected, "originalTitle"));
    EXPECT_EQ(m.year, opt_int(expected, "year"));
    EXPECT_EQ(m.premiered, opt_string(expected, "premiered"));
    EXPECT_EQ(m.plot, opt_string(expected, "plot"));
    EXPECT_EQ(m.runtime_minutes, opt_int(expected, "runtime"));
    std::vector<std::string> genres;
    for (const auto& genre : expected.at("genres").as_array()) genres.emplace_back(genre.as_string());
    EXPECT_EQ(m.genres, genres);
    const auto tmdb = opt_int(expected, "tmdb");
    EXPECT_EQ(m.tmdb_id, tmdb ? std::optional(std::to_string(*tmdb)) : std::nullopt);
    EXPECT_EQ(m.imdb_id, opt_string(expected, "imdb"));

    const json::object& streams = expected.at("streams").as_object();
    ASSERT_TRUE(movie.streams);
    EXPECT_EQ(movie.streams->container, streams.at("container").as_string());
    ASSERT_TRUE(movie.streams->duration_ms);
    EXPECT_NEAR(*movie.streams->duration_ms, streams.at("durationMs").to_number<std::int64_t>(), 1);
    const json::object& video = streams.at("video").as_object();
    EXPECT_EQ(movie.streams->video_codec, std::string(video.at("codec").as_string()));
    EXPECT_EQ(movie.streams->video_width, video.at("width").to_number<std::int64_t>());
    EXPECT_EQ(movie.streams->video_height, video.at("height").to_number<std::int64_t>());
    const json::array& audio = streams.at("audio").as_array();
    ASSERT_EQ(movie.streams->audio.size(), audio.size());
    for (std::size_t i = 0; i < audio.size(); ++i) {
      EXPECT_EQ(movie.streams->audio[i].codec, audio[i].at("codec").as_string());
      EXPECT_EQ(movie.streams->audio[i].channels, audio[i].at("channels").to_number<std::int64_t>());
      EXPECT_EQ(movie.streams->audio[i].language, opt_string(audio[i].as_object(), "language"));
    }
    const json::array& subtitles = streams.at("subtitles").as_array();
    ASSERT_EQ(movie.streams->subtitles.size(), subtitles.size());
    for (std::size_t i = 0; i < subtitles.size(); ++i) {
      EXPECT_EQ(movie.streams->subtitles[i].codec, subtitles[i].at("codec").as_string());
      EXPECT_EQ(movie.streams->subtitles[i].language, opt_string(subtitles[i].as_object(), "language"));
      EXPECT_EQ(movie.streams->subtitles[i].is_forced, subtitles[i].at("forced").as_bool());
    }

    // Assets: path, kind, size, hash, subtitle language and forced; each cached file is the
    // content its hash names.
    std::set<std::string> want, got;
    for (const auto& asset : expected.at("assets").as_array()) {
      const json::object& a = asset.as_object();
      want.insert(std::string(a.at("path").as_string()) + " " + std::string(a.at("kind").as_string()) +
                  " " + std::to_string(a.at("size").to_number<std::int64_t>()) + " " +
                  std::string(a.at("sha256").as_string()) + " " + opt_string(a, "language").value_or("-") +
                  (a.contains("forced") && a.at("forced").as_bool() ? " forced" : ""));
    }
    const auto assets = store_->read([&](store::Connection& c) {
      return c.assets.list_for_owner(core::AssetOwnerKind::movie, movie.id);
    });
    for (const auto& asset : assets) {
      ASSERT_TRUE(asset.sha256);
      ASSERT_TRUE(asset.cache_path);
      EXPECT_TRUE(fs::is_regular_file(cache.root() / *asset.cache_path));
      EXPECT_EQ(static_cast<std::int64_t>(fs::file_size(cache.root() / *asset.cache_path)), asset.stamp.size);
      bytes_by_hash[*asset.sha256] = asset.stamp.size;
      got.insert(asset.source_path + " " + std::string(core::to_string(asset.kind)) + " " +
                 std::to_string(asset.stamp.size) + " " + *asset.sha256 + " " +
                 asset.language.value_or("-") + (asset.is_forced ? " forced" : ""));
    }
    EXPECT_EQ(got, want);
  }

  // Duplicates stored once: the cache and the assets table hold each content once.
  std::int64_t files = 0, bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(cache.root())) {
    if (entry.is_regular_file() && entry.path().parent_path().filename() != ".incoming") {
      ++files;
      bytes += static_cast<std::int64_t>(entry.file_size());
    }
  }
  EXPECT_EQ(files, total("distinctAssetHashes"));
  EXPECT_EQ(bytes, total("distinctAssetBytes"));
  const auto contents = store_->read([](store::Connection& c) { return c.assets.list_contents(); });
  EXPECT_EQ(static_cast<std::int64_t>(contents.size()), total("distinctAssetHashes"));
  EXPECT_EQ(static_cast<std::int64_t>(bytes_by_hash.size()), total("distinctAssetHashes"));
  for (const auto& content : contents) {
    EXPECT_EQ(content.size, bytes_by_hash[content.sha256]) << content.sha256;
    EXPECT_TRUE(content.mime_type) << content.cache_path;
  }

  const core::ScanCounters c = counters(scan);
  EXPECT_EQ(c.directories_scanned, total("directories"));
  EXPECT_EQ(c.movies_found, total("movies"));
  EXPECT_EQ(c.movies_new, total("movies"));
  EXPECT_EQ(c.movies_updated, 0);
  EXPECT_EQ(c.assets_queued, total("assets"));
  EXPECT_EQ(c.assets_cached, total("assets"));
  EXPECT_EQ(c.errors_count, total("errors"));
  EXPECT_EQ(stored_errors(scan), manifest_errors());
}

TEST_F(MovieDirectoryScan, UnchangedRescanWritesNothingAndAChangedNfoUpdatesOneMovie) {
  const core::ScanId first = scan_library();
  scan::AssetCache cache(dir_ / "cache", {.sync = false});
  cache_assets(cache, first);
  const auto snapshot = [&] {
    return store_->read([&](store::Connection& c) {
      return std::pair(dump(c, "movies"), dump(c, "item_assets"));
    });
  };
  const auto before = snapshot();

  const core::ScanId second = scan_library();
  core::ScanCounters n = counters(second);
  EXPECT_EQ(n.movies_found, total("movies"));
  EXPECT_EQ(n.movies_new, 0);
  EXPECT_EQ(n.movies_updated, 0);
  EXPECT_EQ(n.assets_queued, 0);
  EXPECT_EQ(n.errors_count, total("errors")) << "bad files are reported by every scan";
  EXPECT_EQ(stored_errors(second), manifest_errors());
  EXPECT_EQ(snapshot(), before);

  // Rewrite one movie's .nfo with a new title (and a later mtime).
  const json::object* changed = nullptr;
  for (const auto& value : movies()) {
    if (value.at("nfoKind").as_string() == "valid") changed = &value.as_object();
  }
  ASSERT_NE(changed, nullptr);
  const std::string directory(changed->at("directory").as_string());
  const fs::path nfo = root_ / std::string(changed->at("nfo").as_string());
  std::ofstream(nfo, std::ios::trunc)
      << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<movie><title>Renamed</title>"
         "<year>2011</year><genre>Drama</genre></movie>\n";
  fs::last_write_time(nfo, fs::last_write_time(nfo) + std::chrono::seconds(5));

  const core::ScanId third = scan_library();
  n = counters(third);
  EXPECT_EQ(n.movies_found, total("movies"));
  EXPECT_EQ(n.movies_new, 0);
  EXPECT_EQ(n.movies_updated, 1);
  EXPECT_EQ(n.assets_queued, 0) << "its unchanged assets keep their hashes";
  const auto after = snapshot();
  EXPECT_EQ(after.second, before.second);
  ASSERT_EQ(after.first.size(), before.first.size());
  int differing = 0;
  for (std::size_t i = 0; i < before.first.size(); ++i) differing += after.first[i] != before.first[i];
  EXPECT_EQ(differing, 1);
  const auto movie = store_->read([&](store::Connection& c) {
    const auto index = c.movies.find_indexed(library_, directory);
    return c.movies.get(index->id);
  });
  ASSERT_TRUE(movie);
  EXPECT_EQ(movie->metadata.title, "Renamed");
  EXPECT_EQ(movie->metadata.year, 2011);
  EXPECT_EQ(movie->metadata.genres, std::vector<std::string>{"Drama"});
  EXPECT_EQ(movie->metadata.plot, std::nullopt);
  ASSERT_TRUE(movie->streams);
}

TEST_F(MovieDirectoryScan, SkipOptionsAndInlineCaching) {
  // skipFFprobe and skipAssetDiscovery: movies without streams or assets.
  core::ScanOptions skip;
  skip.skip_asset_discovery = true;
  skip.skip_ffprobe = true;
  const core::ScanId scan = scan_library(skip);
  const auto stored = store_->read([&](store::Connection& c) { return c.movies.list(library_); });
  // Without a probe the text file named .mkv cannot be told from a video.
  EXPECT_EQ(static_cast<std::int64_t>(stored.size()), total("movies") + 1);
  for (const auto& movie : stored) EXPECT_FALSE(movie.streams) << movie.directory;
  const auto pending = store_->read([](store::Connection& c) { return c.assets.list_uncached(1000); });
  EXPECT_TRUE(pending.empty());
  EXPECT_EQ(counters(scan).assets_queued, 0);
  EXPECT_EQ(counters(scan).errors_count, total("errors") - 1);

  // One directory again with everything on, cached inline before apply().
  const json::object& first = movies().front().as_object();
  const std::string directory(first.at("directory").as_string());
  const auto index = store_->read([&](store::Connection& c) { return c.movies.find_indexed(library_, directory); });
  ASSERT_TRUE(index);
  fs::last_write_time(root_ / std::string(first.at("video").as_string()),
                      fs::last_write_time(root_ / std::string(first.at("video").as_string())) +
                          std::chrono::seconds(5));
  auto result = scan::scan_movie_directory(root_, library_, directory, &*index, {}, links());
  ASSERT_TRUE(result.movie);
  EXPECT_EQ(result.movie->id, index->id);
  EXPECT_EQ(result.counters.movies_updated, 1);
  scan::AssetCache cache(dir_ / "cache", {.sync = false});
  scan::cache_movie_assets(result, cache);
  const core::ScanId again = new_scan();
  store_->write_sync([&](store::Connection& c) { result.apply(c, again, core::Clock::now()); });
  const auto expected_assets = first.at("assets").as_array().size();
  EXPECT_EQ(counters(again).assets_cached, static_cast<std::int64_t>(expected_assets));
  EXPECT_EQ(counters(again).assets_queued, static_cast<std::int64_t>(expected_assets));
  const auto assets = store_->read([&](store::Connection& c) {
    return c.assets.list_for_owner(core::AssetOwnerKind::movie, index->id);
  });
  ASSERT_EQ(assets.size(), expected_assets);
  for (const auto& asset : assets) {
    ASSERT_TRUE(asset.cache_path);
    EXPECT_TRUE(fs::exists(cache.root() / *asset.cache_path));
  }
  const auto movie = store_->read([&](store::Connection& c) { return c.movies.get(index->id); });
  ASSERT_TRUE(movie && movie->streams);

  // A scan that probes reads again every movie stored without streams; the text file named
  // .mkv is found out then, and its row stays (bad input loses nothing) with an error.
  const core::ScanId probed = scan_library();
  EXPECT_EQ(counters(probed).movies_found, total("movies"));
  EXPECT_EQ(counters(probed).movies_updated, total("movies") - 1);
  EXPECT_EQ(counters(probed).errors_count, total("errors"));
  EXPECT_EQ(stored_errors(probed), manifest_errors());
}

TEST_F(MovieDirectoryScan, AVideoRemovedFromADirectoryRemovesItsMovieAndAssets) {
  scan_library();
  const json::object& first = movies().front().as_object();
  const std::string directory(first.at("directory").as_string());
  fs::remove(root_ / std::string(first.at("video").as_string()));
  const core::ScanId scan = scan_library();
  EXPECT_EQ(counters(scan).movies_found, total("movies") - 1);
  EXPECT_EQ(stored_errors(scan)[directory], "no-video");
  store_->read([&](store::Connection& c) {
    EXPECT_FALSE(c.movies.find_indexed(library_, directory));
    sqlite::Statement s(c.db, "SELECT COUNT(*) FROM item_assets i LEFT JOIN movies m ON m.id = i.owner_id "
                              "WHERE m.id IS NULL");
    s.step();
    EXPECT_EQ(s.column_int64(0), 0) << "no asset outlives its movie";
  });
}

TEST_F(MovieDirectoryScan, ASkipFFprobeRescanKeepsStreamsAndAssetsOfAnUnchangedVideo) {
  scan_library();
  const json::object* changed = nullptr;
  for (const auto& value : movies()) {
    if (value.at("nfoKind").as_string() == "valid") changed = &value.as_object();
  }
  ASSERT_NE(changed, nullptr);
  const std::string directory(changed->at("directory").as_string());
  const auto read_movie = [&] {
    return store_->read([&](store::Connection& c) {
      const auto index = c.movies.find_indexed(library_, directory);
      return std::pair(*c.movies.get(index->id),
                       c.assets.list_for_owner(core::AssetOwnerKind::movie, index->id));
    });
  };
  const auto [before, assets_before] = read_movie();
  ASSERT_TRUE(before.streams);
  const fs::path nfo = root_ / std::string(changed->at("nfo").as_string());
  std::ofstream(nfo, std::ios::trunc) << "<movie><title>Skipped Probe</title></movie>\n";
  fs::last_write_time(nfo, fs::last_write_time(nfo) + std::chrono::seconds(5));

  core::ScanOptions skip;
  skip.skip_asset_discovery = true;
  skip.skip_ffprobe = true;
  const core::ScanId scan = scan_library(skip);
  EXPECT_EQ(counters(scan).movies_updated, 1);
  const auto [after, assets_after] = read_movie();
  EXPECT_EQ(after.metadata.title, "Skipped Probe");
  EXPECT_EQ(after.streams, before.streams);
  EXPECT_EQ(assets_after, assets_before);
  EXPECT_FALSE(assets_after.empty());
}

TEST_F(MovieDirectoryScan, AnAddedOrRemovedAssetAloneUpdatesItsMovie) {
  const core::ScanId first = scan_library();
  scan::AssetCache cache(dir_ / "cache", {.sync = false});
  cache_assets(cache, first);
  // A movie with at least one asset loses its first one and gains a keyart.
  const json::object* changed = nullptr;
  for (const auto& value : movies()) {
    if (!value.at("assets").as_array().empty() && value.at("video").as_string().ends_with(".mkv")) {
      changed = &value.as_object();
      break;
    }
  }
  ASSERT_NE(changed, nullptr);
  const std::string directory(changed->at("directory").as_string());
  const std::string removed(changed->at("assets").as_array().front().at("path").as_string());
  fs::remove(root_ / removed);
  std::ofstream(root_ / directory / "keyart.png") << "not really a png, but an asset all the same";

  const core::ScanId second = scan_library();
  const core::ScanCounters n = counters(second);
  EXPECT_EQ(n.movies_found, total("movies"));
  EXPECT_EQ(n.movies_updated, 1);
  EXPECT_EQ(n.assets_queued, 1) << "only the new file needs caching";
  const auto assets = store_->read([&](store::Connection& c) {
    return c.assets.list_for_owner(core::AssetOwnerKind::movie,
                                   c.movies.find_indexed(library_, directory)->id);
  });
  ASSERT_EQ(assets.size(), changed->at("assets").as_array().size());
  for (const auto& asset : assets) {
    EXPECT_NE(asset.source_path, removed);
    if (asset.source_path == directory + "/keyart.png") {
      EXPECT_EQ(asset.kind, core::AssetKind::keyart);
      EXPECT_FALSE(asset.sha256);
    } else {
      EXPECT_TRUE(asset.sha256) << asset.source_path;
    }
  }
  // And the next scan finds it unchanged again.
  EXPECT_EQ(counters(scan_library()).movies_updated, 0);
}

TEST_F(MovieDirectoryScan, ACancelledProbeIsNoErrorOfTheFile) {
  const std::string directory(movies().front().at("directory").as_string());
  std::stop_source stop;
  stop.request_stop();
  av::ProbeLimits limits;
  limits.stop = stop.get_token();
  EXPECT_THROW(scan::scan_movie_directory(root_, library_, directory, nullptr, {}, links(), limits),
               scan::ScanCancelled);
  limits.stop = {};
  const auto result = scan::scan_movie_directory(root_, library_, directory, nullptr, {}, links(), limits);
  EXPECT_TRUE(result.movie);
  EXPECT_TRUE(result.errors.empty());
}

TEST_F(MovieDirectoryScan, AProbeOverTheBudgetIsANotVideoErrorNamingTheBudget) {
  const std::string directory(movies().front().at("directory").as_string());
  av::ProbeLimits limits;
  limits.time_limit = std::chrono::milliseconds(0);  // spent before the first read
  const auto result = scan::scan_movie_directory(root_, library_, directory, nullptr, {}, links(), limits);
  EXPECT_FALSE(result.movie);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].kind, scan::MovieErrorKind::not_video);
  EXPECT_NE(result.errors[0].reason.find("reading took longer than the 0 s budget"), std::string::npos)
      << result.errors[0].reason;
}
