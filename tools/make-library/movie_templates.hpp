// Encoded video, trailer and image templates for generated movie libraries, with the stream
// details ffprobe reports for each video template.
//
// Every template is made once by ffmpeg (about 0.1-0.5 s each) and kept in the cache directory
// shared with the music templates; generated movies are copies. Each video template is probed
// with ffprobe once, right after it is encoded, and the probe is cached beside it
// (`<template>.ffprobe.json`), so the manifest's stream details are ffprobe's own view of the
// very bytes every movie receives. Called from the main thread; encoding runs on a few threads.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::make_library {

/// One audio stream of a video template: ffprobe's codec_name, channel count and language tag.
struct AudioStreamDetails {
  std::string codec;                    ///< "aac", "ac3", "mp3"
  int channels = 0;                     ///< 1, 2 or 6 (5.1)
  std::optional<std::string> language;  ///< ISO 639-2 tag as stored ("eng"); none in AVI
};

/// One subtitle stream embedded in a video template.
struct SubtitleStreamDetails {
  std::string codec;                    ///< "subrip" (Matroska), "mov_text" (MP4)
  std::optional<std::string> language;  ///< ISO 639-2 tag as stored
  bool forced = false;                  ///< disposition.forced
};

/// What ffprobe reports for a video file (seed 002: "Extract FFprobe streams").
struct StreamDetails {
  std::string container;         ///< format.format_name, e.g. "matroska,webm", "avi"
  std::int64_t duration_ms = 0;  ///< format.duration, rounded to milliseconds
  std::string video_codec;       ///< "h264" or "mpeg4"
  int width = 0;                 ///< pixels
  int height = 0;                ///< pixels
  std::vector<AudioStreamDetails> audio;
  std::vector<SubtitleStreamDetails> subtitles;
};

/// Number of main-video templates: mkv/mp4/avi, h264/mpeg4, aac/ac3/mp3, mono/stereo/5.1,
/// some with two audio languages and embedded subtitles (table in movie_templates.cpp).
inline constexpr int kVideoTemplateCount = 9;
/// Trailer templates (MP4, h264 + AAC, 1 s).
inline constexpr int kTrailerTemplateCount = 2;

/// Image kinds drawn from the template pool. Extra fanart uses fanart images.
enum class ImageKind { kPoster, kFanart, kLandscape, kClearlogo };
inline constexpr std::array kImageKinds{ImageKind::kPoster, ImageKind::kFanart,
                                        ImageKind::kLandscape, ImageKind::kClearlogo};
/// Templates per image kind; a movie's image is one of them plus a per-movie marker, or the
/// bare template (then identical bytes are shared by every movie that draws it).
inline constexpr int kImageTemplateCount = 4;

struct VideoTemplate {
  std::filesystem::path path;  ///< absolute, inside the cache directory
  std::string extension;       ///< ".mkv", ".mp4", ".avi"
  std::uintmax_t size = 0;     ///< bytes
  StreamDetails streams;       ///< ffprobe's report for this file
};

/// The main-video template's file extension (".mkv", ".mp4", ".avi"); a pure table lookup, so
/// planning needs no encoded templates.
std::string_view video_extension(int index);

class MovieTemplateSet {
 public:
  const VideoTemplate& video(int index) const {
    return videos_.at(static_cast<std::size_t>(index));
  }
  /// Whole trailer file (MP4).
  const std::string& trailer(int index) const {
    return trailers_.at(static_cast<std::size_t>(index));
  }
  /// Whole image file: JPEG for every kind but the clearlogo, which is PNG.
  const std::string& image(ImageKind kind, int index) const;

 private:
  friend MovieTemplateSet prepare_movie_templates(const std::filesystem::path&, unsigned);
  std::vector<VideoTemplate> videos_;
  std::vector<std::string> trailers_;
  std::vector<std::string> images_;  ///< kImageKinds order, then index
};

/// Encodes (and probes) every movie template missing from cache_dir, which must exist, then
/// loads them. Throws ProcessError when ffmpeg or ffprobe fails, std::runtime_error on I/O errors
/// or an ffprobe report that lacks a video stream.
MovieTemplateSet prepare_movie_templates(const std::filesystem::path& cache_dir, unsigned threads);

/// Parses `ffprobe -show_format -show_streams -of json` output. Throws std::runtime_error.
StreamDetails parse_ffprobe_json(std::string_view json_text);

}  // namespace scanhub::make_library
