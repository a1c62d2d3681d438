#pragma once
// Stream details of one video file, read in-process with libavformat (no ffprobe process per
// file): issue 4 "Movie libraries" (stream details read in-process), seed 002 phase 2 step 3
// ("Extract FFprobe streams"). The field names follow ffprobe's JSON output (codec_name,
// profile, pix_fmt, channel_layout, tags.language, disposition.default/forced), so what a user
// sees in `ffprobe -show_streams` is what this reports.

#include "lib/av/format_context.hpp"
#include "media/tag_reader.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace scanhub::media {

struct VideoStreamInfo {
  int index = 0;                            ///< stream index in the container
  std::string codec;                        ///< FFmpeg codec name: "h264", "hevc", "mpeg4", "av1"
  std::optional<std::string> profile;       ///< "High", "Main 10", ...; absent when unknown
  int width = 0;                            ///< coded picture size in pixels
  int height = 0;
  std::optional<double> frame_rate;         ///< frames per second (avg_frame_rate, else r_frame_rate)
  std::optional<std::string> pixel_format;  ///< "yuv420p", "yuv420p10le", ...
  std::optional<std::int64_t> bit_rate;     ///< bits per second when the container states it
  /// "HDR10" (SMPTE ST 2084 / PQ transfer), "HLG" (ARIB STD-B67), "Dolby Vision" (a DOVI
  /// configuration record); absent for SDR. Only what the stream header says: no frame decoding.
  std::optional<std::string> hdr;
  std::optional<std::string> language;      ///< the stream's `language` tag as written ("eng")
  bool is_default = false;                  ///< disposition default
};

struct AudioStreamInfo {
  int index = 0;
  std::string codec;                          ///< "aac", "ac3", "eac3", "dts", "truehd", "opus"
  std::optional<std::string> profile;         ///< "LC", "DTS-HD MA", ...
  int channels = 0;
  std::optional<std::string> channel_layout;  ///< FFmpeg's description: "stereo", "5.1(side)"
  int sample_rate = 0;                        ///< Hz
  std::optional<std::int64_t> bit_rate;       ///< bits per second
  std::optional<std::string> language;        ///< `language` tag as written ("eng", "ger")
  std::optional<std::string> title;           ///< `title` tag ("Director's commentary")
  bool is_default = false;
  bool is_forced = false;
};

struct SubtitleStreamInfo {
  int index = 0;
  std::string codec;                    ///< "subrip", "ass", "hdmv_pgs_subtitle", "dvd_subtitle"
  std::optional<std::string> language;  ///< `language` tag as written
  std::optional<std::string> title;
  bool is_default = false;
  bool is_forced = false;
  bool is_hearing_impaired = false;     ///< disposition hearing_impaired (SDH)
};

struct VideoInfo {
  std::string container;                  ///< demuxer name: "matroska,webm", "mov,mp4,m4a,3gp,3g2,mj2", "avi"
  std::optional<std::int64_t> duration_ms;  ///< whole file, milliseconds; absent when unknown
  std::optional<std::int64_t> bit_rate;     ///< whole file, bits per second
  std::vector<VideoStreamInfo> video;       ///< cover pictures (attached_pic) are not listed
  std::vector<AudioStreamInfo> audio;
  std::vector<SubtitleStreamInfo> subtitles;
};

/// Reads container and stream details of the file at `path`. Thread-safe: workers call it at
/// once on different files (each call has its own demuxer context). Bounded: reads at most
/// `limits.probe_size_bytes`, analyzes at most `limits.analyze_duration` of the file, gives
/// up after `limits.time_limit` (the per-file time budget) or at the first poll after
/// `limits.stop` is requested. Lowers FFmpeg's log level to fatal on first use
/// (av::quiet_logging).
///
/// Throws ReadError with the path and the reason when it is not a regular file (a FIFO would
/// block), cannot be opened, no demuxer recognizes it ("Invalid data found when processing
/// input": a text file named .mkv, a zero-byte file), it holds no video stream ("no video
/// stream": a music file), or the probe took longer than the budget ("cannot probe <path>:
/// reading took longer than the 10 s budget"). Throws ReadCancelled (read_limits.hpp) when
/// `limits.stop` cut it short.
VideoInfo probe_video(const std::filesystem::path& path, const av::ProbeLimits& limits = {});

}  // namespace scanhub::media
