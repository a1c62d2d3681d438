#pragma once
// Decodes one audio file in-process to mono float PCM at a fixed rate (issue 5 item 1):
// libavformat demuxes, libavcodec decodes the best audio stream, libswresample downmixes and
// resamples. For the embedding enricher, on a queue worker thread; one object per thread.
//
// Errors are av::Error (FFmpeg's code and reason, with the path): a missing file, a file no
// demuxer knows, no audio stream, no decoder, corrupt data the decoder cannot get past.
// Corrupt packets the decoder can skip are skipped (as ffmpeg does); bad input never crashes.

#include "lib/av/format_context.hpp"
#include "media/read_limits.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace scanhub::embed {

/// Thrown by the constructor or decode() when a stop token was triggered.
class DecodeCancelled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class AudioDecoder {
 public:
  /// Opens `path` and finds its best audio stream and decoder (probing at most 1 MB / 1 s).
  /// Everything read from the file, from here to the end of decode(), counts against
  /// `limits.time_budget` (the per-file time budget: a 15-minute track decodes in about a
  /// second), and `limits.stop` interrupts any read in progress (FFmpeg's interrupt callback).
  /// Throws av::Error: cannot open, not media, no audio stream (AVERROR_STREAM_NOT_FOUND),
  /// no decoder (AVERROR_DECODER_NOT_FOUND), over the budget (AVERROR_EXIT, "... reading took
  /// longer than the 10 s budget"); DecodeCancelled when `limits.stop` was requested.
  explicit AudioDecoder(const std::filesystem::path& path, const media::ReadLimits& limits = {});
  ~AudioDecoder();
  AudioDecoder(const AudioDecoder&) = delete;
  AudioDecoder& operator=(const AudioDecoder&) = delete;

  /// The duration the container states (format duration, else the stream's), or nullopt when
  /// it states none. Read without decoding: what the length limits are decided on.
  std::optional<std::chrono::milliseconds> duration() const noexcept { return duration_; }

  /// Decodes the whole stream to mono float samples in [-1, 1] at `sample_rate` Hz.
  /// Stops early, returning what it has, once `max_samples` are decoded (a file longer than
  /// its container says). Polls `stop` between packets (the constructor's stop token also
  /// inside each read) and throws DecodeCancelled. Throws av::Error when decoding cannot go
  /// on (the path and FFmpeg's reason; AVERROR_EXIT when the budget is spent).
  std::vector<float> decode(int sample_rate, std::size_t max_samples, std::stop_token stop = {});

 private:
  struct Impl;
  // Throws DecodeCancelled or the budget's av::Error for an AVERROR_EXIT from FFmpeg.
  [[noreturn]] void throw_interrupted(const std::string& context) const;

  std::filesystem::path path_;
  media::ReadLimits limits_;
  std::optional<std::chrono::milliseconds> duration_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scanhub::embed
