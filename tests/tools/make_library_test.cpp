// Tests for tools/make-library: runs it for 60 tracks into a temporary directory, then checks
// its manifest against the files on disk, using ffprobe (not TagLib, which the tool writes
// with) for tags, codec, sample rate, channels and duration.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "run_command.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int kTracks = 60;
constexpr int kSeed = 3;
constexpr double kDurationToleranceMs = 50.0;

using scanhub::tests::read_file;
using scanhub::tests::run;
using scanhub::tests::RunResult;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool has_audio_extension(const std::string& name) {
  static const std::set<std::string> kExtensions{".mp3", ".flac", ".ogg",  ".oga", ".opus",
                                                 ".m4a", ".mp4",  ".aac",  ".wav", ".wv",
                                                 ".ape", ".mpc",  ".aiff", ".aif", ".wma"};
  const auto dot = name.rfind('.');
  return dot != std::string::npos && kExtensions.contains(lower(name.substr(dot)));
}

std::string unhex(std::string_view hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return (c & 0x80) == 0; });
}

// Audio-extension entries and directories holding one, by the manifest's rules: symlinks are
// entries, never followed; hidden entries and .scanignore directories are skipped.
struct Walk {
  std::set<std::string> audio_entries;  // raw relative paths
  int directories_with_audio = 0;
};

Walk walk(const fs::path& root) {
  Walk result;
  std::vector<fs::path> pending{root};
  while (!pending.empty()) {
    const fs::path dir = pending.back();
    pending.pop_back();
    bool has_audio = false;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with('.')) continue;
      if (entry.is_directory() && !entry.is_symlink()) {
        if (!fs::exists(entry.path() / ".scanignore")) pending.push_back(entry.path());
      } else if (has_audio_extension(name)) {
        has_audio = true;
        result.audio_entries.insert(fs::relative(entry.path(), root).string());
      }
    }
    result.directories_with_audio += has_audio ? 1 : 0;
  }
  return result;
}

class MakeLibraryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern = (fs::temp_directory_path() / "make-library-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    scratch_ = pattern;
    root_ = scratch_ / "library";
    const RunResult result =
        run({MAKE_LIBRARY_PATH, root_.string(), "--tracks", std::to_string(kTracks), "--seed",
             std::to_string(kSeed), "--template-cache", MAKE_LIBRARY_TEMPLATE_CACHE},
            scratch_);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    manifest_ = json::parse(read_file(root_ / "manifest.json")).as_object();
  }

  static void TearDownTestSuite() {
    std::error_code ignored;
    fs::remove_all(scratch_, ignored);
  }

  static const json::array& tracks() { return manifest_.at("tracks").as_array(); }
  static const json::array& errors() { return manifest_.at("errors").as_array(); }
  static std::string str(const json::value& value) { return std::string(value.as_string()); }

  // ffprobe's view of one file: the first audio stream, tags of format and streams merged
  // with lower-case keys, and whether any stream is an attached picture.
  struct Probe {
    int exit_code = -1;
    json::object audio;
    json::object format;
    std::map<std::string, std::string> tags;
    bool attached_picture = false;
  };

  static Probe probe(const fs::path& path) {
    Probe probe;
    const RunResult result = run({"ffprobe", "-v", "error", "-show_format", "-show_streams", "-of",
                                  "json", "file:" + path.string()},
                                 scratch_);
    probe.exit_code = result.exit_code;
    if (result.exit_code != 0) return probe;
    const json::object root = json::parse(result.out).as_object();
    probe.format = root.at("format").as_object();
    for (const json::value& stream : root.at("streams").as_array()) {
      const json::object& s = stream.as_object();
      if (s.at("codec_type").as_string() == "audio" && probe.audio.empty()) probe.audio = s;
      if (const auto* d = s.if_contains("disposition");
          d && d->as_object().at("attached_pic") == 1) {
        probe.attached_picture = true;
      }
      if (const auto* tags = s.if_contains("tags")) {
        for (const auto& [key, value] : tags->as_object()) probe.tags[lower(key)] = str(value);
      }
    }
    if (const auto* tags = probe.format.if_contains("tags")) {
      for (const auto& [key, value] : tags->as_object()) probe.tags[lower(key)] = str(value);
    }
    return probe;
  }

  static inline fs::path scratch_;
  static inline fs::path root_;
  static inline json::object manifest_;
};

TEST_F(MakeLibraryTest, ManifestCountsAddUp) {
  EXPECT_EQ(manifest_.at("version"), 1);
  EXPECT_EQ(manifest_.at("seed"), kSeed);
  ASSERT_EQ(tracks().size(), static_cast<std::size_t>(kTracks));

  std::map<std::string, int> per_codec;
  std::map<std::string, int> per_tagger;
  std::set<std::string> paths;
  std::map<std::string, std::set<std::string>> albums_by_title;
  for (const json::value& value : tracks()) {
    const json::object& track = value.as_object();
    const std::string path = str(track.at("path"));
    ++per_codec[str(track.at("codec"))];
    ++per_tagger[str(track.at("taggedBy"))];
    EXPECT_TRUE(paths.insert(path).second) << "duplicate " << path;
    EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(root_ / path))) << path;
    albums_by_title[str(track.at("title"))].insert(str(track.at("album")));
  }
  EXPECT_EQ(per_codec.size(), 5u);
  for (const auto& [codec, count] : per_codec) {
    EXPECT_GE(count, kTracks / 5 / 2) << codec;  // roughly equal shares
  }
  EXPECT_NEAR(per_tagger["ffmpeg"], kTracks * 0.3, kTracks * 0.05);
  EXPECT_EQ(per_tagger["ffmpeg"] + per_tagger["taglib"], kTracks);
  EXPECT_TRUE(std::any_of(albums_by_title.begin(), albums_by_title.end(), [](const auto& entry) {
    return entry.second.size() > 1;
  })) << "no title is shared by two albums";

  // An album per track directory, holding exactly its tracks; its art files are on disk with
  // the listed size (JPEG bytes, the corrupt one cut short), an embedded cover names one of its
  // tracks that has one; the totals add up.
  std::set<std::string> embedded_tracks;
  for (const json::value& value : tracks()) {
    if (value.at("embeddedCover") == true) embedded_tracks.insert(str(value.at("path")));
  }
  std::map<std::string, int> tracks_per_directory;
  for (const std::string& path : paths) ++tracks_per_directory[fs::path(path).parent_path().string()];
  std::set<std::string> kinds;
  std::set<std::string> hashes;
  std::int64_t art_count = 0;
  const auto& albums = manifest_.at("albums").as_array();
  ASSERT_EQ(albums.size(), tracks_per_directory.size());
  for (const json::value& value : albums) {
    const std::string directory = str(value.at("path"));
    EXPECT_EQ(value.at("trackCount"), tracks_per_directory[directory]) << directory;
    for (const json::value& art : value.at("art").as_array()) {
      const std::string path = str(art.at("path"));
      EXPECT_EQ(fs::path(path).parent_path().string(), directory) << path;
      kinds.insert(str(art.at("kind")) + "/" + str(art.at("source")));
      hashes.insert(str(art.at("sha256")));
      ++art_count;
      if (art.at("source") == "file") {
        const std::string bytes = read_file(root_ / path);
        EXPECT_EQ(static_cast<std::int64_t>(bytes.size()), art.at("size").to_number<std::int64_t>()) << path;
        EXPECT_EQ(bytes.substr(0, 2), "\xFF\xD8") << path;
      } else {
        EXPECT_TRUE(embedded_tracks.contains(path)) << path;
      }
    }
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"back/file", "cover/embedded", "cover/file"}));
  const json::object& totals = manifest_.at("albumTotals").as_object();
  EXPECT_EQ(totals.at("albums"), albums.size());
  EXPECT_EQ(totals.at("assets"), art_count);
  EXPECT_EQ(totals.at("distinctAssetHashes"), hashes.size());
  EXPECT_LT(hashes.size(), static_cast<std::size_t>(art_count)) << "no art shared by two albums";

  // The disk holds exactly the tracks and the file-like errors, and the directory count.
  const Walk disk = walk(root_);
  std::set<std::string> expected = paths;
  for (const json::value& value : errors()) {
    const json::object& error = value.as_object();
    if (error.at("kind") == "symlink-loop") continue;
    expected.insert(error.contains("pathHex") ? unhex(error.at("pathHex").as_string())
                                              : str(error.at("path")));
  }
  EXPECT_EQ(disk.audio_entries, expected);
  EXPECT_EQ(manifest_.at("directoriesWithAudio"), disk.directories_with_audio);

  // Ignored files exist, look like audio, and sit where a scanner must not look.
  const json::array& ignored = manifest_.at("ignored").as_array();
  EXPECT_GE(ignored.size(), 3u);
  for (const json::value& value : ignored) {
    const fs::path path = root_ / str(value);
    EXPECT_TRUE(fs::exists(fs::symlink_status(path))) << path;
    EXPECT_TRUE(has_audio_extension(path.filename().string())) << path;
    const std::string relative = str(value);
    const bool hidden = relative.starts_with('.') || relative.find("/.") != std::string::npos;
    EXPECT_TRUE(hidden || fs::exists(path.parent_path() / ".scanignore")) << path;
    EXPECT_FALSE(paths.contains(relative)) << path;
  }
}

TEST_F(MakeLibraryTest, LibraryHoldsEachFeature) {
  auto any = [](auto predicate) {
    return std::any_of(tracks().begin(), tracks().end(),
                       [&](const json::value& v) { return predicate(v.as_object()); });
  };
  for (const char* field : {"year", "trackNumber", "albumArtist", "genre", "discNumber"}) {
    EXPECT_TRUE(any([&](const json::object& t) { return t.at(field).is_null(); })) << field;
  }
  EXPECT_TRUE(any([](const json::object& t) { return t.at("discNumber") == 2; }));
  EXPECT_TRUE(any([](const json::object& t) {
    return t.at("albumArtist") == "Various Artists" && t.at("artist") != "Various Artists";
  }));
  EXPECT_TRUE(any([](const json::object& t) { return t.at("embeddedCover") == true; }));
  EXPECT_TRUE(any([](const json::object& t) { return t.at("channels") == 1; }));
  EXPECT_TRUE(any([](const json::object& t) { return t.at("sampleRate") == 44100; }));
  EXPECT_TRUE(any([](const json::object& t) { return t.at("sampleRate") == 48000; }));
  EXPECT_TRUE(any([](const json::object& t) { return !is_ascii(t.at("path").as_string()); }));
}

TEST_F(MakeLibraryTest, SampledTracksMatchFfprobe) {
  // One track per (codec, taggedBy), plus the first with each absent field, with a cover (per
  // codec), on a second disc and on a compilation.
  std::map<std::string, const json::object*> sample;
  for (const json::value& value : tracks()) {
    const json::object& t = value.as_object();
    sample.try_emplace(str(t.at("codec")) + "/" + str(t.at("taggedBy")), &t);
    for (const char* field : {"year", "trackNumber", "albumArtist", "genre"}) {
      if (t.at(field).is_null()) sample.try_emplace(std::string("null ") + field, &t);
    }
    if (t.at("embeddedCover") == true) sample.try_emplace("cover " + str(t.at("codec")), &t);
    if (t.at("discNumber") == 2) sample.try_emplace("disc 2", &t);
    if (t.at("albumArtist") == "Various Artists") sample.try_emplace("compilation", &t);
  }
  ASSERT_GE(sample.size(), 10u + 4u + 2u);

  std::vector<std::pair<const json::object*, std::future<Probe>>> probes;
  for (const auto& [why, track] : sample) {
    probes.emplace_back(track,
                        std::async(std::launch::async, probe, root_ / str(track->at("path"))));
  }
  const std::vector<std::pair<const char*, const char*>> kTagKeys{
      {"title", "title"},       {"artist", "artist"},
      {"album", "album"},       {"albumArtist", "album_artist"},
      {"trackNumber", "track"}, {"discNumber", "disc"},
      {"year", "date"},         {"genre", "genre"}};
  for (auto& [track, future] : probes) {
    const Probe p = future.get();
    const std::string path = str(track->at("path"));
    ASSERT_EQ(p.exit_code, 0) << path;
    ASSERT_FALSE(p.audio.empty()) << path;
    for (const auto& [field, key] : kTagKeys) {
      const json::value& want = track->at(field);
      const auto got = p.tags.find(key);
      if (want.is_null()) {
        EXPECT_EQ(got, p.tags.end()) << path << ": " << field << " should be absent";
        continue;
      }
      ASSERT_NE(got, p.tags.end()) << path << ": no " << key;
      // Numbers must read back as plain numbers ("3", not "3/12").
      const std::string expected = want.is_string() ? str(want) : json::serialize(want);
      EXPECT_EQ(got->second, expected) << path << ": " << field;
    }
    EXPECT_EQ(p.audio.at("codec_name"), track->at("codec")) << path;
    EXPECT_EQ(std::stoi(str(p.audio.at("sample_rate"))), track->at("sampleRate")) << path;
    EXPECT_EQ(p.audio.at("channels"), track->at("channels")) << path;
    const double duration_ms = std::stod(str(p.format.at("duration"))) * 1000.0;
    EXPECT_NEAR(duration_ms, track->at("durationMs").to_number<double>(), kDurationToleranceMs)
        << path;
    EXPECT_EQ(p.attached_picture, track->at("embeddedCover") == true) << path;
  }
}

TEST_F(MakeLibraryTest, ErrorEntriesExistAsDescribed) {
  std::set<std::string> kinds;
  for (const json::value& value : errors()) {
    const json::object& error = value.as_object();
    const std::string kind = str(error.at("kind"));
    kinds.insert(kind);
    const fs::path path =
        root_ / (error.contains("pathHex") ? unhex(error.at("pathHex").as_string())
                                           : str(error.at("path")));
    struct stat info {};
    ASSERT_EQ(lstat(path.c_str(), &info), 0) << path;
    SCOPED_TRACE(path.string() + " (" + kind + ")");
    if (kind == "zero-byte") {
      EXPECT_TRUE(S_ISREG(info.st_mode));
      EXPECT_EQ(info.st_size, 0);
    } else if (kind == "not-audio" || kind == "truncated" || kind == "corrupt") {
      EXPECT_TRUE(S_ISREG(info.st_mode));
      EXPECT_GT(info.st_size, 0);
      EXPECT_NE(probe(path).exit_code, 0) << "ffprobe accepts it";
      const std::string head = read_file(path).substr(0, 4);
      if (kind == "corrupt") {
        EXPECT_EQ(head, "OggS");
      }
      if (kind == "not-audio") {
        EXPECT_TRUE(is_ascii(read_file(path)));
      }
      if (kind == "truncated" && path.extension() == ".m4a") {
        EXPECT_EQ(read_file(path).find("moov"), std::string::npos);
      }
      if (kind == "truncated" && path.extension() == ".flac") {
        EXPECT_EQ(head, "fLaC");
        EXPECT_LT(info.st_size, 42);  // "fLaC" + block header + 34-byte STREAMINFO
      }
    } else if (kind == "fifo") {
      EXPECT_TRUE(S_ISFIFO(info.st_mode));  // never opened: that would block
    } else if (kind == "dangling-symlink") {
      EXPECT_TRUE(S_ISLNK(info.st_mode));
      EXPECT_FALSE(fs::exists(path));
    } else if (kind == "symlink-loop") {
      EXPECT_TRUE(S_ISLNK(info.st_mode));
      // The link resolves to a directory that contains the link: following it never ends.
      const fs::path target = fs::canonical(path);
      const fs::path holder = fs::canonical(path.parent_path());
      const auto [end, unused] =
          std::mismatch(target.begin(), target.end(), holder.begin(), holder.end());
      EXPECT_EQ(end, target.end()) << target << " is not an ancestor of " << holder;
    } else if (kind == "non-utf8-name") {
      EXPECT_TRUE(S_ISREG(info.st_mode));
      EXPECT_FALSE(is_ascii(path.filename().string()));
      std::string shown = path.filename().string();
      for (std::size_t i = 0; i < shown.size(); ++i) {
        if (static_cast<unsigned char>(shown[i]) == 0xE9) shown.replace(i, 1, "\xEF\xBF\xBD");
      }
      EXPECT_TRUE(str(error.at("path")).ends_with("/" + shown));
      EXPECT_EQ(probe(path).exit_code, 0) << "the file itself is valid audio";
    } else {
      ADD_FAILURE() << "unknown kind";
    }
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"zero-byte", "not-audio", "truncated", "corrupt", "fifo",
                                          "dangling-symlink", "symlink-loop", "non-utf8-name"}));
}

TEST_F(MakeLibraryTest, SameSeedGivesSameManifest) {
  const fs::path again = scratch_ / "again";
  const RunResult result =
      run({MAKE_LIBRARY_PATH, again.string(), "--tracks", std::to_string(kTracks), "--seed",
           std::to_string(kSeed), "--template-cache", MAKE_LIBRARY_TEMPLATE_CACHE},
          scratch_);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(read_file(again / "manifest.json"), read_file(root_ / "manifest.json"));
}

TEST_F(MakeLibraryTest, RefusesNonEmptyDirectoryWithOneLineError) {
  const RunResult refused = run({MAKE_LIBRARY_PATH, root_.string(), "--tracks", "5"}, scratch_);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_FALSE(refused.err.empty());
  EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;

  const RunResult bad_usage = run({MAKE_LIBRARY_PATH, "--tracks", "many"}, scratch_);
  EXPECT_NE(bad_usage.exit_code, 0);
  EXPECT_EQ(std::count(bad_usage.err.begin(), bad_usage.err.end(), '\n'), 1) << bad_usage.err;
}

TEST_F(MakeLibraryTest, NoBadLeavesOutErrorsAndTraps) {
  const fs::path clean = scratch_ / "clean";
  const RunResult result = run({MAKE_LIBRARY_PATH, clean.string(), "--tracks", "12", "--seed", "9",
                                "--no-bad", "--template-cache", MAKE_LIBRARY_TEMPLATE_CACHE},
                               scratch_);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json::object manifest = json::parse(read_file(clean / "manifest.json")).as_object();
  EXPECT_EQ(manifest.at("tracks").as_array().size(), 12u);
  EXPECT_TRUE(manifest.at("errors").as_array().empty());
  EXPECT_TRUE(manifest.at("ignored").as_array().empty());
  EXPECT_EQ(walk(clean).audio_entries.size(), 12u);
}

}  // namespace
