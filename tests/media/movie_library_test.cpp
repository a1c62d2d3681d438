// The movie readers against a real Kodi-layout library made by tools/make-library --movies and
// its manifest (tools/make-library/README.md, "Movie manifest"), whose stream details come from
// ffprobe and whose nfo fields and asset lists come from the generator, not from these readers.

#include "media/movie_files.hpp"
#include "media/nfo.hpp"
#include "media/video_probe.hpp"
#include "ffmpeg_files.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

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

class MovieLibrary : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Keyed by make-library's build time: a rebuilt generator makes a new library.
    const auto built = static_cast<std::uint64_t>(
        fs::last_write_time(SCANHUB_MAKE_LIBRARY).time_since_epoch().count());
    root_ = test::cached_fixture_dir(SCANHUB_MEDIA_FIXTURE_CACHE,
                                     "movie-library-40-5-" + std::to_string(built),
                                     make_library) / "library";
    std::ifstream in(root_ / "manifest.json");
    std::stringstream text;
    text << in.rdbuf();
    manifest_ = json::parse(text.str()).as_object();
  }

  static bool make_library(const fs::path& dir) {
    std::vector<std::string> args{SCANHUB_MAKE_LIBRARY, (dir / "library").string(), "--movies",
                                  "40", "--seed", "5", "--template-cache",
                                  SCANHUB_MOVIE_TEMPLATE_CACHE};
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

  static const json::array& movies() { return manifest_.at("movies").as_array(); }

  static fs::path root_;
  static json::object manifest_;
};

fs::path MovieLibrary::root_;
json::object MovieLibrary::manifest_;

}  // namespace

TEST_F(MovieLibrary, ClassificationFindsTheManifestsVideoNfoAndAssets) {
  ASSERT_EQ(movies().size(), 40u);
  for (const json::value& value : movies()) {
    const json::object& movie = value.as_object();
    const std::string directory(movie.at("directory").as_string());
    SCOPED_TRACE(directory);
    const auto entries = media::list_movie_directory(root_ / directory);
    const media::MovieFiles files = media::classify_movie_directory(directory, entries);
    const auto in_directory = [&](const std::string& name) { return directory + "/" + name; };

    ASSERT_TRUE(files.video);
    EXPECT_EQ(in_directory(*files.video), movie.at("video").as_string());
    EXPECT_EQ(files.nfo ? std::optional(in_directory(*files.nfo)) : std::nullopt,
              opt_string(movie, "nfo"));

    std::set<std::string> expected, found;
    for (const json::value& asset : movie.at("assets").as_array()) {
      const json::object& a = asset.as_object();
      std::string key = std::string(a.at("path").as_string()) + " " + std::string(a.at("kind").as_string());
      if (a.at("kind").as_string() == "subtitle") {
        key += " " + opt_string(a, "language").value_or("-") + (a.at("forced").as_bool() ? " forced" : "");
      }
      expected.insert(key);
    }
    for (const auto& asset : files.assets) {
      found.insert(in_directory(asset.name) + " " + std::string(media::to_string(asset.kind)));
    }
    for (const auto& trailer : files.trailers) found.insert(in_directory(trailer) + " trailer");
    for (const auto& subtitle : files.subtitles) {
      found.insert(in_directory(subtitle.name) + " subtitle " + subtitle.language.value_or("-") +
                   (subtitle.is_forced ? " forced" : ""));
    }
    EXPECT_EQ(found, expected);

    if (movie.at("nfoKind").as_string() == "none" || movie.at("nfoKind").as_string() == "broken") {
      EXPECT_EQ(files.title_from_name, opt_string(movie, "title"));
      EXPECT_EQ(files.year_from_name, opt_int(movie, "year"));
    }
  }
}

TEST_F(MovieLibrary, NfoFieldsMatchTheManifest) {
  int parsed_count = 0;
  for (const json::value& value : movies()) {
    const json::object& movie = value.as_object();
    const auto nfo_path = opt_string(movie, "nfo");
    if (!nfo_path) continue;
    SCOPED_TRACE(*nfo_path);
    const auto parsed = media::read_movie_nfo(root_ / *nfo_path);
    if (movie.at("nfoKind").as_string() == "broken") {
      EXPECT_FALSE(parsed) << "a cut-off nfo is an error";
      continue;
    }
    ASSERT_TRUE(parsed) << parsed.error().message;
    ASSERT_TRUE(parsed->movie);
    const media::MovieNfo& nfo = *parsed->movie;
    ++parsed_count;
    EXPECT_EQ(nfo.title, opt_string(movie, "title"));
    EXPECT_EQ(nfo.original_title, opt_string(movie, "originalTitle"));
    EXPECT_EQ(nfo.year, opt_int(movie, "year"));
    EXPECT_EQ(nfo.premiered, opt_string(movie, "premiered"));
    EXPECT_EQ(nfo.plot, opt_string(movie, "plot"));
    EXPECT_EQ(nfo.runtime_minutes, opt_int(movie, "runtime"));
    std::vector<std::string> genres;
    for (const auto& genre : movie.at("genres").as_array()) genres.emplace_back(genre.as_string());
    EXPECT_EQ(nfo.genres, genres);
    const auto tmdb = opt_int(movie, "tmdb");
    EXPECT_EQ(nfo.tmdb_id, tmdb ? std::optional(std::to_string(*tmdb)) : std::nullopt);
    EXPECT_EQ(nfo.imdb_id, opt_string(movie, "imdb"));
    std::optional<std::string> default_id;
    for (const auto& id : nfo.unique_ids) {
      if (id.is_default) default_id = id.type;
    }
    EXPECT_EQ(default_id, opt_string(movie, "defaultUniqueId"));
  }
  EXPECT_GT(parsed_count, 30);
}

TEST_F(MovieLibrary, ProbeMatchesFfprobesStreams) {
  for (const json::value& value : movies()) {
    const json::object& movie = value.as_object();
    const std::string video(movie.at("video").as_string());
    SCOPED_TRACE(video);
    const json::object& streams = movie.at("streams").as_object();
    const media::VideoInfo info = media::probe_video(root_ / video);
    EXPECT_EQ(info.container, streams.at("container").as_string());
    ASSERT_TRUE(info.duration_ms);
    EXPECT_NEAR(*info.duration_ms, streams.at("durationMs").to_number<std::int64_t>(), 1);
    const json::object& v = streams.at("video").as_object();
    ASSERT_EQ(info.video.size(), 1u);
    EXPECT_EQ(info.video[0].codec, v.at("codec").as_string());
    EXPECT_EQ(info.video[0].width, v.at("width").to_number<int>());
    EXPECT_EQ(info.video[0].height, v.at("height").to_number<int>());
    const json::array& audio = streams.at("audio").as_array();
    ASSERT_EQ(info.audio.size(), audio.size());
    for (std::size_t i = 0; i < audio.size(); ++i) {
      const json::object& a = audio[i].as_object();
      EXPECT_EQ(info.audio[i].codec, a.at("codec").as_string());
      EXPECT_EQ(info.audio[i].channels, a.at("channels").to_number<int>());
      EXPECT_EQ(info.audio[i].language, opt_string(a, "language"));
    }
    const json::array& subtitles = streams.at("subtitles").as_array();
    ASSERT_EQ(info.subtitles.size(), subtitles.size());
    for (std::size_t i = 0; i < subtitles.size(); ++i) {
      const json::object& s = subtitles[i].as_object();
      EXPECT_EQ(info.subtitles[i].codec, s.at("codec").as_string());
      EXPECT_EQ(info.subtitles[i].language, opt_string(s, "language"));
      EXPECT_EQ(info.subtitles[i].is_forced, s.at("forced").as_bool());
    }
  }
}

TEST_F(MovieLibrary, BadCasesAreErrorsNotCrashes) {
  std::map<std::string, std::string> errors;  // path -> kind
  for (const json::value& error : manifest_.at("errors").as_array()) {
    errors[std::string(error.at("path").as_string())] = error.at("kind").as_string();
  }
  ASSERT_EQ(errors.size(), 4u);
  for (const auto& [path, kind] : errors) {
    SCOPED_TRACE(path);
    if (kind == "not-video" || kind == "zero-byte") {
      const fs::path file = root_ / path;
      const auto files = media::classify_movie_directory(
          file.parent_path().filename().string(), media::list_movie_directory(file.parent_path()));
      EXPECT_EQ(files.video, file.filename().string()) << "chosen by name, refused by the probe";
      EXPECT_THROW(media::probe_video(file), media::ReadError);
    } else if (kind == "no-video") {
      const auto files = media::classify_movie_directory(path, media::list_movie_directory(root_ / path));
      EXPECT_FALSE(files.video);
    } else if (kind == "broken-nfo") {
      const auto parsed = media::read_movie_nfo(root_ / path);
      ASSERT_FALSE(parsed);
      EXPECT_GE(parsed.error().offset, 0);
    } else {
      ADD_FAILURE() << "unknown error kind " << kind;
    }
  }
}
