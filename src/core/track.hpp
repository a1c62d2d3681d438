#pragma once
// A track as the library stores it: where its file is, what it weighed when read, its tags and
// its audio properties. Field meanings follow the media world (album artist = TPE2/ALBUMARTIST/
// aART; disc number from TPOS/DISCNUMBER/disk).

#include "core/ids.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace scanhub::core {

/// What a tag reader found in one audio file. Absent tags are nullopt, never "" or 0.
struct TrackMetadata {
  std::optional<std::string> title;
  std::optional<std::string> artist;
  std::optional<std::string> album;
  std::optional<std::string> album_artist;
  std::optional<std::int64_t> track_number;  ///< "3/12" reads as 3
  std::optional<std::int64_t> disc_number;
  std::optional<std::int64_t> year;          ///< from a date: "1997-05-20" reads as 1997
  std::optional<std::string> genre;
  std::int64_t duration_ms = 0;
  std::string codec;           ///< lower-case codec name: mp3, flac, vorbis, opus, aac, alac, ...
  std::int64_t bitrate_kbps = 0;
  std::int64_t sample_rate = 0;  ///< Hz
  std::int64_t channels = 0;

  bool operator==(const TrackMetadata&) const = default;
};

/// A file's identity for incremental rescans: unchanged size and mtime mean unchanged file.
struct FileStamp {
  std::int64_t size = 0;      ///< bytes
  std::int64_t mtime_ns = 0;  ///< st_mtim in nanoseconds since the epoch

  bool operator==(const FileStamp&) const = default;
};

struct Track {
  TrackId id = 0;
  LibraryId library_id = 0;
  std::string path;  ///< relative to the library root, '/'-separated, UTF-8
  FileStamp stamp;
  TrackMetadata metadata;
};

}  // namespace scanhub::core
