#pragma once
// A real music library made by tools/make-library (ffmpeg + TagLib), and its manifest: the
// truth a correct scan must find. Encoded templates are cached in the build tree, so a fresh
// library costs a copy and tagging, not an encode.

#include "support/temp_dir.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace scanhub::test {

struct ManifestTrack {
  std::string path;
  std::optional<std::string> title, artist, album, album_artist, genre;
  std::optional<std::int64_t> track_number, disc_number, year;
  std::int64_t duration_ms = 0, sample_rate = 0, channels = 0;
  std::string codec;
};

struct Manifest {
  std::vector<ManifestTrack> tracks;
  std::vector<std::string> error_paths;
  std::vector<std::string> ignored;
  std::int64_t directories_with_audio = 0;
};

inline std::optional<std::string> optional_string(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  return std::string(v->as_string());
}

inline std::optional<std::int64_t> optional_int(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  return v->to_number<std::int64_t>();
}

inline Manifest load_manifest(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const auto root = boost::json::parse(text.str()).as_object();
  Manifest m;
  for (const auto& t : root.at("tracks").as_array()) {
    const auto& o = t.as_object();
    ManifestTrack track;
    track.path = std::string(o.at("path").as_string());
    track.title = optional_string(o, "title");
    track.artist = optional_string(o, "artist");
    track.album = optional_string(o, "album");
    track.album_artist = optional_string(o, "albumArtist");
    track.genre = optional_string(o, "genre");
    track.track_number = optional_int(o, "trackNumber");
    track.disc_number = optional_int(o, "discNumber");
    track.year = optional_int(o, "year");
    track.duration_ms = o.at("durationMs").to_number<std::int64_t>();
    track.sample_rate = o.at("sampleRate").to_number<std::int64_t>();
    track.channels = o.at("channels").to_number<std::int64_t>();
    track.codec = std::string(o.at("codec").as_string());
    m.tracks.push_back(std::move(track));
  }
  for (const auto& e : root.at("errors").as_array()) {
    m.error_paths.emplace_back(e.as_object().at("path").as_string());
  }
  for (const auto& i : root.at("ignored").as_array()) m.ignored.emplace_back(i.as_string());
  m.directories_with_audio = root.at("directoriesWithAudio").to_number<std::int64_t>();
  return m;
}

/// Runs make-library into `directory` (must not exist). Throws when it fails.
inline Manifest make_library(const std::filesystem::path& directory, int tracks, int seed = 7,
                             bool bad_files = true) {
  std::string command = std::string(SCANHUB_MAKE_LIBRARY) + " '" + directory.string() +
                        "' --tracks " + std::to_string(tracks) + " --seed " + std::to_string(seed) +
                        " --template-cache '" + SCANHUB_TEMPLATE_CACHE + "'" +
                        (bad_files ? "" : " --no-bad") + " > /dev/null";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("make-library failed: " + command);
  return load_manifest(directory / "manifest.json");
}

}  // namespace scanhub::test
