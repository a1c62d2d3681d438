#include "manifest.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <map>
#include <stdexcept>

#include <boost/json.hpp>

#include "movie_writer.hpp"

namespace scanhub::make_library {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::array<std::string_view, 15> kAudioExtensions{
    ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".aac",
    ".wav", ".wv",   ".ape", ".mpc", ".aiff", ".aif", ".wma"};

// Length of the valid UTF-8 sequence starting at bytes[i], or 0 (RFC 3629: no overlongs,
// no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view bytes, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  const unsigned char lead = at(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > bytes.size()) return 0;
  if (at(i + 1) < low || at(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
  }
  return length;
}

std::string hex(std::string_view bytes) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    out.push_back(kDigits[static_cast<unsigned char>(c) >> 4]);
    out.push_back(kDigits[static_cast<unsigned char>(c) & 0xF]);
  }
  return out;
}

template <typename T>
json::value or_null(const std::optional<T>& value) {
  return value ? json::value_from(*value) : json::value(nullptr);
}

json::object track_json(const TrackPlan& track) {
  const TemplateSpec& spec = template_spec(track.format, track.variant);
  return {
      {"path", track.path},
      {"title", track.title},
      {"artist", track.artist},
      {"album", track.album},
      {"albumArtist", or_null(track.album_artist)},
      {"trackNumber", or_null(track.track_number)},
      {"discNumber", or_null(track.disc_number)},
      {"year", or_null(track.year)},
      {"genre", or_null(track.genre)},
      {"durationMs", spec.duration_ms},
      {"codec", codec_name(track.format)},
      {"sampleRate", spec.sample_rate},
      {"channels", spec.channels},
      {"bitrateKbps", or_null(spec.bitrate_kbps)},
      {"embeddedCover", track.embedded_cover},
      {"taggedBy", tagged_by_name(track.tagged_by)},
  };
}

json::object error_json(const ErrorEntry& error) {
  json::object entry{{"path", utf8_with_replacements(error.path)}, {"kind", error.kind}};
  if (!is_valid_utf8(error.path)) entry["pathHex"] = hex(error.path);
  return entry;
}

// Boost.JSON has no pretty printer; one element per line keeps a 5,000-track manifest
// greppable and diffable without the bulk of full indentation.
void write_array(std::string& out, std::string_view key, const json::array& items, bool last) {
  out += "  " + json::serialize(json::string(key)) + ": [";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += i == 0 ? "\n    " : ",\n    ";
    out += json::serialize(items[i]);
  }
  out += items.empty() ? "]" : "\n  ]";
  out += last ? "\n" : ",\n";
}

// The most common of `values` (ties: the first seen); none when all are absent.
template <typename T>
std::optional<T> most_common(const std::vector<std::optional<T>>& values) {
  std::vector<std::pair<T, int>> counts;
  for (const auto& value : values) {
    if (!value) continue;
    auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == *value; });
    if (it == counts.end()) {
      counts.emplace_back(*value, 1);
    } else {
      ++it->second;
    }
  }
  if (counts.empty()) return std::nullopt;
  return std::max_element(counts.begin(), counts.end(),
                          [](const auto& a, const auto& b) { return a.second < b.second; })
      ->first;
}

std::string file_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// One album per directory holding tracks, with the art a scanner must find there (README.md,
// "albums"). Fills `totals`.
json::array albums_json(const LibraryPlan& plan, const TemplateSet& templates, json::object& totals) {
  std::map<std::string, std::vector<const TrackPlan*>> by_directory;
  for (const TrackPlan& track : plan.tracks) {
    by_directory[track.path.substr(0, track.path.rfind('/'))].push_back(&track);
  }
  std::map<std::string, const AlbumPlan*> album_plans;
  for (const AlbumPlan& album : plan.albums) album_plans[album.path] = &album;

  json::array albums;
  std::map<std::string, std::uintmax_t> distinct;  // sha256 -> size
  std::int64_t art_count = 0;
  std::int64_t embedded_count = 0;
  for (auto& [directory, tracks] : by_directory) {
    std::vector<std::optional<std::string>> titles, album_artists, artists;
    std::vector<std::optional<int>> years;
    for (const TrackPlan* track : tracks) {
      titles.emplace_back(track->album);
      album_artists.push_back(track->album_artist);
      artists.emplace_back(track->artist);
      years.push_back(track->year);
    }
    std::optional<std::string> album_artist = most_common(album_artists);
    if (!album_artist) {
      const bool differ = std::any_of(artists.begin(), artists.end(),
                                      [&](const auto& a) { return a != artists.front(); });
      album_artist = differ ? std::string("Various Artists") : *artists.front();
    }

    json::array art;
    const auto add = [&](std::string path, std::string_view kind, std::string_view source,
                         const std::string& bytes) {
      const std::string sha256 = sha256_hex(bytes);
      distinct.emplace(sha256, bytes.size());
      ++art_count;
      if (source == "embedded") ++embedded_count;
      art.push_back(json::object{{"path", std::move(path)}, {"kind", kind}, {"source", source},
                                 {"size", bytes.size()}, {"sha256", sha256}});
    };
    bool cover_file = false;
    if (const auto it = album_plans.find(directory); it != album_plans.end()) {
      const AlbumPlan& album = *it->second;
      if (album.cover_file) {
        std::string bytes = read_file_or_throw(templates.cover_path(album.cover_index));
        if (album.corrupt_cover) bytes.resize(bytes.size() / 2);
        add(directory + "/" + *album.cover_file, "cover", "file", bytes);
        cover_file = true;
      }
      if (album.back_cover) {
        add(directory + "/back.jpg", "back", "file",
            read_file_or_throw(templates.cover_path((album.cover_index + 1) % kCoverCount)));
      }
    }
    if (!cover_file) {
      // The first track by file name (byte order, as a sorted directory listing) with a picture.
      std::vector<const TrackPlan*> ordered = tracks;
      std::sort(ordered.begin(), ordered.end(), [](const TrackPlan* a, const TrackPlan* b) {
        return file_name(a->path) < file_name(b->path);
      });
      for (const TrackPlan* track : ordered) {
        if (!track->embedded_cover) continue;
        add(track->path, "cover", "embedded", templates.embedded_cover_jpeg());
        break;
      }
    }
    albums.push_back(json::object{{"path", directory},
                                  {"title", or_null(most_common(titles))},
                                  {"albumArtist", or_null(album_artist)},
                                  {"year", or_null(most_common(years))},
                                  {"trackCount", tracks.size()},
                                  {"art", std::move(art)}});
  }
  std::uintmax_t distinct_bytes = 0;
  for (const auto& [hash, size] : distinct) distinct_bytes += size;
  totals = json::object{{"albums", albums.size()},
                        {"assets", art_count},
                        {"embeddedAssets", embedded_count},
                        {"distinctAssetHashes", distinct.size()},
                        {"distinctAssetBytes", distinct_bytes}};
  return albums;
}

}  // namespace

bool has_audio_extension(std::string_view file_name) {
  const std::size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string ext(file_name.substr(dot));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(kAudioExtensions.begin(), kAudioExtensions.end(), ext) != kAudioExtensions.end();
}

bool is_valid_utf8(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t length = utf8_sequence_length(bytes, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string utf8_with_replacements(std::string_view bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t length = utf8_sequence_length(bytes, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(bytes.substr(i, length));
      i += length;
    }
  }
  return out;
}

int count_directories_with_audio(const fs::path& root) {
  int count = 0;
  std::vector<fs::path> pending{root};
  while (!pending.empty()) {
    const fs::path dir = std::move(pending.back());
    pending.pop_back();
    bool has_audio = false;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with('.')) continue;
      if (entry.is_directory() && !entry.is_symlink()) {
        if (!fs::exists(entry.path() / ".scanignore")) pending.push_back(entry.path());
      } else if (has_audio_extension(name)) {
        has_audio = true;
      }
    }
    count += has_audio ? 1 : 0;
  }
  return count;
}

void write_manifest(const fs::path& path, const ManifestInput& input) {
  json::array tracks;
  for (const TrackPlan& track : input.plan->tracks) tracks.push_back(track_json(track));
  json::array errors;
  for (const ErrorEntry& error : *input.errors) errors.push_back(error_json(error));
  json::array ignored;
  for (const std::string& entry : *input.ignored) ignored.push_back(json::string(entry));
  json::object album_totals;
  const json::array albums = albums_json(*input.plan, *input.templates, album_totals);

  std::string out = "{\n  \"version\": 1,\n";
  out += "  \"seed\": " + std::to_string(input.seed) + ",\n";
  write_array(out, "tracks", tracks, false);
  write_array(out, "errors", errors, false);
  write_array(out, "ignored", ignored, false);
  out += "  \"directoriesWithAudio\": " + std::to_string(input.directories_with_audio) + ",\n";
  write_array(out, "albums", albums, false);
  out += "  \"albumTotals\": " + json::serialize(album_totals) + "\n";
  out += "}\n";

  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << out;
  file.close();
  if (!file) throw std::runtime_error("cannot write manifest " + path.string());
}

}  // namespace scanhub::make_library
