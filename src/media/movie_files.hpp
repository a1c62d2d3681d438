#pragma once
// Which file of a movie directory is what, by Kodi's naming conventions: issue 4 "Movie
// libraries" (one movie per directory, the main video, movie.nfo or <video name>.nfo, local
// assets, `extrafanart/`, trailers, subtitles <name>.<lang>[.forced].srt) and seed 002 phase 2
// steps 1 and 5 ("Find main video file", "Discover local assets").
// Sources: https://kodi.wiki/view/Naming_video_files/Movies, .../Artwork/Movies (poster,
// fanart, landscape, clearlogo, clearart, banner, discart, keyart; <name>-<type>.ext),
// .../Subtitles, and Kodi's default video excludefromscan ("-trailer", "sample").
//
// classify_movie_directory is a pure function over names, so every rule is testable without
// files; list_movie_directory feeds it from the file system.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::media {

/// One file of a movie directory. `name` is relative to the directory with '/' separators:
/// "Movie.mkv", or "extrafanart/fanart1.jpg" for the subdirectories whose files count
/// (extrafanart/, VIDEO_TS/, BDMV/ and BDMV/STREAM/).
struct MovieDirectoryEntry {
  std::string name;
  std::uintmax_t size = 0;  ///< bytes
};

enum class MovieAssetKind {
  poster,       ///< poster, folder, cover, <name>-poster, <name> (.tbn legacy)
  fanart,       ///< fanart, backdrop, <name>-fanart
  landscape,    ///< landscape, <name>-landscape
  thumb,        ///< thumb, <name>-thumb (Kodi's video thumbnail, usually a still)
  clearlogo,    ///< clearlogo, logo, <name>-clearlogo
  clearart,     ///< clearart, <name>-clearart
  banner,       ///< banner, <name>-banner
  discart,      ///< disc, discart, <name>-disc, <name>-discart
  keyart,       ///< keyart, <name>-keyart
  extrafanart,  ///< every image under extrafanart/
};

/// A movie kept as a disc folder (Kodi plays both from the folder).
enum class DiscKind {
  dvd,     ///< VIDEO_TS/VIDEO_TS.IFO with VIDEO_TS/*.VOB
  bluray,  ///< BDMV/index.bdmv with BDMV/STREAM/*.m2ts
};

/// "poster", "fanart", ... (the names Kodi uses for art types).
std::string_view to_string(MovieAssetKind kind) noexcept;

struct MovieAsset {
  MovieAssetKind kind;
  std::string name;  ///< as in MovieDirectoryEntry::name
  std::uintmax_t size = 0;
};

/// <name>.<tags>.<ext>: a subtitle file beside the main video. Tags are read in any order:
/// a language ("en", "eng", "pt-BR", "English"), "forced", "sdh"/"cc"/"hi".
struct LocalSubtitle {
  std::string name;
  std::string format;                   ///< lower-case extension: "srt", "ass", "ssa", "sub", "idx", "vtt", "sup", "smi"
  std::optional<std::string> language;  ///< the tag as written, lower-cased ("en", "eng", "english")
  bool is_forced = false;
  bool is_hearing_impaired = false;     ///< sdh, cc or hi
};

struct MovieFiles {
  std::optional<std::string> video;  ///< the main video (a stack's first part); absent when none
  /// A movie split into files (Kodi's file stacking: "Movie-cd1.avi", "Movie-cd2.avi"; cd, dvd,
  /// part, pt, disc, disk then 1-99 or a-d): every part in play order, `video` first. Empty
  /// for a movie in one file.
  std::vector<std::string> parts;
  /// Set when the movie is a disc folder; `video` is then "VIDEO_TS/VIDEO_TS.IFO" or
  /// "BDMV/index.bdmv" (as the entries spell them), which libavformat cannot read.
  std::optional<DiscKind> disc;
  /// A disc's largest stream file ("VIDEO_TS/VTS_01_1.VOB", "BDMV/STREAM/00001.m2ts"): the one
  /// to give probe_video for stream details (its duration is that file's, not the title's).
  std::optional<std::string> disc_stream;
  /// Other videos that are not the movie: trailers are listed in `trailers`, the rest (samples,
  /// extras named -featurette, -behindthescenes, -deleted, -deletedscene, -interview, -scene,
  /// -short, -clip, -other, -extra, and smaller videos) here.
  std::vector<std::string> other_videos;
  std::optional<std::string> nfo;  ///< <video name>.nfo, else movie.nfo
  std::vector<MovieAsset> assets;  ///< in kind order, then name order
  std::vector<std::string> trailers;   ///< <name>-trailer.ext, trailer.ext, movie-trailer.ext
  std::vector<LocalSubtitle> subtitles;
  /// From a "Title (Year)" directory name ("The Matrix (1999)", "Alien (1979) [Director's
  /// Cut]"); without a year the whole name is the title. For callers without an nfo title.
  std::optional<std::string> title_from_name;
  std::optional<int> year_from_name;
};

/// Classifies the files of one movie directory named `directory_name` (its last path
/// component). Names compare case-insensitively. The main video is the largest video file, or
/// stack of parts counted together, that is not a trailer, sample or extra (ties: the first
/// name in byte order); <name> below is its file name without extension, and for a stack also
/// the stack's name (Kodi's Title + Ignore tokens: "Movie" for "Movie-cd1.avi"), which comes
/// first when looking for <name>.nfo. A DVD or Blu-ray folder competes with the size of its
/// streams; its nfo is VIDEO_TS/VIDEO_TS.nfo or BDMV/index.nfo, else movie.nfo. Assets named <name>-<type> and plain <type> both count,
/// every .jpg, .jpeg, .png, .webp or .tbn; files matching no rule are ignored. Never throws
/// except std::bad_alloc.
MovieFiles classify_movie_directory(std::string_view directory_name,
                                    std::span<const MovieDirectoryEntry> entries);

/// The entries classify_movie_directory wants from the directory at `directory`: its regular
/// files (symlinks followed) and those of its extrafanart/, VIDEO_TS/, BDMV/ and BDMV/STREAM/
/// subdirectories (any case), with sizes. Hidden files (leading '.') are skipped. Throws
/// std::filesystem::filesystem_error when the directory cannot be read; an unreadable
/// subdirectory or a file that vanished is skipped.
std::vector<MovieDirectoryEntry> list_movie_directory(const std::filesystem::path& directory);

/// True for a video extension scanhub reads as a movie (case-insensitive): mkv, mp4, m4v, avi,
/// mov, wmv, mpg, mpeg, m2ts, ts, webm, ogv, flv, vob, divx, 3gp, iso.
bool has_video_extension(std::string_view name) noexcept;

}  // namespace scanhub::media
