// Tests for `make-library --movies`: runs it for 40 movies into a temporary directory, then
// checks the manifest against the files on disk with tools independent of the generator:
// ffprobe for stream details, sha256sum for asset hashes, pugixml for the .nfo files, and a
// directory walk for the file set.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "run_command.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>
#include <pugixml.hpp>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int kMovies = 40;
constexpr int kSeed = 5;

using scanhub::tests::read_file;
using scanhub::tests::run;
using scanhub::tests::RunResult;

std::string str(const json::value& value) {
  return std::string(value.as_string());
}

bool has_video_extension(const fs::path& path) {
  static const std::set<std::string> kExtensions{".mkv", ".mp4", ".avi", ".m4v", ".mov"};
  return kExtensions.contains(path.extension().string());
}

// "Title (Year)" -> {"Title", Year}: what a scanner has when there is no usable .nfo.
std::pair<std::string, int> split_directory_name(const std::string& name) {
  const std::size_t open = name.rfind(" (");
  if (open == std::string::npos || !name.ends_with(")")) return {name, 0};
  return {name.substr(0, open), std::stoi(name.substr(open + 2, 4))};
}

class MovieLibraryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern = (fs::temp_directory_path() / "movie-library-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    scratch_ = pattern;
    root_ = scratch_ / "movies";
    const RunResult result =
        generate(root_, {"--movies", std::to_string(kMovies), "--seed", std::to_string(kSeed)});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    manifest_ = json::parse(read_file(root_ / "manifest.json")).as_object();
  }

  static void TearDownTestSuite() {
    std::error_code ignored;
    fs::remove_all(scratch_, ignored);
  }

  static RunResult generate(const fs::path& out, std::vector<std::string> args) {
    std::vector<std::string> argv{MAKE_LIBRARY_PATH, out.string(), "--template-cache",
                                  MAKE_LIBRARY_TEMPLATE_CACHE};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, scratch_);
  }

  static const json::array& movies() { return manifest_.at("movies").as_array(); }
  static const json::array& errors() { return manifest_.at("errors").as_array(); }
  static const json::object& totals() { return manifest_.at("totals").as_object(); }

  template <typename Predicate>
  static bool any_movie(Predicate predicate) {
    return std::any_of(movies().begin(), movies().end(),
                       [&](const json::value& v) { return predicate(v.as_object()); });
  }

  static std::vector<const json::object*> all_assets() {
    std::vector<const json::object*> assets;
    for (const json::value& movie : movies()) {
      for (const json::value& asset : movie.at("assets").as_array()) {
        assets.push_back(&asset.as_object());
      }
    }
    return assets;
  }

  static inline fs::path scratch_;
  static inline fs::path root_;
  static inline json::object manifest_;
};

TEST_F(MovieLibraryTest, ManifestListsExactlyTheFilesOnDisk) {
  EXPECT_EQ(manifest_.at("version"), 1);
  EXPECT_EQ(manifest_.at("kind"), "movies");
  EXPECT_EQ(manifest_.at("seed"), kSeed);
  ASSERT_EQ(movies().size(), static_cast<std::size_t>(kMovies));
  EXPECT_EQ(totals().at("movies"), kMovies);

  std::set<std::string> expected_files{"manifest.json"};
  std::set<std::string> expected_directories;
  std::set<std::string> no_video_directories;
  std::size_t nfos = 0;
  for (const json::value& value : movies()) {
    const json::object& movie = value.as_object();
    const std::string directory = str(movie.at("directory"));
    expected_directories.insert(directory);
    const std::string video = str(movie.at("video"));
    EXPECT_TRUE(video.starts_with(directory + "/")) << video;
    EXPECT_TRUE(has_video_extension(video)) << video;
    EXPECT_TRUE(expected_files.insert(video).second) << video;
    EXPECT_EQ(fs::file_size(root_ / video), movie.at("videoSize").to_number<std::uintmax_t>())
        << video;
    if (!movie.at("nfo").is_null()) {
      EXPECT_TRUE(expected_files.insert(str(movie.at("nfo"))).second);
      const std::string kind = str(movie.at("nfoKind"));
      nfos += kind == "valid" || kind == "unknown-tags" ? 1 : 0;
    }
    for (const json::value& asset : movie.at("assets").as_array()) {
      const std::string path = str(asset.at("path"));
      EXPECT_TRUE(path.starts_with(directory + "/")) << path;
      EXPECT_TRUE(expected_files.insert(path).second) << "listed twice: " << path;
    }
  }
  for (const json::value& value : errors()) {
    const std::string path = str(value.at("path"));
    if (value.at("kind") == "no-video") {
      no_video_directories.insert(path);
      expected_directories.insert(path);
    } else if (value.at("kind") != "broken-nfo") {
      expected_files.insert(path);
      expected_directories.insert(fs::path(path).parent_path().string());
    }
  }

  // Every regular file on disk is listed, except the leftovers of a directory with no video.
  std::set<std::string> disk_files;
  std::set<std::string> disk_directories;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root_)) {
    const std::string relative = fs::relative(entry.path(), root_).string();
    if (entry.is_directory()) {
      if (entry.path().parent_path() == root_) disk_directories.insert(relative);
      continue;
    }
    ASSERT_TRUE(entry.is_regular_file()) << relative;
    if (no_video_directories.contains(fs::path(relative).parent_path().string())) continue;
    disk_files.insert(relative);
  }
  EXPECT_EQ(disk_files, expected_files);
  EXPECT_EQ(disk_directories, expected_directories);

  std::set<std::string> listed_directories;
  for (const json::value& value : manifest_.at("directories").as_array()) {
    listed_directories.insert(str(value));
  }
  EXPECT_EQ(listed_directories, expected_directories);
  EXPECT_EQ(totals().at("directories"), expected_directories.size());
  EXPECT_EQ(totals().at("errors"), errors().size());
  EXPECT_EQ(totals().at("nfos"), nfos);

  std::map<std::string, std::size_t> by_kind;
  for (const json::object* asset : all_assets()) ++by_kind[str(asset->at("kind"))];
  EXPECT_EQ(totals().at("assets"), all_assets().size());
  for (const auto& [kind, count] : by_kind) {
    EXPECT_EQ(totals().at("assetsByKind").at(kind), count) << kind;
  }
  EXPECT_EQ(totals().at("assetsByKind").as_object().size(), by_kind.size());
}

TEST_F(MovieLibraryTest, AssetSizesAndHashesMatchSha256sum) {
  const std::vector<const json::object*> assets = all_assets();
  ASSERT_GT(assets.size(), static_cast<std::size_t>(kMovies));
  std::vector<std::string> argv{"sha256sum", "--"};
  for (const json::object* asset : assets)
    argv.push_back((root_ / str(asset->at("path"))).string());
  const RunResult result = run(argv, scratch_);
  ASSERT_EQ(result.exit_code, 0) << result.err;

  std::map<std::string, std::string> disk_hash;  // absolute path -> hash
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    ASSERT_GT(line.size(), 66u) << line;
    disk_hash[line.substr(66)] = line.substr(0, 64);
  }
  std::map<std::string, std::uintmax_t> distinct;
  std::map<std::string, std::set<std::string>> directories_by_hash;  // per kind + hash
  for (const json::object* asset : assets) {
    const fs::path path = root_ / str(asset->at("path"));
    EXPECT_EQ(disk_hash[path.string()], str(asset->at("sha256"))) << path;
    EXPECT_EQ(fs::file_size(path), asset->at("size").to_number<std::uintmax_t>()) << path;
    EXPECT_GT(fs::file_size(path), 0u) << path;
    distinct[disk_hash[path.string()]] = fs::file_size(path);
    directories_by_hash[str(asset->at("kind")) + " " + disk_hash[path.string()]].insert(
        fs::relative(path, root_).begin()->string());
  }
  EXPECT_EQ(totals().at("distinctAssetHashes"), distinct.size());
  std::uintmax_t distinct_bytes = 0;
  std::uintmax_t all_bytes = 0;
  for (const auto& [hash, size] : distinct) distinct_bytes += size;
  for (const json::object* asset : assets)
    all_bytes += asset->at("size").to_number<std::uintmax_t>();
  EXPECT_EQ(totals().at("distinctAssetBytes"), distinct_bytes);
  EXPECT_EQ(totals().at("assetBytes"), all_bytes);

  // Deliberate duplicates: one poster and one fanart stored under several movies.
  EXPECT_LT(distinct.size(), assets.size());
  for (const char* kind : {"poster", "fanart"}) {
    EXPECT_TRUE(std::any_of(directories_by_hash.begin(), directories_by_hash.end(),
                            [&](const auto& entry) {
                              return entry.first.starts_with(std::string(kind) + " ") &&
                                     entry.second.size() >= 2;
                            }))
        << "no " << kind << " shared by two movies";
  }
}

TEST_F(MovieLibraryTest, StreamDetailsAreWhatFfprobeReports) {
  // One movie per distinct stream layout (that is, per template), probed in parallel.
  std::map<std::string, const json::object*> sample;
  for (const json::value& value : movies()) {
    const json::object& movie = value.as_object();
    if (movie.at("nfoKind") == "broken") continue;
    sample.try_emplace(json::serialize(movie.at("streams")), &movie);
  }
  ASSERT_GE(sample.size(), 6u);
  std::vector<std::pair<const json::object*, std::future<RunResult>>> probes;
  for (const auto& [layout, movie] : sample) {
    const std::string path = "file:" + (root_ / str(movie->at("video"))).string();
    probes.emplace_back(movie, std::async(std::launch::async, [path] {
                          return run({"ffprobe", "-v", "error", "-show_format", "-show_streams",
                                      "-of", "json", path},
                                     scratch_);
                        }));
  }
  for (auto& [movie, future] : probes) {
    const RunResult result = future.get();
    const std::string video = str(movie->at("video"));
    ASSERT_EQ(result.exit_code, 0) << video << ": " << result.err;
    const json::object probe = json::parse(result.out).as_object();
    const json::object& want = movie->at("streams").as_object();
    const json::object& format = probe.at("format").as_object();
    EXPECT_EQ(format.at("format_name"), want.at("container")) << video;
    const double seconds = std::stod(str(format.at("duration")));
    EXPECT_EQ(std::llround(seconds * 1000), want.at("durationMs").to_number<std::int64_t>())
        << video;
    EXPECT_GE(seconds, 0.9) << video;
    EXPECT_LE(seconds, 2.2) << video;

    json::array audio;
    json::array subtitles;
    int video_streams = 0;
    for (const json::value& value : probe.at("streams").as_array()) {
      const json::object& stream = value.as_object();
      const auto* tags = stream.if_contains("tags");
      const json::value language =
          tags && tags->as_object().contains("language") ? tags->at("language") : nullptr;
      if (stream.at("codec_type") == "video") {
        ++video_streams;
        EXPECT_EQ(stream.at("codec_name"), want.at("video").at("codec")) << video;
        EXPECT_EQ(stream.at("width"), want.at("video").at("width")) << video;
        EXPECT_EQ(stream.at("height"), want.at("video").at("height")) << video;
      } else if (stream.at("codec_type") == "audio") {
        audio.push_back(json::object{{"codec", stream.at("codec_name")},
                                     {"channels", stream.at("channels")},
                                     {"language", language}});
      } else if (stream.at("codec_type") == "subtitle") {
        subtitles.push_back(json::object{{"codec", stream.at("codec_name")},
                                         {"language", language},
                                         {"forced", stream.at("disposition").at("forced") == 1}});
      }
    }
    EXPECT_EQ(video_streams, 1) << video;
    EXPECT_EQ(json::value(audio), want.at("audio")) << video;
    EXPECT_EQ(json::value(subtitles), want.at("subtitles")) << video;
  }
}

TEST_F(MovieLibraryTest, NfoFilesSayWhatTheManifestSays) {
  for (const json::value& value : movies()) {
    const json::object& movie = value.as_object();
    const std::string directory = str(movie.at("directory"));
    const std::string kind = str(movie.at("nfoKind"));
    SCOPED_TRACE(directory + " (" + kind + ")");
    if (kind == "none" || kind == "broken") {
      const auto [title, year] = split_directory_name(directory);
      EXPECT_EQ(movie.at("title"), json::value(title));
      EXPECT_EQ(movie.at("year"), year);
      for (const char* absent : {"originalTitle", "plot", "runtime", "tmdb", "imdb", "premiered"}) {
        EXPECT_TRUE(movie.at(absent).is_null()) << absent;
      }
      EXPECT_TRUE(movie.at("genres").as_array().empty());
    }
    if (kind == "none") {
      EXPECT_TRUE(movie.at("nfo").is_null());
      for (const fs::directory_entry& entry : fs::directory_iterator(root_ / directory)) {
        EXPECT_NE(entry.path().extension(), ".nfo") << entry.path();
      }
      continue;
    }
    const std::string nfo = str(movie.at("nfo"));
    const std::string stem = fs::path(str(movie.at("video"))).stem().string();
    EXPECT_TRUE(nfo == directory + "/movie.nfo" || nfo == directory + "/" + stem + ".nfo") << nfo;
    pugi::xml_document document;
    const pugi::xml_parse_result parsed = document.load_file((root_ / nfo).c_str());
    if (kind == "broken") {
      EXPECT_FALSE(parsed) << "a broken .nfo parses";
      continue;
    }
    ASSERT_TRUE(parsed) << parsed.description();
    const pugi::xml_node root = document.child("movie");
    ASSERT_TRUE(root);
    const auto text = [&](const char* name) -> json::value {
      const pugi::xml_node node = root.child(name);
      return node ? json::value(node.text().get()) : json::value(nullptr);
    };
    EXPECT_EQ(text("title"), movie.at("title"));
    EXPECT_EQ(text("originaltitle"), movie.at("originalTitle"));
    EXPECT_EQ(text("plot"), movie.at("plot"));
    EXPECT_EQ(text("premiered"), movie.at("premiered"));
    const int year = root.child("year") ? root.child("year").text().as_int()
                                        : std::stoi(root.child("premiered").text().get());
    EXPECT_EQ(movie.at("year"), year);
    EXPECT_EQ(root.child("runtime") ? json::value(root.child("runtime").text().as_int())
                                    : json::value(nullptr),
              movie.at("runtime"));
    json::array genres;
    for (const pugi::xml_node genre : root.children("genre")) genres.push_back(genre.text().get());
    EXPECT_EQ(json::value(genres), movie.at("genres"));
    json::value tmdb = nullptr;
    json::value imdb = nullptr;
    json::value default_id = nullptr;
    for (const pugi::xml_node id : root.children("uniqueid")) {
      const std::string type = id.attribute("type").value();
      if (type == "tmdb") tmdb = id.text().as_llong();
      if (type == "imdb") imdb = id.text().get();
      if (id.attribute("default").as_bool()) default_id = json::string(type);
    }
    EXPECT_EQ(tmdb, movie.at("tmdb"));
    EXPECT_EQ(imdb, movie.at("imdb"));
    EXPECT_EQ(default_id, movie.at("defaultUniqueId"));
  }
}

TEST_F(MovieLibraryTest, LibraryHoldsEachFeature) {
  std::set<std::string> containers, video_codecs, audio_codecs, asset_kinds, file_names;
  std::set<std::int64_t> channels;
  std::set<std::string> nfo_kinds;
  for (const json::value& value : movies()) {
    const json::object& streams = value.at("streams").as_object();
    containers.insert(str(streams.at("container")));
    video_codecs.insert(str(streams.at("video").at("codec")));
    for (const json::value& audio : streams.at("audio").as_array()) {
      audio_codecs.insert(str(audio.at("codec")));
      channels.insert(audio.at("channels").to_number<std::int64_t>());
    }
    nfo_kinds.insert(str(value.at("nfoKind")));
    for (const json::value& asset : value.at("assets").as_array()) {
      asset_kinds.insert(str(asset.at("kind")));
      file_names.insert(fs::path(str(asset.at("path"))).filename().string());
    }
  }
  EXPECT_EQ(containers, (std::set<std::string>{"avi", "matroska,webm", "mov,mp4,m4a,3gp,3g2,mj2"}));
  EXPECT_EQ(video_codecs, (std::set<std::string>{"h264", "mpeg4"}));
  EXPECT_EQ(audio_codecs, (std::set<std::string>{"aac", "ac3", "mp3"}));
  EXPECT_EQ(channels, (std::set<std::int64_t>{1, 2, 6}));
  EXPECT_EQ(nfo_kinds, (std::set<std::string>{"none", "valid", "unknown-tags", "broken"}));
  EXPECT_EQ(asset_kinds, (std::set<std::string>{"poster", "fanart", "landscape", "clearlogo",
                                                "extrafanart", "trailer", "subtitle"}));
  for (const char* name : {"poster.jpg", "folder.jpg", "fanart.jpg", "landscape.jpg",
                           "clearlogo.png", "fanart1.jpg"}) {
    EXPECT_TRUE(file_names.contains(name)) << name;
  }
  const auto any_name = [&](std::string_view suffix) {
    return std::any_of(file_names.begin(), file_names.end(), [&](const std::string& name) {
      return name.ends_with(suffix) && name.size() > suffix.size();
    });
  };
  for (const char* suffix : {"-poster.jpg", "-fanart.jpg", "-trailer.mp4", ".forced.srt"}) {
    EXPECT_TRUE(any_name(suffix)) << suffix;
  }
  EXPECT_TRUE(any_movie([](const json::object& m) {
    const json::array& audio = m.at("streams").at("audio").as_array();
    return audio.size() == 2 && audio[0].at("language") != audio[1].at("language");
  })) << "no movie with two audio languages";
  EXPECT_TRUE(any_movie([](const json::object& m) {
    const json::array& subs = m.at("streams").at("subtitles").as_array();
    return std::any_of(subs.begin(), subs.end(),
                       [](const json::value& s) { return s.at("forced") == true; });
  })) << "no embedded forced subtitle";
  EXPECT_TRUE(any_movie([](const json::object& m) {
    return !m.at("premiered").is_null() && m.at("nfoKind") == "valid";
  }));
  EXPECT_TRUE(any_movie([](const json::object& m) {
    return m.at("nfo").is_string() && !m.at("nfo").as_string().ends_with("/movie.nfo");
  })) << "no <video name>.nfo";
  EXPECT_TRUE(any_movie([](const json::object& m) { return m.at("assets").as_array().empty(); }));
  EXPECT_TRUE(any_movie([](const json::object& m) { return m.at("defaultUniqueId") == "imdb"; }));
  EXPECT_TRUE(any_movie([](const json::object& m) {
    const std::string_view dir = m.at("directory").as_string();
    return std::any_of(dir.begin(), dir.end(), [](char c) { return (c & 0x80) != 0; });
  })) << "no non-ASCII directory";
  EXPECT_TRUE(any_movie([](const json::object& m) {
    return m.at("title").is_string() && m.at("title").as_string().find('&') != std::string::npos &&
           m.at("nfoKind") == "valid";
  })) << "no title that needs XML escaping";
}

TEST_F(MovieLibraryTest, BadCasesAreWhatTheyClaim) {
  std::set<std::string> kinds;
  for (const json::value& value : errors()) {
    const std::string kind = str(value.at("kind"));
    const fs::path path = root_ / str(value.at("path"));
    SCOPED_TRACE(path.string() + " (" + kind + ")");
    kinds.insert(kind);
    if (kind == "not-video") {
      EXPECT_TRUE(has_video_extension(path));
      EXPECT_GT(fs::file_size(path), 0u);
      EXPECT_NE(run({"ffprobe", "-v", "error", "file:" + path.string()}, scratch_).exit_code, 0)
          << "ffprobe accepts it";
    } else if (kind == "zero-byte") {
      EXPECT_TRUE(has_video_extension(path));
      EXPECT_EQ(fs::file_size(path), 0u);
    } else if (kind == "no-video") {
      ASSERT_TRUE(fs::is_directory(path));
      bool has_files = false;
      for (const fs::directory_entry& entry : fs::recursive_directory_iterator(path)) {
        EXPECT_FALSE(has_video_extension(entry.path())) << entry.path();
        has_files = true;
      }
      EXPECT_TRUE(has_files) << "the directory looks like a movie's: .nfo and poster";
    } else if (kind == "broken-nfo") {
      pugi::xml_document document;
      EXPECT_FALSE(document.load_file(path.c_str()));
      // The movie itself is still there, named by its directory.
      EXPECT_TRUE(any_movie([&](const json::object& m) {
        return m.at("nfo") == value.at("path") && m.at("nfoKind") == "broken";
      }));
    } else {
      ADD_FAILURE() << "unknown kind";
    }
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"broken-nfo", "not-video", "zero-byte", "no-video"}));
}

TEST_F(MovieLibraryTest, SameSeedGivesSameLibrary) {
  const fs::path again = scratch_ / "again";
  const RunResult result =
      generate(again, {"--movies", std::to_string(kMovies), "--seed", std::to_string(kSeed)});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // The manifest holds every path, size and asset hash, so equal manifests mean equal assets.
  EXPECT_EQ(read_file(again / "manifest.json"), read_file(root_ / "manifest.json"));
  for (const json::value& movie : movies()) {
    const std::string video = str(movie.at("video"));
    EXPECT_EQ(read_file(again / video), read_file(root_ / video)) << video;
    if (movie.at("nfo").is_string()) {
      const std::string nfo = str(movie.at("nfo"));
      EXPECT_EQ(read_file(again / nfo), read_file(root_ / nfo)) << nfo;
    }
  }

  const fs::path other = scratch_ / "other";
  const RunResult other_result =
      generate(other, {"--movies", std::to_string(kMovies), "--seed", std::to_string(kSeed + 1)});
  ASSERT_EQ(other_result.exit_code, 0) << other_result.err;
  EXPECT_NE(read_file(other / "manifest.json"), read_file(root_ / "manifest.json"));
}

TEST_F(MovieLibraryTest, NoBadLeavesOutBadCases) {
  const fs::path clean = scratch_ / "clean";
  const RunResult result = generate(clean, {"--movies", "12", "--seed", "9", "--no-bad"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json::object manifest = json::parse(read_file(clean / "manifest.json")).as_object();
  const json::array& clean_movies = manifest.at("movies").as_array();
  EXPECT_EQ(clean_movies.size(), 12u);
  EXPECT_TRUE(manifest.at("errors").as_array().empty());
  EXPECT_EQ(manifest.at("totals").at("errors"), 0);
  std::set<std::string> movie_directories;
  for (const json::value& movie : clean_movies) {
    EXPECT_NE(movie.at("nfoKind"), "broken");
    movie_directories.insert(str(movie.at("directory")));
  }
  std::set<std::string> disk_directories;
  for (const fs::directory_entry& entry : fs::directory_iterator(clean)) {
    if (entry.is_directory()) disk_directories.insert(entry.path().filename().string());
  }
  EXPECT_EQ(disk_directories, movie_directories);
}

TEST_F(MovieLibraryTest, BadUsageGetsOneLineAndExitTwo) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--movies", "5", "--tracks", "5"},
        std::vector<std::string>{"--movies", "0"}, std::vector<std::string>{"--movies", "many"}}) {
    const RunResult result = generate(scratch_ / "unused", args);
    EXPECT_EQ(result.exit_code, 2) << args[0] << " " << args[1];
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_FALSE(fs::exists(scratch_ / "unused" / "manifest.json"));
  }
}

}  // namespace
