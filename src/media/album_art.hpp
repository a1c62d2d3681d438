#pragma once
// Album art of a music track: image files in the track's directory and pictures embedded in
// the file (issue 4 "Music libraries": album art, `cover.jpg`, `folder.jpg`, embedded pictures,
// as assets). Pictures are listed cheaply; their bytes are read only when asked for (for
// hashing into the asset cache), as STYLE.md asks of expensive tag work.

#include "media/read_limits.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::media {

/// The picture types of ID3v2.4 APIC (section 4.14), which FLAC METADATA_BLOCK_PICTURE and
/// Ogg METADATA_BLOCK_PICTURE reuse: 0 other, 3 front cover, 4 back cover, 6 media, ...
enum class PictureType : std::uint8_t {
  other = 0, file_icon = 1, other_file_icon = 2, front_cover = 3, back_cover = 4,
  leaflet = 5, media = 6, lead_artist = 7, artist = 8, conductor = 9, band = 10,
  composer = 11, lyricist = 12, recording_location = 13, during_recording = 14,
  during_performance = 15, screen_capture = 16, bright_coloured_fish = 17,
  illustration = 18, band_logo = 19, publisher_logo = 20,
};

/// "front cover", "back cover", ... (ID3v2.4's wording, lower case); "other" for values
/// outside 0..20.
std::string_view to_string(PictureType type) noexcept;

/// One picture embedded in an audio file.
struct EmbeddedPicture {
  int index = 0;              ///< position among the file's pictures, for picture_data
  PictureType type = PictureType::other;  ///< MP4 `covr` has no type: reported as front_cover
  std::string mime;           ///< "image/jpeg", "image/png"; "" when the file does not say
  std::string description;    ///< APIC/PICTURE description, often ""
  std::uintmax_t size = 0;    ///< bytes of image data
  std::optional<int> width;   ///< pixels, from FLAC/Ogg picture blocks when they state it
  std::optional<int> height;
  std::string container;      ///< where it came from: "id3v2 APIC", "flac PICTURE", "mp4 covr", "ogg METADATA_BLOCK_PICTURE"
};

/// The pictures embedded in the audio file at `path`: ID3v2 APIC frames (mp3, and ID3v2 in
/// WAV/AIFF), FLAC PICTURE blocks, MP4 `covr` atoms (m4a, mp4), Ogg Vorbis/Opus/FLAC
/// METADATA_BLOCK_PICTURE comments. Empty when the file holds none or is a format without
/// pictures. Thread-safe (TagLib objects are per call). Throws ReadError (tag_reader.hpp) when
/// the path is not a regular file, TagLib cannot open it as audio, or reading it took longer
/// than `limits.time_budget`; ReadCancelled when `limits.stop` was requested.
std::vector<EmbeddedPicture> read_embedded_pictures(const std::filesystem::path& path,
                                                   const ReadLimits& limits = {});

/// The image bytes of picture `index` (as listed by read_embedded_pictures) of the file at
/// `path`; re-reads the file. Throws ReadError when the file cannot be read or has no such
/// picture (it changed since it was listed), and as read_embedded_pictures for `limits`.
std::vector<std::uint8_t> read_embedded_picture_data(const std::filesystem::path& path, int index,
                                                      const ReadLimits& limits = {});

/// Folder art names in order of preference (case-insensitive, .jpg, .jpeg or .png): cover,
/// folder, front, album (Kodi's and MPD's cover file names; Jellyfin adds front).
/// Returns the entries of `file_names` that are folder art, best first; a .jpg before a .png of
/// the same name.
std::vector<std::string> folder_art_names(std::span<const std::string> file_names);

/// folder_art_names over the regular files of `directory` (a track's directory), as full
/// paths. An unreadable directory yields nothing (the track itself reports the error).
std::vector<std::filesystem::path> find_folder_art(const std::filesystem::path& directory);

}  // namespace scanhub::media
