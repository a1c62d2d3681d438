#pragma once
// RAII wrapper of one demuxer context (AVFormatContext opened for input), as MPD's
// lib/ffmpeg/Format.hxx. Move-only; one object per thread at a time. Opening different files
// from several threads at once is safe: FFmpeg >= 4 needs no global registration and every
// call here works on its own context.

#include "lib/av/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stop_token>

struct AVFormatContext;

namespace scanhub::av {

/// Bounds for opening and probing one input (FFmpeg's `probesize` and `analyzeduration`
/// demuxer options). Smaller bounds are faster; too small ones leave stream parameters
/// (frame rate, bit rate) unknown.
struct ProbeLimits {
  std::int64_t probe_size_bytes = 5'000'000;  ///< FFmpeg's default is 5,000,000 bytes
  std::chrono::microseconds analyze_duration{5'000'000};  ///< FFmpeg's default is 5 s
  /// Wall-clock bound for everything read through the context, from its construction: opening,
  /// stream information, and every later av_read_frame (a stalled network share or a file
  /// that makes a demuxer search forever must not hold a worker). FFmpeg's interrupt callback
  /// (AVIOInterruptCB) then makes the call give up with AVERROR_EXIT. The scan's per-file
  /// time budget (`--file-time-budget`).
  std::chrono::milliseconds time_limit{30'000};
  /// Looked at by the same callback: once a stop is requested, the call in progress gives up
  /// with AVERROR_EXIT (the scan job's stop token: a cancel or a shutdown).
  std::stop_token stop;
};

class FormatContext {
 public:
  /// Opens `path` (avformat_open_input) and reads stream parameters (avformat_find_stream_info)
  /// within `limits`. Throws Error with the path and FFmpeg's reason, e.g. AVERROR(ENOENT) for
  /// a missing file, AVERROR_INVALIDDATA for a file no demuxer recognizes, AVERROR_EXIT when
  /// `limits.time_limit` passed or `limits.stop` was requested.
  FormatContext(const std::filesystem::path& path, const ProbeLimits& limits);
  ~FormatContext() noexcept;
  FormatContext(FormatContext&& other) noexcept;
  FormatContext& operator=(FormatContext&& other) noexcept;
  FormatContext(const FormatContext&) = delete;
  FormatContext& operator=(const FormatContext&) = delete;

  AVFormatContext* get() const noexcept { return context_; }
  AVFormatContext* operator->() const noexcept { return context_; }

 private:
  struct Interrupt;  // what FFmpeg's interrupt callback reads; heap-held so moves keep it put

  void find_stream_info(const std::filesystem::path& path);
  void close() noexcept;

  std::unique_ptr<Interrupt> interrupt_;
  AVFormatContext* context_ = nullptr;
};

/// Lowers FFmpeg's process-wide log level to AV_LOG_FATAL, once: a file that is not media is
/// bad input that callers report themselves, so FFmpeg's own complaints on stderr are noise.
/// Thread-safe.
void quiet_logging() noexcept;

}  // namespace scanhub::av
