// The plan of a generated library: every album, track and side file, decided up front.
//
// plan_library() is a pure function of (track_count, seed), so the same arguments give the
// same library on every run and platform. Writing files is someone else's job (library_writer).
// Paths are UTF-8, relative to the library root, '/' separated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "templates.hpp"

namespace scanhub::make_library {

/// Who writes a track's tags: TagLib in-process, or ffmpeg's muxer on a stream copy.
enum class TaggedBy { kTaglib, kFfmpeg };
std::string_view tagged_by_name(TaggedBy tagged_by) noexcept;

struct TrackPlan {
  std::string path;
  std::string title;
  std::string artist;
  std::string album;
  std::optional<std::string> album_artist;  ///< absent tags are absent from the file, too
  std::optional<int> track_number;
  std::optional<int> disc_number;
  std::optional<int> year;
  std::optional<std::string> genre;
  Format format = Format::kMp3;
  int variant = 0;  ///< which template of the format
  bool embedded_cover = false;
  TaggedBy tagged_by = TaggedBy::kTaglib;
};

struct AlbumPlan {
  std::string path;  ///< the album directory (parent of CD1/, CD2/ for disc-folder albums)
  int cover_index = 0;  ///< which cover template the cover file copies
  /// The front cover's file name in `path` ("cover.jpg", "folder.jpg", "Front.JPG"); none for
  /// albums whose only art is what their tracks embed.
  std::optional<std::string> cover_file;
  /// A back.jpg too (a copy of cover template cover_index + 1).
  bool back_cover = false;
  /// The cover file is cut to half its bytes: not a decodable image, still a file to cache.
  bool corrupt_cover = false;
};

/// A small non-audio file in an album directory (notes.txt, album.m3u).
struct SideFile {
  std::string path;
  std::string contents;
};

struct LibraryPlan {
  std::vector<AlbumPlan> albums;
  std::vector<TrackPlan> tracks;
  std::vector<SideFile> side_files;
};

/// Plans track_count (>= 1) tracks in albums of 8-14 tracks (fewer only when track_count is too
/// small to allow it). The first albums are fixed showcases (Björk, a "Various Artists"
/// compilation, two multi-disc layouts, ...), so even a small library has every feature.
LibraryPlan plan_library(int track_count, std::uint64_t seed);

/// Makes a tag value usable as one path component: '/' becomes '_', a leading '.' becomes '_'
/// (it would hide the entry), and the result is cut to at most 180 bytes on a UTF-8 boundary.
std::string path_component(std::string_view name);

}  // namespace scanhub::make_library
