// The plan of a generated movie library: every movie directory, its main video, .nfo and local
// assets (Kodi naming), and the bad directories, decided up front.
//
// plan_movie_library() is a pure function of (movie_count, seed, with_bad): the same arguments
// give the same library on every run and platform. Paths are UTF-8, relative to the library
// root, '/' separated. Writing is movie_writer's job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "movie_templates.hpp"

namespace scanhub::make_library {

/// Manifest asset kinds (seed 002's assetType plus Kodi's landscape, clearlogo, extrafanart).
enum class AssetKind {
  kPoster,
  kFanart,
  kLandscape,
  kClearlogo,
  kExtrafanart,
  kTrailer,
  kSubtitle
};
/// "poster", "fanart", "landscape", "clearlogo", "extrafanart", "trailer", "subtitle".
std::string_view asset_kind_name(AssetKind kind) noexcept;

/// One local asset file. Its bytes are template bytes (image or trailer template
/// `template_index`) with `marker` embedded when set, or `text` for subtitles: two assets with
/// the same kind of source, template and marker are byte-identical (deliberate duplicates).
struct AssetPlan {
  std::string path;
  AssetKind kind = AssetKind::kPoster;
  int template_index = 0;
  std::optional<std::string> marker;    ///< nullopt: the bare template, shared across movies
  std::string text;                     ///< subtitles only: the .srt contents
  std::optional<std::string> language;  ///< subtitles only, as in the file name ("en")
  bool forced = false;                  ///< subtitles only: "<name>.<lang>.forced.srt"
};

/// How a movie's .nfo is written.
enum class NfoStyle {
  kNone,         ///< no .nfo: title and year come from the directory name "Title (Year)"
  kValid,        ///< well-formed Kodi <movie> document
  kUnknownTags,  ///< well-formed, plus tags Kodi writes or users add that a scanner ignores
  kBroken,       ///< not well-formed XML (a bad case); title and year from the directory name
};

struct MoviePlan {
  std::string directory;  ///< "Title (Year)"
  std::string video;      ///< main video file, relative to the root
  int video_template = 0;
  NfoStyle nfo_style = NfoStyle::kNone;
  std::optional<std::string> nfo;  ///< path of movie.nfo or "<video name>.nfo"

  // The truth a correct scan reports. For kNone and kBroken only title and year are set.
  std::string title;
  std::optional<std::string> original_title;
  int year = 0;                          ///< from <year>, <premiered> or the directory name
  std::optional<std::string> premiered;  ///< "YYYY-MM-DD"; set when the .nfo has no <year>
  std::optional<std::string> plot;
  std::optional<int> runtime_minutes;
  std::vector<std::string> genres;  ///< in .nfo order
  std::optional<std::int64_t> tmdb;
  std::optional<std::string> imdb;              ///< "tt0133093"
  std::optional<std::string> default_uniqueid;  ///< "tmdb" or "imdb": which has default="true"

  // .nfo writing quirks a parser must take in its stride.
  bool nfo_bom = false;         ///< UTF-8 byte order mark before the XML declaration
  bool nfo_cdata_plot = false;  ///< plot inside <![CDATA[...]]>

  std::vector<AssetPlan> assets;
};

/// A directory a correct scanner reports as an error (and counts in errors_count).
struct BadDirectoryPlan {
  std::string directory;
  std::string kind;        ///< "not-video", "zero-byte", "no-video" (broken-nfo movies are movies)
  std::string error_path;  ///< the file (or, for "no-video", the directory) the error names
};

struct MovieLibraryPlan {
  std::vector<MoviePlan> movies;  ///< sorted by directory
  std::vector<BadDirectoryPlan> bad_directories;
};

/// Plans movie_count (>= 1) movies. The first movies are fixed showcases (non-Latin titles,
/// XML-special characters, premiered without year, every asset naming, shared posters), so even
/// a 20-movie library has every feature. with_bad adds one movie with a broken .nfo and the bad
/// directories; without it every directory is a clean movie.
MovieLibraryPlan plan_movie_library(int movie_count, std::uint64_t seed, bool with_bad);

}  // namespace scanhub::make_library
