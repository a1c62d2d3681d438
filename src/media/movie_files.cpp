#include "media/movie_files.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <map>
#include <regex>
#include <system_error>

namespace scanhub::media {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "Movie.en.srt" -> {"Movie.en", "srt"}; no dot (or only a leading one) -> {name, ""}.
std::pair<std::string_view, std::string_view> split_extension(std::string_view name) {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {name, {}};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

template <std::size_t N>
bool one_of(std::string_view value, const std::array<std::string_view, N>& set) {
  return std::ranges::find(set, value) != set.end();
}

constexpr std::array<std::string_view, 17> kVideoExtensions{
    "mkv", "mp4", "m4v", "avi", "mov", "wmv", "mpg",  "mpeg", "m2ts",
    "ts",  "webm", "ogv", "flv", "vob", "divx", "3gp", "iso"};
constexpr std::array<std::string_view, 5> kImageExtensions{"jpg", "jpeg", "png", "webp", "tbn"};
constexpr std::array<std::string_view, 8> kSubtitleExtensions{"srt", "ass", "ssa", "sub",
                                                              "idx", "vtt", "sup", "smi"};
// Suffixes of videos that belong to a movie without being it. "trailer" and "sample" after
// any separator (Kodi's excludefromscan "[-._ ](sample|trailer)"); the other extras suffixes
// (Jellyfin's, which Kodi 20's extras follow) only after '-', since "The Other.mkv" and
// "Short Cuts.mkv" are movies.
constexpr std::array<std::string_view, 2> kExcludedSuffixes{"trailer", "sample"};
constexpr std::array<std::string_view, 10> kExtraSuffixes{
    "featurette", "behindthescenes", "deleted", "deletedscene", "interview",
    "scene", "short", "clip", "other", "extra"};

bool is_separator(char c) noexcept { return c == '-' || c == '.' || c == '_' || c == ' '; }

// The extras suffix of a lower-case video stem: "movie-trailer" -> "trailer", "trailer" ->
// "trailer", "sample-movie" -> "sample", "movie-featurette" -> "featurette"; nullopt for a
// plain movie name.
std::optional<std::string_view> extra_kind(std::string_view stem) {
  for (const std::string_view suffix : kExcludedSuffixes) {
    if (stem == suffix) return suffix;
    if (stem.size() > suffix.size() && stem.ends_with(suffix) &&
        is_separator(stem[stem.size() - suffix.size() - 1])) {
      return suffix;
    }
  }
  for (const std::string_view suffix : kExtraSuffixes) {
    if (stem.size() > suffix.size() && stem.ends_with(suffix) &&
        stem[stem.size() - suffix.size() - 1] == '-') {
      return suffix;
    }
  }
  if (stem.size() > 6 && stem.starts_with("sample") && is_separator(stem[6])) return "sample";
  return std::nullopt;
}

std::optional<MovieAssetKind> asset_kind_of(std::string_view type) {
  struct Name {
    std::string_view name;
    MovieAssetKind kind;
  };
  static constexpr std::array<Name, 17> kNames{{
      {"poster", MovieAssetKind::poster},       {"folder", MovieAssetKind::poster},
      {"cover", MovieAssetKind::poster},        {"fanart", MovieAssetKind::fanart},
      {"backdrop", MovieAssetKind::fanart},     {"background", MovieAssetKind::fanart},
      {"landscape", MovieAssetKind::landscape}, {"thumb", MovieAssetKind::thumb},
      {"clearlogo", MovieAssetKind::clearlogo}, {"logo", MovieAssetKind::clearlogo},
      {"clearart", MovieAssetKind::clearart},   {"banner", MovieAssetKind::banner},
      {"disc", MovieAssetKind::discart},        {"discart", MovieAssetKind::discart},
      {"keyart", MovieAssetKind::keyart},       {"movie", MovieAssetKind::poster},
      {"extrafanart", MovieAssetKind::extrafanart},
  }};
  for (const Name& entry : kNames) {
    if (entry.name == type && entry.kind != MovieAssetKind::extrafanart) return entry.kind;
  }
  return std::nullopt;
}

bool is_language_tag(std::string_view tag) {
  // "en", "eng", "pt-br", "zh-hans", "english": letters, at most one '-' with a short region.
  if (tag.size() < 2 || tag.size() > 20) return false;
  const auto dash = tag.find('-');
  const std::string_view language = tag.substr(0, dash);
  if (language.size() < 2 || !std::ranges::all_of(language, [](char c) { return c >= 'a' && c <= 'z'; })) {
    return false;
  }
  if (dash == std::string_view::npos) return true;
  const std::string_view region = tag.substr(dash + 1);
  return region.size() >= 2 && region.size() <= 4 &&
         std::ranges::all_of(region, [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

std::optional<LocalSubtitle> subtitle_of(const MovieDirectoryEntry& entry, std::string_view video_stem) {
  const std::string name = lower(entry.name);
  const auto [stem, extension] = split_extension(name);
  if (!one_of(extension, kSubtitleExtensions)) return std::nullopt;
  if (!stem.starts_with(video_stem)) return std::nullopt;
  std::string_view tags = stem.substr(video_stem.size());
  if (!tags.empty() && tags.front() != '.') return std::nullopt;  // "Movie 2.srt" is not Movie's

  LocalSubtitle subtitle;
  subtitle.name = entry.name;
  subtitle.format = std::string(extension);
  while (!tags.empty()) {
    tags.remove_prefix(1);  // the '.'
    const auto dot = tags.find('.');
    const std::string_view tag = tags.substr(0, dot);
    if (tag == "forced" || tag == "foreign") {
      subtitle.is_forced = true;
    } else if (tag == "sdh" || tag == "cc" || tag == "hi") {
      subtitle.is_hearing_impaired = true;
    } else if (!subtitle.language && is_language_tag(tag)) {
      subtitle.language = std::string(tag);
    }
    if (dot == std::string_view::npos) break;
    tags.remove_prefix(dot);
  }
  return subtitle;
}

void title_and_year(std::string_view directory_name, MovieFiles& files) {
  // The last "(YYYY)" with a plausible year; the title is what precedes it.
  for (auto open = directory_name.rfind('('); open != std::string_view::npos;
       open = open == 0 ? std::string_view::npos : directory_name.rfind('(', open - 1)) {
    const std::string_view rest = directory_name.substr(open);
    if (rest.size() < 6 || rest[5] != ')') continue;
    const std::string_view digits = rest.substr(1, 4);
    if (!std::ranges::all_of(digits, [](char c) { return c >= '0' && c <= '9'; })) continue;
    const int year = std::stoi(std::string(digits));
    if (year < 1870 || year > 2200) continue;
    std::string_view title = directory_name.substr(0, open);
    while (!title.empty() && is_separator(title.back())) title.remove_suffix(1);
    if (title.empty()) continue;
    files.title_from_name = std::string(title);
    files.year_from_name = year;
    return;
  }
  std::string_view title = directory_name;
  while (!title.empty() && title.back() == ' ') title.remove_suffix(1);
  while (!title.empty() && title.front() == ' ') title.remove_prefix(1);
  if (!title.empty()) files.title_from_name = std::string(title);
}

// Kodi's default <moviestacking> expressions (advancedsettings.xml): Title, Volume (cd, dvd,
// part, pt, disc or disk, then 1-99 or a-d), Ignore, Extension. Files whose Title, Ignore and
// Extension agree are parts of one movie, played in Volume order.
struct StackPart {
  std::string key;     // lower-case title, ignore and extension
  std::string stem;    // lower-case title + ignore: the stack's name without extension
  std::string volume;  // lower-case "1", "2", "a"
};

std::optional<StackPart> stack_part_of(const std::string& name) {
  static const std::regex kStacking(
      R"(^(.*?)[ _.-]*(?:cd|dvd|p(?:ar)?t|dis[ck])[ _.-]*([0-9]{1,2}|[a-d])(.*?)(\.[^.]+)$)",
      std::regex::ECMAScript | std::regex::icase);
  std::smatch match;
  if (!std::regex_match(name, match, kStacking)) return std::nullopt;
  // A volume must be followed by a separator or the extension: "part1" or "cd2-xvid", not
  // "cd1984" (that would be volume "19", ignore "84") or "disco".
  const std::string ignore = match[3];
  if (!ignore.empty() && !is_separator(ignore.front())) return std::nullopt;
  StackPart part;
  part.stem = lower(match[1].str() + ignore);
  part.key = part.stem + '\0' + lower(match[1].str()) + '\0' + lower(match[4].str());
  part.volume = lower(match[2].str());
  if (match[1].length() == 0) return std::nullopt;  // "cd1.avi" names no movie
  return part;
}

// Volume order: numbers by value, letters alphabetically.
bool volume_less(const std::string& a, const std::string& b) {
  if (a.size() != b.size() && std::isdigit(static_cast<unsigned char>(a.front())) &&
      std::isdigit(static_cast<unsigned char>(b.front()))) {
    return a.size() < b.size();
  }
  return a < b;
}

// One choice for the main video: a single file or the parts of a stack.
struct Candidate {
  struct Part {
    std::string volume;
    const MovieDirectoryEntry* entry;
  };
  std::vector<Part> parts;
  std::uintmax_t size = 0;  // bytes, all parts together
  std::string stack_stem;   // lower-case stack name; empty for a single file
  std::optional<DiscKind> disc = std::nullopt;
  const MovieDirectoryEntry* disc_stream = nullptr;  // the largest stream file of a disc
};

// A DVD (VIDEO_TS/VIDEO_TS.IFO, streams VIDEO_TS/*.VOB) or Blu-ray (BDMV/index.bdmv, streams
// BDMV/STREAM/*.m2ts) folder as one candidate, sized by its streams.
std::optional<Candidate> disc_candidate(const std::vector<const MovieDirectoryEntry*>& sorted,
                                        DiscKind kind) {
  const std::string_view index = kind == DiscKind::dvd ? "video_ts/video_ts.ifo" : "bdmv/index.bdmv";
  const std::string_view stream_dir = kind == DiscKind::dvd ? "video_ts/" : "bdmv/stream/";
  const std::string_view stream_extension = kind == DiscKind::dvd ? "vob" : "m2ts";
  std::optional<Candidate> disc;
  for (const MovieDirectoryEntry* entry : sorted) {
    if (lower(entry->name) == index) {
      disc = Candidate{.parts = {{"", entry}}, .size = 0, .stack_stem = {}, .disc = kind,
                       .disc_stream = nullptr};
    }
  }
  if (!disc) return std::nullopt;
  for (const MovieDirectoryEntry* entry : sorted) {
    const std::string name = lower(entry->name);
    const auto [stem, extension] = split_extension(name);
    if (!name.starts_with(stream_dir) || extension != stream_extension ||
        stem.find('/', stream_dir.size()) != std::string_view::npos) {
      continue;
    }
    disc->size += entry->size;
    if (!disc->disc_stream || entry->size > disc->disc_stream->size) disc->disc_stream = entry;
  }
  return disc;
}

// The subdirectories whose files belong to the movie: "extrafanart" and the disc folders at
// the top, "STREAM" inside BDMV.
bool is_listed_subdirectory(const std::string& parent_prefix, const std::string& name) {
  const std::string lowered = lower(name);
  if (parent_prefix.empty()) {
    return lowered == "extrafanart" || lowered == "video_ts" || lowered == "bdmv";
  }
  return lower(parent_prefix) == "bdmv/" && lowered == "stream";
}

void add_files(const std::filesystem::path& dir, const std::string& prefix,
               std::vector<MovieDirectoryEntry>& entries) {
  namespace fs = std::filesystem;
  const bool top = prefix.empty();
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    if (top) throw fs::filesystem_error("cannot list movie directory", dir, ec);
    return;  // an unreadable subdirectory loses only its own files
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    if (name.starts_with('.')) continue;
    std::error_code entry_ec;
    if (entry.is_regular_file(entry_ec)) {
      const auto size = entry.file_size(entry_ec);
      if (!entry_ec) entries.push_back({prefix + name, size});  // else it vanished meanwhile
    } else if (entry.is_directory(entry_ec) && is_listed_subdirectory(prefix, name)) {
      add_files(entry.path(), prefix + name + "/", entries);
    }
  }
  if (ec && top) throw fs::filesystem_error("cannot list movie directory", dir, ec);
}

}  // namespace

std::string_view to_string(MovieAssetKind kind) noexcept {
  switch (kind) {
    case MovieAssetKind::poster: return "poster";
    case MovieAssetKind::fanart: return "fanart";
    case MovieAssetKind::landscape: return "landscape";
    case MovieAssetKind::thumb: return "thumb";
    case MovieAssetKind::clearlogo: return "clearlogo";
    case MovieAssetKind::clearart: return "clearart";
    case MovieAssetKind::banner: return "banner";
    case MovieAssetKind::discart: return "discart";
    case MovieAssetKind::keyart: return "keyart";
    case MovieAssetKind::extrafanart: return "extrafanart";
  }
  return "unknown";
}

bool has_video_extension(std::string_view name) noexcept {
  const auto extension = split_extension(name).second;
  if (extension.size() > 5) return false;
  std::array<char, 5> buffer{};
  for (std::size_t i = 0; i < extension.size(); ++i) {
    buffer[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(extension[i])));
  }
  return one_of(std::string_view(buffer.data(), extension.size()), kVideoExtensions);
}

MovieFiles classify_movie_directory(std::string_view directory_name,
                                    std::span<const MovieDirectoryEntry> entries) {
  MovieFiles files;
  title_and_year(directory_name, files);

  // Entries in byte order of name, so every choice and list below is deterministic.
  std::vector<const MovieDirectoryEntry*> sorted;
  sorted.reserve(entries.size());
  for (const auto& entry : entries) sorted.push_back(&entry);
  std::ranges::sort(sorted, {}, &MovieDirectoryEntry::name);

  // 1. The main video: the largest top-level video, or stack of parts, that is not an extra.
  std::vector<Candidate> candidates;
  std::map<std::string, std::size_t> stack_index;  // stack key -> index in candidates
  for (const MovieDirectoryEntry* entry : sorted) {
    if (entry->name.find('/') != std::string::npos || !has_video_extension(entry->name)) continue;
    const std::string stem = lower(split_extension(entry->name).first);
    if (const auto kind = extra_kind(stem)) {
      (*kind == "trailer" ? files.trailers : files.other_videos).push_back(entry->name);
      continue;
    }
    if (auto part = stack_part_of(entry->name)) {
      const auto [it, inserted] = stack_index.try_emplace(part->key, candidates.size());
      if (inserted) {
        candidates.push_back({.parts = {}, .size = 0, .stack_stem = std::move(part->stem),
                              .disc = std::nullopt, .disc_stream = nullptr});
      }
      candidates[it->second].parts.push_back({std::move(part->volume), entry});
      candidates[it->second].size += entry->size;
    } else {
      candidates.push_back({.parts = {{"", entry}}, .size = entry->size, .stack_stem = {},
                            .disc = std::nullopt, .disc_stream = nullptr});
    }
  }
  // A "stack" of one file is a plain video whose name happens to say "part 2".
  for (Candidate& candidate : candidates) {
    if (candidate.parts.size() == 1) candidate.stack_stem.clear();
    std::ranges::sort(candidate.parts, volume_less, &Candidate::Part::volume);
  }
  for (const DiscKind kind : {DiscKind::dvd, DiscKind::bluray}) {
    if (auto disc = disc_candidate(sorted, kind)) candidates.push_back(std::move(*disc));
  }
  const Candidate* main = nullptr;
  for (const Candidate& candidate : candidates) {
    // Candidates are in name order of their first file, so a tie keeps the first name.
    if (!main || candidate.size > main->size) main = &candidate;
  }

  // The names art, nfo and subtitles may carry (lower case, in nfo order): the video's name
  // without extension; for a stack, first the stack's name ("movie" for movie-cd1.avi).
  std::vector<std::string> stems;
  if (main) {
    files.video = main->parts.front().entry->name;
    files.disc = main->disc;
    if (main->disc_stream) files.disc_stream = main->disc_stream->name;
    if (main->parts.size() > 1) {
      for (const auto& part : main->parts) files.parts.push_back(part.entry->name);
      if (!main->stack_stem.empty()) stems.push_back(main->stack_stem);
    }
    // For a disc: VIDEO_TS/VIDEO_TS.nfo or BDMV/index.nfo (art has no disc-named form).
    for (const auto& part : main->parts) stems.push_back(lower(split_extension(part.entry->name).first));
    for (const Candidate& candidate : candidates) {
      if (&candidate == main || candidate.disc) continue;
      for (const auto& part : candidate.parts) files.other_videos.push_back(part.entry->name);
    }
  }
  std::ranges::sort(files.other_videos);

  // 2. The nfo: <video name>.nfo first (for a stack the stack's name, then the first part's),
  // as Kodi looks for it, then movie.nfo.
  const MovieDirectoryEntry* movie_nfo = nullptr;
  std::size_t nfo_rank = stems.size();
  for (const MovieDirectoryEntry* entry : sorted) {
    const std::string name = lower(entry->name);
    for (std::size_t rank = 0; rank < stems.size(); ++rank) {
      if (rank < nfo_rank && name == stems[rank] + ".nfo") {
        files.nfo = entry->name;
        nfo_rank = rank;
      }
    }
    if (name == "movie.nfo") movie_nfo = entry;
  }
  if (!files.nfo && movie_nfo) files.nfo = movie_nfo->name;

  // 3. Art, 4. subtitles: a name matches the longest stem it starts with.
  std::ranges::stable_sort(stems, [](const std::string& a, const std::string& b) {
    return a.size() > b.size();
  });
  std::vector<std::string> idx_stems;
  for (const MovieDirectoryEntry* entry : sorted) {
    const std::string name = lower(entry->name);
    const auto [stem, extension] = split_extension(name);
    if (one_of(extension, kImageExtensions)) {
      if (stem.starts_with("extrafanart/")) {
        if (stem.find('/', 12) == std::string_view::npos) {
          files.assets.push_back({MovieAssetKind::extrafanart, entry->name, entry->size});
        }
        continue;
      }
      if (stem.find('/') != std::string_view::npos) continue;
      std::optional<MovieAssetKind> kind = asset_kind_of(stem);
      for (const std::string& video_stem : stems) {
        if (kind) break;
        if (stem == video_stem) {
          kind = MovieAssetKind::poster;  // <name>.tbn / <name>.jpg: the pre-Kodi-12 thumb
        } else if (stem.size() > video_stem.size() + 1 && stem.starts_with(video_stem) &&
                   stem[video_stem.size()] == '-') {
          kind = asset_kind_of(stem.substr(video_stem.size() + 1));
        }
      }
      if (kind) files.assets.push_back({*kind, entry->name, entry->size});
      continue;
    }
    if (entry->name.find('/') != std::string::npos) continue;
    for (const std::string& video_stem : stems) {
      if (auto subtitle = subtitle_of(*entry, video_stem)) {
        if (subtitle->format == "idx") idx_stems.emplace_back(stem);
        files.subtitles.push_back(std::move(*subtitle));
        break;
      }
    }
  }
  // A VobSub .sub is the data of the .idx beside it: one subtitle, reported as the .idx.
  std::erase_if(files.subtitles, [&](const LocalSubtitle& subtitle) {
    return subtitle.format == "sub" &&
           std::ranges::find(idx_stems, split_extension(lower(subtitle.name)).first) != idx_stems.end();
  });
  std::ranges::stable_sort(files.assets, {}, &MovieAsset::kind);
  return files;
}

std::vector<MovieDirectoryEntry> list_movie_directory(const std::filesystem::path& directory) {
  std::vector<MovieDirectoryEntry> entries;
  add_files(directory, "", entries);
  return entries;
}

}  // namespace scanhub::media
