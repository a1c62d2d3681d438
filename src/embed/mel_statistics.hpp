#pragma once
// The built-in audio embedding: "mel-statistics", version 1 (issue 5 item 1). A summary of how a
// track's spectrum is shaped and how it moves, not a learned model: near vectors mean similar
// timbre and dynamics (and a re-encoded copy of a track lands next to its original).
//
// Input: mono PCM, float samples in [-1, 1] at kSampleRate (22,050 Hz; what AudioDecoder gives).
// Spectrogram: Hann window of kFftSize = 1,024 samples (46.4 ms), hop kHopSize = 512 samples
// (23.2 ms, about 43 frames a second), power spectrum scaled so a full-scale sine peaks at 0 dB,
// kMelBands = 64 triangular mel bands (HTK mel scale, 0 Hz to 11,025 Hz, each band's weights
// summing to 1), in dB, floored at kFloorDb = -80 dB (below full scale), so the faint noise a
// lossy codec adds under silence reads as silence in both copies.
// Deltas: the first difference between consecutive frames, per band, in dB.
//
// The vector, kDimension = 256 float32, in four blocks of 64 (one value per band, low to high):
//   [0, 64)    mean of each band's level
//   [64, 128)  standard deviation of each band's level over time
//   [128, 192) mean absolute delta of each band (how much it moves frame to frame)
//   [192, 256) standard deviation of each band's delta
// Each block is centred (its mean over the 64 bands subtracted: the block keeps the shape across
// bands, not the overall loudness, so the gain of a copy does not matter) and scaled to unit
// length (a block with no variation stays zero), then the whole vector is scaled to unit L2 norm
// (each non-zero block weighs the same). The cosine similarity of two vectors is their dot
// product, in [-1, 1].
//
// Changing any of this changes kVersion, so stored vectors of the old version are recomputed.

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace scanhub::embed {

inline constexpr std::string_view kMelStatisticsModel = "mel-statistics";
inline constexpr int kMelStatisticsVersion = 1;
inline constexpr std::size_t kMelStatisticsDimension = 256;

inline constexpr int kSampleRate = 22'050;      ///< Hz
inline constexpr std::size_t kFftSize = 1'024;  ///< samples per frame
inline constexpr std::size_t kHopSize = 512;    ///< samples between frame starts
inline constexpr std::size_t kMelBands = 64;
inline constexpr float kFloorDb = -80.0f;

/// Computes mel-statistics vectors. Holds one FFTW plan and its buffers: one object per thread
/// (the enricher keeps one per worker thread); creating one takes FFTW's planner lock (FFTW's
/// planner is not thread-safe), computing does not.
class MelStatistics {
 public:
  MelStatistics();
  ~MelStatistics();
  MelStatistics(const MelStatistics&) = delete;
  MelStatistics& operator=(const MelStatistics&) = delete;

  /// The kDimension-float vector of `samples` (mono, kSampleRate). Needs at least two frames
  /// (kFftSize + kHopSize samples, 70 ms); throws std::invalid_argument for less. Non-finite
  /// samples count as 0.
  std::vector<float> compute(std::span<const float> samples);

  /// Log-mel frames (frames x kMelBands, row-major, dB) of `samples`; for tests and tools.
  std::vector<float> log_mel(std::span<const float> samples);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Scales `vector` to unit L2 norm in place; returns false (vector unchanged) when its norm is
/// zero or not finite.
bool l2_normalize(std::span<float> vector) noexcept;

/// The dot product of two equally long vectors (their cosine similarity when both are unit).
float dot(std::span<const float> a, std::span<const float> b) noexcept;

}  // namespace scanhub::embed
