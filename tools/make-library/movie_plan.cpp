#include "movie_plan.hpp"

#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>

#include "names.hpp"
#include "plan.hpp"
#include "rng.hpp"

namespace scanhub::make_library {
namespace {

constexpr std::array<std::string_view, 19> kMovieGenres{
    "Action",          "Adventure", "Animation", "Comedy",  "Crime",   "Documentary", "Drama",
    "Family",          "Fantasy",   "History",   "Horror",  "Music",   "Mystery",     "Romance",
    "Science Fiction", "Thriller",  "War",       "Western", "TV Movie"};

constexpr std::array<std::string_view, 8> kSubtitleLanguages{"en", "fr", "de", "es",
                                                             "it", "ja", "nl", "sv"};

// Plots with the characters an .nfo writer must escape and a parser must unescape.
constexpr std::array<std::string_view, 6> kPlotForms{
    "A {} {} drifts toward the {} and finds it was never there.",
    "When the {} {} goes quiet, two strangers follow the {} home.",
    "Love & loss at the edge of the {}: a {} {} that \"won't\" let go.",
    "Some say {} < {} > {}. They were wrong.",
    "The {} {} returns. The {} does not.",
    "Ten years after the {} {}, nobody remembers the {}. Except one.",
};

// What a movie's directory holds besides the video and the .nfo.
struct AssetChoice {
  int poster = 0;  // 0 none, 1 poster.jpg, 2 folder.jpg, 3 <name>-poster.jpg
  bool poster_shared = false;
  int fanart = 0;  // 0 none, 1 fanart.jpg, 2 <name>-fanart.jpg
  bool fanart_shared = false;
  int landscape = 0;  // 0 none, 1 landscape.jpg, 2 <name>-landscape.jpg
  int clearlogo = 0;  // 0 none, 1 clearlogo.png, 2 <name>-clearlogo.png
  int extrafanart = 0;
  bool extrafanart_repeats_fanart = false;  // extrafanart/fanart1.jpg == the fanart's bytes
  int trailer = 0;                          // 0 none, else template index + 1
  bool trailer_shared = false;
  std::vector<std::pair<std::string, bool>> subtitles{};  // language, forced
};

struct Showcase {
  std::string title{};
  std::optional<std::string> original_title{};
  int year = 2000;
  std::optional<std::string> premiered{};
  NfoStyle nfo_style = NfoStyle::kValid;
  bool nfo_named_after_video = false;
  int video_template = 0;
  std::optional<std::int64_t> tmdb{};
  std::optional<std::string> imdb{};
  std::optional<std::string> default_uniqueid{};
  std::vector<std::string> genres{};
  AssetChoice assets{};
  bool bom = false;
  bool cdata = false;
  std::optional<std::string> video_stem{};  // when the video is not named after the directory
};

// The first movies of every library: together they hold every feature the tests look for.
std::vector<Showcase> showcases() {
  return {
      {.title = "The Matrix",
       .original_title = "The Matrix",
       .year = 1999,
       .video_template = 1,  // two audio languages, a forced embedded subtitle
       .tmdb = 603,
       .imdb = "tt0133093",
       .default_uniqueid = "tmdb",
       .genres = {"Action", "Science Fiction"},
       .assets = {.poster = 1,
                  .fanart = 1,
                  .landscape = 1,
                  .clearlogo = 1,
                  .extrafanart = 2,
                  .extrafanart_repeats_fanart = true,
                  .trailer = 1,
                  .subtitles = {{"en", false}, {"fr", true}}}},
      {.title = "Amélie",
       .original_title = "Le Fabuleux Destin d'Amélie Poulain",
       .year = 2001,
       .premiered = "2001-04-25",
       .nfo_named_after_video = true,
       .tmdb = 194,
       .imdb = "tt0211915",
       .default_uniqueid = "imdb",
       .genres = {"Comedy", "Romance"},
       .assets = {.poster = 3,
                  .fanart = 2,
                  .landscape = 2,
                  .clearlogo = 2,
                  .subtitles = {{"en", false}}}},
      {.title = "Spirited Away",
       .original_title = "千と千尋の神隠し",
       .year = 2001,
       .video_template = 3,
       .tmdb = 129,
       .imdb = "tt0245429",
       .default_uniqueid = "tmdb",
       .genres = {"Animation", "Family", "Fantasy"},
       .assets = {.poster = 2, .poster_shared = true, .fanart = 1, .fanart_shared = true},
       .bom = true},
      {.title = "霸王别姬",
       .original_title = "霸王别姬",
       .year = 1993,
       .nfo_named_after_video = true,
       .video_template = 4,
       .tmdb = 10997,
       .imdb = "tt0106332",
       .default_uniqueid = "tmdb",
       .genres = {"Drama", "History", "Romance"},
       .assets = {.poster = 1, .poster_shared = true}},
      {.title = "Fast & Furious",
       .year = 2009,
       .video_template = 2,
       .tmdb = 13804,
       .imdb = "tt1013752",
       .default_uniqueid = "tmdb",
       .genres = {"Action", "Crime", "Thriller"},
       .assets = {.poster = 1,
                  .poster_shared = true,
                  .fanart = 2,
                  .fanart_shared = true,
                  .extrafanart = 1,
                  .trailer = 2,
                  .trailer_shared = true},
       .cdata = true},
      {.title = "Se7en",
       .year = 1995,
       .nfo_style = NfoStyle::kNone,
       .video_template = 5,
       .assets = {.poster = 1, .subtitles = {{"de", false}}}},
      {.title = "100% Wolf #2",
       .original_title = "100% Wolf",
       .year = 2020,
       .nfo_style = NfoStyle::kUnknownTags,
       .video_template = 6,
       .tmdb = 495152,
       .imdb = "tt6054874",
       .default_uniqueid = "tmdb",
       .genres = {"Animation", "Comedy", "Family", "Fantasy"},
       .assets = {.poster = 3,
                  .fanart = 1,
                  .trailer = 1,
                  .trailer_shared = true,
                  .subtitles = {{"ja", false}, {"en", true}}}},
      {.title = "Mission: Impossible",
       .year = 1996,
       .premiered = "1996-05-22",
       .nfo_named_after_video = true,
       .video_template = 7,
       .imdb = "tt0117060",
       .default_uniqueid = "imdb",
       .genres = {"Action"},
       .assets = {.poster = 1, .fanart = 1, .trailer = 1},
       .video_stem = "Mission.Impossible.1996.720p"},
      {.title = "Kill Bill: Vol. 1",
       .year = 2003,
       .nfo_style = NfoStyle::kNone,
       .video_template = 8},
      {.title = "Crouching Tiger, Hidden Dragon",
       .original_title = "臥虎藏龍",
       .year = 2000,
       .tmdb = 146,
       .genres = {"Adventure", "Drama"},
       .assets = {.poster = 1, .fanart = 1, .clearlogo = 1, .extrafanart = 3}},
  };
}

std::string word(Rng& rng, std::span<const std::string_view> pool) {
  return std::string(rng.pick(pool));
}

std::string random_title(Rng& rng) {
  switch (rng.below(6)) {
    case 0:
      return "The " + word(rng, names::adjectives()) + " " + word(rng, names::nouns());
    case 1:
      return word(rng, names::nouns()) + " of the " + word(rng, names::nouns());
    case 2:
      return word(rng, names::adjectives()) + " " + word(rng, names::nouns()) + " " +
             std::to_string(rng.between(2, 4));
    case 3:
      return word(rng, names::special_titles());
    default:
      return word(rng, names::adjectives()) + " " + word(rng, names::nouns());
  }
}

std::string random_plot(Rng& rng) {
  const std::string_view form = rng.pick(std::span<const std::string_view>(kPlotForms));
  return fmt::format(fmt::runtime(form), word(rng, names::adjectives()), word(rng, names::nouns()),
                     word(rng, names::nouns()));
}

AssetChoice random_assets(Rng& rng) {
  AssetChoice a;
  if (rng.chance(88)) {
    const int naming = rng.between(0, 9);
    a.poster = naming < 5 ? 1 : naming < 7 ? 2 : 3;
    a.poster_shared = rng.chance(10);
  }
  if (rng.chance(70)) {
    a.fanart = rng.chance(60) ? 1 : 2;
    a.fanart_shared = rng.chance(12);
  }
  if (rng.chance(25)) a.landscape = rng.chance(50) ? 1 : 2;
  if (rng.chance(20)) a.clearlogo = rng.chance(50) ? 1 : 2;
  if (rng.chance(12)) {
    a.extrafanart = rng.between(1, 3);
    a.extrafanart_repeats_fanart = a.fanart != 0 && rng.chance(50);
  }
  if (rng.chance(18)) {
    a.trailer = rng.between(1, kTrailerTemplateCount);
    a.trailer_shared = rng.chance(30);
  }
  if (rng.chance(35)) {
    const std::size_t first = rng.below(kSubtitleLanguages.size());
    a.subtitles.emplace_back(kSubtitleLanguages[first], false);
    if (rng.chance(30)) {
      a.subtitles.emplace_back(kSubtitleLanguages[(first + 1) % kSubtitleLanguages.size()], false);
    }
    if (rng.chance(25)) a.subtitles.emplace_back(a.subtitles.front().first, true);
  }
  return a;
}

std::string srt_text(const MoviePlan& movie, const std::string& language, bool forced) {
  return fmt::format(
      "1\n00:00:00,000 --> 00:00:00,800\n{} ({}) [{}{}]\n\n2\n00:00:00,800 --> "
      "00:00:01,000\n…\n\n",
      movie.title, movie.year, language, forced ? ", forced" : "");
}

// Expands an AssetChoice into files. `stem` is the video's name without extension (Kodi's
// "<name>" in <name>-poster.jpg); markers make a movie's images its own unless shared.
void add_assets(MoviePlan& movie, const AssetChoice& a, const std::string& stem, Rng& rng,
                std::uint64_t seed, std::size_t ordinal) {
  const std::string dir = movie.directory + "/";
  const auto marker = [&](std::string_view what) {
    return fmt::format("scanhub make-library seed {} movie {} {}", seed, ordinal, what);
  };
  auto image = [&](AssetKind kind, std::string path, bool shared, std::string_view what) {
    // Shared images of the first movies all use template 0, so even a small library stores
    // one poster and one fanart under several movies.
    const int drawn = static_cast<int>(rng.below(kImageTemplateCount));
    const int index = shared && ordinal < 16 ? 0 : drawn;
    movie.assets.push_back({dir + path,
                            kind,
                            index,
                            shared ? std::nullopt : std::optional<std::string>(marker(what)),
                            {},
                            std::nullopt,
                            false});
  };
  static constexpr std::array<std::string_view, 4> kPosterNames{"", "poster.jpg", "folder.jpg",
                                                                "-poster.jpg"};
  if (a.poster != 0) {
    const std::string_view name = kPosterNames[static_cast<std::size_t>(a.poster)];
    image(AssetKind::kPoster, a.poster == 3 ? stem + std::string(name) : std::string(name),
          a.poster_shared, "poster");
  }
  if (a.fanart != 0) {
    image(AssetKind::kFanart, a.fanart == 1 ? "fanart.jpg" : stem + "-fanart.jpg", a.fanart_shared,
          "fanart");
  }
  if (a.landscape != 0) {
    image(AssetKind::kLandscape, a.landscape == 1 ? "landscape.jpg" : stem + "-landscape.jpg",
          false, "landscape");
  }
  if (a.clearlogo != 0) {
    image(AssetKind::kClearlogo, a.clearlogo == 1 ? "clearlogo.png" : stem + "-clearlogo.png",
          false, "clearlogo");
  }
  for (int i = 1; i <= a.extrafanart; ++i) {
    const std::string path = fmt::format("extrafanart/fanart{}.jpg", i);
    if (i == 1 && a.extrafanart_repeats_fanart) {
      const auto fanart = std::find_if(movie.assets.begin(), movie.assets.end(),
                                       [](const auto& x) { return x.kind == AssetKind::kFanart; });
      AssetPlan copy = *fanart;  // same template and marker: the same bytes
      copy.path = dir + path;
      copy.kind = AssetKind::kExtrafanart;
      movie.assets.push_back(std::move(copy));
    } else {
      image(AssetKind::kExtrafanart, path, false, fmt::format("extrafanart {}", i));
    }
  }
  if (a.trailer != 0) {
    movie.assets.push_back(
        {dir + stem + "-trailer.mp4",
         AssetKind::kTrailer,
         a.trailer - 1,
         a.trailer_shared ? std::nullopt : std::optional<std::string>(marker("trailer")),
         {},
         std::nullopt,
         false});
  }
  for (const auto& [language, forced] : a.subtitles) {
    const std::string path = dir + stem + "." + language + (forced ? ".forced" : "") + ".srt";
    movie.assets.push_back({path, AssetKind::kSubtitle, 0, std::nullopt,
                            srt_text(movie, language, forced), language, forced});
  }
}

// A showcase or random movie, before its directory name is known to be unique.
struct Draft {
  Showcase idea;
  bool random = false;
};

Showcase random_showcase(Rng& rng, std::size_t index) {
  Showcase s;
  s.title = random_title(rng);
  s.year = rng.between(1950, 2024);
  const int style = rng.between(0, 99);
  s.nfo_style = style < 12   ? NfoStyle::kNone
                : style < 20 ? NfoStyle::kUnknownTags
                             : NfoStyle::kValid;
  s.nfo_named_after_video = rng.chance(40);
  s.video_template = static_cast<int>(rng.below(kVideoTemplateCount));
  if (rng.chance(25)) {
    s.premiered = fmt::format("{}-{:02}-{:02}", s.year, rng.between(1, 12), rng.between(1, 28));
  }
  const int original = rng.between(0, 99);
  if (original < 60) {
    s.original_title = s.title;
  } else if (original < 75) {
    s.original_title = word(rng, names::special_titles());
  }
  // Disjoint ranges per index keep the ids unique without bookkeeping.
  const std::int64_t tmdb =
      100000 + static_cast<std::int64_t>(index) * 37 + static_cast<std::int64_t>(rng.below(37));
  const std::string imdb = fmt::format("tt{:07}", 1000000 + index * 53 + rng.below(53));
  const int ids = rng.between(0, 99);
  if (ids < 70) {
    s.tmdb = tmdb;
    s.imdb = imdb;
    s.default_uniqueid = rng.chance(75) ? "tmdb" : "imdb";
  } else if (ids < 82) {
    s.tmdb = tmdb;
    if (rng.chance(80)) s.default_uniqueid = "tmdb";
  } else if (ids < 92) {
    s.imdb = imdb;
    if (rng.chance(80)) s.default_uniqueid = "imdb";
  }
  std::vector<std::size_t> genre_indices(kMovieGenres.size());
  for (std::size_t i = 0; i < genre_indices.size(); ++i) genre_indices[i] = i;
  const int genre_count = rng.chance(5) ? 0 : rng.between(1, 4);
  for (int g = 0; g < genre_count; ++g) {
    const std::size_t pick = g + rng.below(genre_indices.size() - static_cast<std::size_t>(g));
    std::swap(genre_indices[static_cast<std::size_t>(g)], genre_indices[pick]);
    s.genres.emplace_back(kMovieGenres[genre_indices[static_cast<std::size_t>(g)]]);
  }
  s.assets = random_assets(rng);
  s.bom = rng.chance(3);
  s.cdata = rng.chance(5);
  if (rng.chance(15)) {
    std::string stem;
    for (const char c : path_component(s.title)) stem.push_back(c == ' ' ? '.' : c);
    s.video_stem = fmt::format("{}.{}.{}", stem, s.year, rng.chance(50) ? "720p" : "1080p");
  }
  return s;
}

MoviePlan make_movie(const Showcase& s, const std::string& directory, Rng& rng, std::uint64_t seed,
                     std::size_t ordinal) {
  MoviePlan movie;
  movie.directory = directory;
  movie.video_template = s.video_template;
  const std::string stem = s.video_stem.value_or(directory);
  movie.video = directory + "/" + stem + std::string(video_extension(s.video_template));
  movie.nfo_style = s.nfo_style;
  movie.year = s.year;
  if (s.nfo_style == NfoStyle::kNone || s.nfo_style == NfoStyle::kBroken) {
    // The directory name is all a scanner has: "Title (Year)".
    movie.title = directory.substr(0, directory.size() - std::string(" (0000)").size());
  } else {
    movie.title = s.title;
    movie.original_title = s.original_title;
    movie.premiered = s.premiered;
    movie.genres = s.genres;
    movie.tmdb = s.tmdb;
    movie.imdb = s.imdb;
    movie.default_uniqueid = s.default_uniqueid;
    movie.nfo_bom = s.bom;
    movie.nfo_cdata_plot = s.cdata;
    if (rng.chance(85)) movie.plot = random_plot(rng);
    if (rng.chance(80)) movie.runtime_minutes = rng.between(70, 190);
  }
  if (s.nfo_style != NfoStyle::kNone) {
    movie.nfo = directory + "/" + (s.nfo_named_after_video ? stem + ".nfo" : "movie.nfo");
  }
  add_assets(movie, s.assets, stem, rng, seed, ordinal);
  return movie;
}

}  // namespace

std::string_view asset_kind_name(AssetKind kind) noexcept {
  switch (kind) {
    case AssetKind::kPoster:
      return "poster";
    case AssetKind::kFanart:
      return "fanart";
    case AssetKind::kLandscape:
      return "landscape";
    case AssetKind::kClearlogo:
      return "clearlogo";
    case AssetKind::kExtrafanart:
      return "extrafanart";
    case AssetKind::kTrailer:
      return "trailer";
    case AssetKind::kSubtitle:
      return "subtitle";
  }
  return "";
}

MovieLibraryPlan plan_movie_library(int movie_count, std::uint64_t seed, bool with_bad) {
  Rng rng(seed ^ 0x6d6f766965ULL);  // "movie": independent of the music plan's stream
  MovieLibraryPlan plan;
  std::set<std::string> directories;
  if (with_bad) {
    plan.bad_directories = {
        {"Not A Video (2005)", "not-video", "Not A Video (2005)/Not A Video (2005).mkv"},
        {"Zero Byte Video (2006)", "zero-byte",
         "Zero Byte Video (2006)/Zero Byte Video (2006).mp4"},
        {"No Video Here (2007)", "no-video", "No Video Here (2007)"},
    };
    for (const BadDirectoryPlan& bad : plan.bad_directories) directories.insert(bad.directory);
  }

  const std::vector<Showcase> fixed = showcases();
  for (std::size_t i = 0; i < static_cast<std::size_t>(movie_count); ++i) {
    Showcase idea;
    if (with_bad && i == 0) {
      idea = Showcase{.title = "Unparsable Nfo",
                      .year = 2004,
                      .nfo_style = NfoStyle::kBroken,
                      .assets = {.poster = 1}};
    } else {
      const std::size_t showcase = with_bad ? i - 1 : i;
      idea = showcase < fixed.size() ? fixed[showcase] : random_showcase(rng, i);
    }
    std::string directory = fmt::format("{} ({})", path_component(idea.title), idea.year);
    while (!directories.insert(directory).second) {
      // Same title and year as an earlier movie: a remake a year later keeps names unique.
      ++idea.year;
      if (idea.premiered) idea.premiered->replace(0, 4, std::to_string(idea.year));
      if (idea.video_stem) idea.video_stem.reset();
      directory = fmt::format("{} ({})", path_component(idea.title), idea.year);
    }
    plan.movies.push_back(make_movie(idea, directory, rng, seed, i));
  }
  std::sort(plan.movies.begin(), plan.movies.end(),
            [](const MoviePlan& a, const MoviePlan& b) { return a.directory < b.directory; });
  return plan;
}

}  // namespace scanhub::make_library
