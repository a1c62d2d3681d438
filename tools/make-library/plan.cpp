#include "plan.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "names.hpp"
#include "rng.hpp"

namespace scanhub::make_library {
namespace {

enum class DiscLayout {
  kSingle,       // Artist/Album/NN - Title.ext
  kDiscFolders,  // Artist/Album/CD1/NN - Title.ext, Artist/Album/CD2/...
  kDiscPrefix,   // Artist/Album/1-NN - Title.ext, Artist/Album/2-NN - Title.ext
};

struct AlbumIdea {
  std::string album_artist;
  std::string title;
  bool compilation = false;
  DiscLayout layout = DiscLayout::kSingle;
  std::optional<std::string> genre;  // nullopt: drawn at random
  std::optional<int> year;           // nullopt: drawn at random
  std::optional<bool> disc_tagged;   // single-disc albums only; nullopt: drawn at random
};

// The first albums of every library, so that a 60-track library already holds each feature.
std::vector<AlbumIdea> showcase_albums() {
  return {
      {"Björk", "Homogenic", false, DiscLayout::kSingle, "Electronic", 1997, false},
      {"Various Artists", "Midnight Drive 🌙", true, DiscLayout::kSingle, std::nullopt, 2004,
       std::nullopt},
      {"坂本龍一", "音楽図鑑", false, DiscLayout::kDiscFolders, "Ambient", 1984, std::nullopt},
      {"Sigur Rós", "Ágætis byrjun", false, DiscLayout::kDiscPrefix, "Post-Rock", 1999,
       std::nullopt},
      {"Motörhead", "Ace of Spades", false, DiscLayout::kSingle, "Metal", 1980, true},
      {"AC／DC", "High Voltage ⚡", false, DiscLayout::kSingle, "Rock", 1976, std::nullopt},
      {"Various Artists", "Nordic Nights", true, DiscLayout::kSingle, std::nullopt, 2011,
       std::nullopt},
      {"Mötley Crüe", "Dr. Feelgood", false, DiscLayout::kDiscFolders, "Rock", 1989, std::nullopt},
  };
}

// Indices (in library order) of tracks that always lose one tag, so small libraries have each
// kind of absence; larger ones lose tags at random as well.
constexpr int kForcedNoYear = 2;
constexpr int kForcedNoTrackNumber = 15;
constexpr int kForcedNoAlbumArtist = 28;
constexpr int kForcedNoGenre = 41;

constexpr int kMinAlbumTracks = 8;
constexpr int kMaxAlbumTracks = 14;

std::string word(Rng& rng, std::span<const std::string_view> pool) {
  return std::string(rng.pick(pool));
}

std::string random_artist(Rng& rng) {
  if (rng.chance(35)) return word(rng, names::notable_artists());
  const std::string name = word(rng, names::adjectives()) + " " + word(rng, names::nouns());
  return rng.chance(25) ? "The " + name + "s" : name;
}

std::string random_album_title(Rng& rng) {
  switch (rng.below(3)) {
    case 0:
      return word(rng, names::adjectives()) + " " + word(rng, names::nouns());
    case 1:
      return word(rng, names::nouns()) + " of the " + word(rng, names::nouns());
    default:
      return word(rng, names::nouns()) + "s";
  }
}

std::string random_track_title(Rng& rng) {
  if (rng.chance(12)) return word(rng, names::special_titles());
  if (rng.chance(20)) return word(rng, names::nouns());
  return word(rng, names::adjectives()) + " " + word(rng, names::nouns());
}

AlbumIdea random_album_idea(Rng& rng) {
  AlbumIdea idea;
  idea.album_artist = random_artist(rng);
  idea.title = random_album_title(rng);
  idea.compilation = rng.chance(5);
  if (idea.compilation) idea.album_artist = "Various Artists";
  if (rng.chance(6)) {
    idea.layout = rng.chance(50) ? DiscLayout::kDiscFolders : DiscLayout::kDiscPrefix;
  }
  return idea;
}

// One format per album (an album is one rip): the format with the fewest tracks so far, ties
// broken by a rotation, so format shares stay within one album of each other.
Format least_used_format(std::map<Format, int>& tracks_per_format, std::uint64_t rotation) {
  Format best = kFormats[rotation % kFormats.size()];
  for (std::size_t k = 0; k < kFormats.size(); ++k) {
    const Format candidate = kFormats[(rotation + k) % kFormats.size()];
    if (tracks_per_format[candidate] < tracks_per_format[best]) best = candidate;
  }
  return best;
}

// Distinct titles for one album; distinct because untitled-number files are named by title.
std::vector<std::string> album_track_titles(Rng& rng, int count, bool starts_with_intro) {
  std::vector<std::string> titles;
  std::set<std::string> used;
  if (starts_with_intro) {
    titles.push_back("Intro");
    used.insert(path_component("Intro"));
  }
  while (static_cast<int>(titles.size()) < count) {
    std::string title = random_track_title(rng);
    if (used.insert(path_component(title)).second) titles.push_back(std::move(title));
  }
  return titles;
}

std::vector<int> album_sizes(int track_count, Rng& rng) {
  if (track_count < kMinAlbumTracks) return {track_count};
  const int fewest = (track_count + kMaxAlbumTracks - 1) / kMaxAlbumTracks;
  const int most = std::max(fewest, track_count / kMinAlbumTracks);
  const int count = std::clamp((track_count + 5) / 11, fewest, most);
  std::vector<int> sizes(static_cast<std::size_t>(count), track_count / count);
  for (int i = 0; i < track_count % count; ++i) ++sizes[static_cast<std::size_t>(i)];
  // Move tracks between random albums, keeping every size within bounds and the sum fixed.
  for (int k = 0; k < 4 * count; ++k) {
    int& grow = sizes[rng.below(sizes.size())];
    int& shrink = sizes[rng.below(sizes.size())];
    if (&grow != &shrink && grow < kMaxAlbumTracks && shrink > kMinAlbumTracks) {
      ++grow;
      --shrink;
    }
  }
  return sizes;
}

std::string track_file_name(const TrackPlan& track, DiscLayout layout) {
  const std::string title = path_component(track.title);
  const std::string_view ext = extension(track.format);
  if (!track.track_number) return fmt::format("{}{}", title, ext);
  if (layout == DiscLayout::kDiscPrefix) {
    return fmt::format("{}-{:02} - {}{}", track.disc_number.value_or(1), *track.track_number, title,
                       ext);
  }
  return fmt::format("{:02} - {}{}", *track.track_number, title, ext);
}

std::string m3u_playlist(const std::vector<TrackPlan>& tracks, std::size_t first,
                         std::string_view album_dir) {
  std::string text = "#EXTM3U\n";
  for (std::size_t i = first; i < tracks.size(); ++i) {
    const TrackPlan& track = tracks[i];
    text += fmt::format("#EXTINF:{},{} - {}\n{}\n",
                        template_spec(track.format, track.variant).duration_ms / 1000, track.artist,
                        track.title, track.path.substr(album_dir.size() + 1));
  }
  return text;
}

}  // namespace

std::string_view tagged_by_name(TaggedBy tagged_by) noexcept {
  return tagged_by == TaggedBy::kFfmpeg ? "ffmpeg" : "taglib";
}

std::string path_component(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '/', '_');
  if (out.empty() || out.front() == '.') out.insert(out.begin(), '_');
  constexpr std::size_t kMaxBytes = 180;
  if (out.size() > kMaxBytes) {
    std::size_t cut = kMaxBytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

LibraryPlan plan_library(int track_count, std::uint64_t seed) {
  Rng rng(seed);
  LibraryPlan plan;
  const std::vector<AlbumIdea> showcase = showcase_albums();
  const std::vector<int> sizes = album_sizes(track_count, rng);
  std::set<std::string> album_paths;
  int global = 0;  // library-order index of the next track
  std::map<Format, int> format_tracks;

  for (std::size_t a = 0; a < sizes.size(); ++a) {
    AlbumIdea idea;
    std::string album_path;
    if (a < showcase.size()) {
      idea = showcase[a];
      album_path = path_component(idea.album_artist) + "/" + path_component(idea.title);
    } else {
      do {
        idea = random_album_idea(rng);
        album_path = path_component(idea.album_artist) + "/" + path_component(idea.title);
      } while (album_paths.contains(album_path));
    }
    album_paths.insert(album_path);
    // Album art by position, so the random stream (and every track) is as before: covers of
    // one template shared by several albums (stored once in a content-addressed cache), three
    // spellings of the front cover, albums with no cover file, a back cover, a corrupt cover.
    AlbumPlan album_plan{album_path, static_cast<int>(a % kCoverCount), std::nullopt, false, false};
    switch (a % 6) {
      case 3: album_plan.cover_file = "folder.jpg"; break;
      case 4: album_plan.cover_file = "Front.JPG"; break;
      case 5: break;
      default: album_plan.cover_file = "cover.jpg"; break;
    }
    album_plan.back_cover = a % 5 == 4;
    album_plan.corrupt_cover = a == 8;
    plan.albums.push_back(std::move(album_plan));

    const int size = sizes[a];
    const Format format = least_used_format(format_tracks, a + seed);
    format_tracks[format] += size;
    const int disc_one_tracks = idea.layout == DiscLayout::kSingle ? size : (size + 1) / 2;
    const std::optional<int> album_year =
        idea.year ? idea.year
                  : (rng.chance(10) ? std::nullopt : std::optional(rng.between(1965, 2023)));
    const std::optional<std::string> album_genre =
        idea.genre ? idea.genre
                   : (rng.chance(8) ? std::nullopt : std::optional(word(rng, names::genres())));
    const bool single_disc_tagged = idea.disc_tagged.value_or(rng.chance(60));
    const std::vector<std::string> titles = album_track_titles(rng, size, a % 3 == 0);
    bool album_has_cover_track = false;
    const std::size_t album_first_track = plan.tracks.size();

    for (int i = 0; i < size; ++i, ++global) {
      TrackPlan track;
      const bool second_disc = i >= disc_one_tracks;
      track.title = titles[static_cast<std::size_t>(i)];
      track.album = idea.title;
      track.artist = idea.compilation ? random_artist(rng) : idea.album_artist;
      if (!idea.compilation && !rng.chance(8)) track.album_artist = idea.album_artist;
      if (idea.compilation) track.album_artist = idea.album_artist;
      if (!rng.chance(4)) track.track_number = second_disc ? i - disc_one_tracks + 1 : i + 1;
      if (idea.layout != DiscLayout::kSingle) {
        track.disc_number = second_disc ? 2 : 1;
      } else if (single_disc_tagged) {
        track.disc_number = 1;
      }
      if (!rng.chance(3)) track.year = album_year;
      track.genre = idea.compilation ? std::optional(word(rng, names::genres())) : album_genre;
      if (rng.chance(3)) track.genre.reset();

      if (global == kForcedNoYear) track.year.reset();
      if (global == kForcedNoTrackNumber) track.track_number.reset();
      if (global == kForcedNoAlbumArtist) track.album_artist.reset();
      if (global == kForcedNoGenre) track.genre.reset();

      track.format = format;
      track.variant = static_cast<int>(rng.below(kVariantCount));
      // Exactly 3 of every 10 consecutive tracks go through ffmpeg (7 is coprime with 10).
      track.tagged_by = (static_cast<std::uint64_t>(global) * 7 + seed % 10) % 10 < 3
                            ? TaggedBy::kFfmpeg
                            : TaggedBy::kTaglib;
      if (track.tagged_by == TaggedBy::kTaglib) {
        // The first TagLib track of each early album (one per format) and ~3% of the rest.
        // The random draw happens exactly when it did before albums without cover files
        // existed; those (every sixth) get a picture in their first TagLib track half the time.
        const bool first_of_early = a < kFormats.size() && !album_has_cover_track;
        const bool drawn = !first_of_early && rng.chance(3);
        const bool first_of_coverless = a % 12 == 5 && !album_has_cover_track;
        track.embedded_cover = first_of_early || drawn || first_of_coverless;
        album_has_cover_track = album_has_cover_track || track.embedded_cover;
      }

      std::string dir = album_path;
      if (idea.layout == DiscLayout::kDiscFolders) dir += second_disc ? "/CD2" : "/CD1";
      track.path = dir + "/" + track_file_name(track, idea.layout);
      plan.tracks.push_back(std::move(track));
    }

    if (a % 3 == 1) {
      plan.side_files.push_back(
          {album_path + "/notes.txt",
           fmt::format("Liner notes for \"{}\" by {}.\nGenerated by make-library, seed {}.\n",
                       idea.title, idea.album_artist, seed)});
    }
    if (a % 4 == 2) {
      plan.side_files.push_back(
          {album_path + "/album.m3u", m3u_playlist(plan.tracks, album_first_track, album_path)});
    }
  }
  return plan;
}

}  // namespace scanhub::make_library
