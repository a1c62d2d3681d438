#pragma once
// A movie as a movie library stores it (issue 4 "Movie libraries (Kodi conventions)", seed 002
// phase 2: one movie per directory, its main video, its .nfo, its stream details), and the
// local assets of library items (seed 002 phase 3 "cache-asset": posters, fanart, trailers,
// subtitles; album art for music). Domain types only, no I/O.

#include "core/ids.hpp"
#include "core/track.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::core {

using MovieId = std::int64_t;
using ItemAssetId = std::int64_t;

/// What a movie's .nfo (or, without one, its directory name) says. Absent is nullopt, never "".
struct MovieMetadata {
  std::string title;  ///< the .nfo's <title>, else "Title" of a "Title (Year)" directory name
  std::optional<std::string> original_title;
  std::optional<std::string> sort_title;
  std::optional<std::int64_t> year;  ///< <year>, else the year of <premiered>, else the name's
  std::optional<std::string> premiered;  ///< as written, normally "YYYY-MM-DD"
  std::optional<std::string> plot;
  std::optional<std::int64_t> runtime_minutes;
  std::vector<std::string> genres;    ///< in .nfo order
  std::optional<std::string> tmdb_id;  ///< as written ("603")
  std::optional<std::string> imdb_id;  ///< "tt0133093"

  bool operator==(const MovieMetadata&) const = default;
};

/// One audio stream of the main video (ffprobe's names: codec_name, channels, tags.language).
struct MovieAudioStream {
  std::string codec;  ///< "aac", "ac3", "mp3", ...
  std::int64_t channels = 0;
  std::optional<std::string> channel_layout;  ///< "stereo", "5.1(side)"
  std::int64_t sample_rate = 0;               ///< Hz
  std::optional<std::string> language;        ///< the `language` tag as written ("eng")
  std::optional<std::string> title;
  bool is_default = false;
  bool is_forced = false;

  bool operator==(const MovieAudioStream&) const = default;
};

/// One subtitle stream inside the main video (not a sidecar file: those are assets).
struct MovieSubtitleStream {
  std::string codec;  ///< "subrip", "mov_text", "hdmv_pgs_subtitle", ...
  std::optional<std::string> language;
  std::optional<std::string> title;
  bool is_default = false;
  bool is_forced = false;
  bool is_hearing_impaired = false;

  bool operator==(const MovieSubtitleStream&) const = default;
};

/// What libavformat reports of the main video (for a disc folder: of its largest stream file).
/// The first video stream is the movie's picture.
struct MovieStreams {
  std::string container;  ///< demuxer name: "matroska,webm", "avi"
  std::optional<std::int64_t> duration_ms;
  std::optional<std::int64_t> bit_rate;  ///< whole file, bits per second
  std::optional<std::string> video_codec;  ///< "h264", "hevc", ...
  std::optional<std::int64_t> video_width;  ///< pixels
  std::optional<std::int64_t> video_height;
  std::optional<double> video_frame_rate;  ///< frames per second
  std::optional<std::string> video_hdr;    ///< "HDR10", "HLG", "Dolby Vision"; absent for SDR
  std::vector<MovieAudioStream> audio;
  std::vector<MovieSubtitleStream> subtitles;

  bool operator==(const MovieStreams&) const = default;
};

struct Movie {
  MovieId id = 0;  ///< 0 until stored
  LibraryId library_id = 0;
  std::string directory;   ///< relative to the library root, '/'-separated: "The Matrix (1999)"
  std::string video_path;  ///< relative to the library root: "The Matrix (1999)/The Matrix (1999).mkv"
  FileStamp stamp;         ///< of the main video
  std::optional<std::string> nfo_path;  ///< relative to the library root
  std::optional<std::int64_t> nfo_mtime_ns;
  /// Why the .nfo could not be read ("Start-end tags mismatch at offset 57"); kept so a rescan
  /// of an unchanged directory reports it again without reading the file.
  std::optional<std::string> nfo_error;
  MovieMetadata metadata;
  std::optional<MovieStreams> streams;  ///< absent when the probe was skipped (skipFFprobe)

  bool operator==(const Movie&) const = default;
};

/// What an asset belongs to (item_assets.owner_kind).
enum class AssetOwnerKind { movie, track, album };

/// Kodi's art types (kodi.wiki "Artwork/Movies") plus the files seed 002 caches beside them.
enum class AssetKind {
  poster,
  fanart,
  landscape,
  thumb,
  clearlogo,
  clearart,
  banner,
  discart,
  keyart,
  extrafanart,
  trailer,
  subtitle,
  album_art,
  cover,  ///< an album's front cover (cover.jpg, folder.jpg, front.*, album.*, or embedded)
  back,   ///< an album's back cover (back.*)
  disc,   ///< an album's disc art (disc.*, cd.*)
};

constexpr std::string_view to_string(AssetOwnerKind kind) noexcept {
  switch (kind) {
    case AssetOwnerKind::movie: return "movie";
    case AssetOwnerKind::track: return "track";
    case AssetOwnerKind::album: return "album";
  }
  return "movie";
}

constexpr std::string_view to_string(AssetKind kind) noexcept {
  switch (kind) {
    case AssetKind::poster: return "poster";
    case AssetKind::fanart: return "fanart";
    case AssetKind::landscape: return "landscape";
    case AssetKind::thumb: return "thumb";
    case AssetKind::clearlogo: return "clearlogo";
    case AssetKind::clearart: return "clearart";
    case AssetKind::banner: return "banner";
    case AssetKind::discart: return "discart";
    case AssetKind::keyart: return "keyart";
    case AssetKind::extrafanart: return "extrafanart";
    case AssetKind::trailer: return "trailer";
    case AssetKind::subtitle: return "subtitle";
    case AssetKind::album_art: return "album_art";
    case AssetKind::cover: return "cover";
    case AssetKind::back: return "back";
    case AssetKind::disc: return "disc";
  }
  return "poster";
}

constexpr std::optional<AssetOwnerKind> parse_asset_owner_kind(std::string_view text) noexcept {
  for (const auto kind : {AssetOwnerKind::movie, AssetOwnerKind::track, AssetOwnerKind::album}) {
    if (to_string(kind) == text) return kind;
  }
  return std::nullopt;
}

constexpr std::optional<AssetKind> parse_asset_kind(std::string_view text) noexcept {
  for (int i = 0; i <= static_cast<int>(AssetKind::disc); ++i) {
    if (to_string(static_cast<AssetKind>(i)) == text) return static_cast<AssetKind>(i);
  }
  return std::nullopt;
}

/// One local file of an item that the cache-asset phase copies into the asset cache.
struct ItemAsset {
  ItemAssetId id = 0;  ///< 0 until stored
  AssetOwnerKind owner_kind = AssetOwnerKind::movie;
  std::int64_t owner_id = 0;  ///< movies.id (or tracks.id); 0 until the owner is stored
  AssetKind kind = AssetKind::poster;
  std::string source_path;  ///< relative to the library root
  FileStamp stamp;          ///< of the source when it was found
  std::optional<std::string> language;  ///< subtitles: the tag as written in the name ("fr")
  bool is_forced = false;               ///< subtitles: "<name>.<lang>.forced.srt"
  /// The content's SHA-256 (64 lower-case hex digits) once cached; nullopt until then.
  std::optional<std::string> sha256;
  /// Where the content is in the asset cache, relative to its root ("ab/cd/<sha256>.jpg").
  std::optional<std::string> cache_path;

  bool operator==(const ItemAsset&) const = default;
};

}  // namespace scanhub::core
