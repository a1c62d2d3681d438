#pragma once
// Reading one audio file's tags and audio properties, behind one small interface so TagLib
// (here) or libavformat (later, for video streams) can serve a file (MPD's tag/Handler.hxx).

#include "core/track.hpp"
#include "media/read_limits.hpp"

#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace scanhub::media {

/// A file that cannot be read as audio: its message is the reason shown to people ("not a
/// recognized audio file", "no audio stream", ...). Thrown for bad input, never for our bugs.
class ReadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// True when `name` ends in an extension scanhub reads as audio (case-insensitive): mp3, flac,
/// ogg, oga, opus, m4a, mp4, aac, wav, wv, ape, mpc, aiff, aif, wma.
bool has_audio_extension(std::string_view name) noexcept;

class TagReader {
 public:
  virtual ~TagReader() = default;
  /// Reads tags and audio properties of the regular file at `path` within `limits`.
  /// Thread-safe: workers call it concurrently. Throws ReadError for unreadable or invalid
  /// audio, and for a read over `limits.time_budget` (budget_exceeded_reason); ReadCancelled
  /// when `limits.stop` was requested before it finished.
  virtual core::TrackMetadata read(const std::filesystem::path& path,
                                   const ReadLimits& limits) const = 0;
};

/// The TagLib implementation (TagLib 1.13: ID3v2/APE for mp3, Vorbis comments for flac/ogg/
/// opus, MP4 atoms for m4a). Durations account for MP3 encoder delay and padding when the file
/// carries a LAME header, so they match the decoded length. Reads through a BoundedStream
/// (bounded_stream.hpp), so the budget and the stop token are obeyed at every read of the file;
/// an .mp3 without an MPEG frame sync within 1 MiB after its ID3v2 tags is refused before
/// TagLib searches it (mpeg_sync.hpp).
class TagLibReader : public TagReader {
 public:
  TagLibReader();
  core::TrackMetadata read(const std::filesystem::path& path,
                           const ReadLimits& limits) const override;
};

}  // namespace scanhub::media
