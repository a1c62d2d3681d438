// Encoded audio templates and cover images that every generated track is copied from.
//
// ffmpeg costs ~0.1 s to start, so each (format, variant) is encoded once, from a sine tone of
// an exact number of samples, and kept in a cache directory (reused across runs when the caller
// passes one). Called from the main thread; encoding runs on a few worker threads.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::make_library {

enum class Format { kMp3, kFlac, kVorbis, kOpus, kAac };

inline constexpr std::array kFormats{Format::kMp3, Format::kFlac, Format::kVorbis, Format::kOpus,
                                     Format::kAac};
inline constexpr int kVariantCount = 3;
inline constexpr int kCoverCount = 4;

/// Manifest codec name: "mp3", "flac", "vorbis", "opus", "aac" (ffprobe's codec_name).
std::string_view codec_name(Format format) noexcept;
/// File extension with the dot: ".mp3", ".flac", ".ogg", ".opus", ".m4a".
std::string_view extension(Format format) noexcept;
/// ffmpeg muxer (-f) that writes the format: "mp3", "flac", "ogg", "opus", "ipod".
std::string_view muxer_name(Format format) noexcept;

struct TemplateSpec {
  Format format;
  int variant;      ///< 0 .. kVariantCount - 1
  int sample_rate;  ///< Hz; opus is always 48000
  int channels;
  int duration_ms;  ///< exact: samples() / sample_rate * 1000
  double tone_hz;
  std::optional<int> bitrate_kbps;  ///< nominal encoder setting; none for lossless

  std::int64_t samples() const noexcept {
    return static_cast<std::int64_t>(duration_ms) * sample_rate / 1000;
  }
  /// Cache file name; it spells out every parameter so a changed spec never reuses a stale file.
  std::string file_name() const;
};

const TemplateSpec& template_spec(Format format, int variant);

struct EncodedTemplate {
  TemplateSpec spec;
  std::filesystem::path path;  ///< absolute
  std::string bytes;           ///< whole file, for in-process copies
};

class TemplateSet {
 public:
  const EncodedTemplate& get(Format format, int variant) const;
  const std::filesystem::path& cover_path(int index) const { return covers_.at(index); }
  const std::string& embedded_cover_jpeg() const { return embedded_cover_; }

 private:
  friend TemplateSet prepare_templates(const std::filesystem::path&, unsigned);
  std::vector<EncodedTemplate> templates_;  ///< kFormats order, then variant
  std::vector<std::filesystem::path> covers_;
  std::string embedded_cover_;
};

/// Encodes every template and cover missing from cache_dir (which must exist), probes each new
/// template with ffprobe and warns on stderr when its duration is off by more than 50 ms, then
/// loads them. Throws ProcessError when ffmpeg or ffprobe fails, std::runtime_error on I/O errors.
TemplateSet prepare_templates(const std::filesystem::path& cache_dir, unsigned threads);

/// Reads a whole file. Throws std::runtime_error.
std::string read_file_or_throw(const std::filesystem::path& path);
/// Writes a whole file, replacing it. Throws std::runtime_error.
void write_file_or_throw(const std::filesystem::path& path, std::string_view bytes);

}  // namespace scanhub::make_library
