#include "embed/mel_statistics.hpp"

#include <fftw3.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <numbers>
#include <stdexcept>

namespace scanhub::embed {

namespace {

constexpr std::size_t kBins = kFftSize / 2 + 1;

// FFTW's planner (plan creation and destruction) is not thread-safe; fftwf_execute is.
std::mutex& planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

double hz_to_mel(double hz) {
  return 2595.0 * std::log10(1.0 + hz / 700.0);
}
double mel_to_hz(double mel) {
  return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
}

struct Band {
  std::size_t first_bin = 0;
  std::vector<float> weights;  // for bins first_bin, first_bin + 1, ...; summing to 1
};

std::vector<Band> make_mel_bands() {
  const double top = hz_to_mel(kSampleRate / 2.0);
  std::array<double, kMelBands + 2> edges{};  // Hz: lower edge, centres, upper edge
  for (std::size_t i = 0; i < edges.size(); ++i) {
    edges[i] = mel_to_hz(top * static_cast<double>(i) / static_cast<double>(kMelBands + 1));
  }
  const double bin_hz = static_cast<double>(kSampleRate) / static_cast<double>(kFftSize);
  std::vector<Band> bands(kMelBands);
  for (std::size_t b = 0; b < kMelBands; ++b) {
    const double low = edges[b], centre = edges[b + 1], high = edges[b + 2];
    std::vector<std::pair<std::size_t, double>> taps;
    for (std::size_t k = 0; k < kBins; ++k) {
      const double hz = static_cast<double>(k) * bin_hz;
      double w = 0;
      if (hz > low && hz <= centre)
        w = (hz - low) / (centre - low);
      else if (hz > centre && hz < high)
        w = (high - hz) / (high - centre);
      if (w > 0) taps.emplace_back(k, w);
    }
    if (taps.empty()) {
      // A band narrower than one bin (the lowest ones): take the bin nearest its centre.
      const auto k = static_cast<std::size_t>(std::lround(centre / bin_hz));
      taps.emplace_back(std::min(k, kBins - 1), 1.0);
    }
    double sum = 0;
    for (const auto& tap : taps) sum += tap.second;
    Band& band = bands[b];
    band.first_bin = taps.front().first;
    band.weights.assign(taps.back().first - band.first_bin + 1, 0.0f);
    for (const auto& [k, w] : taps) band.weights[k - band.first_bin] = static_cast<float>(w / sum);
  }
  return bands;
}

// Centres `block` over its values and scales it to unit length (zero stays zero).
void centre_and_scale(std::span<float> block) {
  double mean = 0;
  for (const float v : block) mean += v;
  mean /= static_cast<double>(block.size());
  for (float& v : block) v = static_cast<float>(v - mean);
  l2_normalize(block);
}

}  // namespace

struct MelStatistics::Impl {
  float* input = nullptr;
  fftwf_complex* output = nullptr;
  fftwf_plan plan = nullptr;
  std::array<float, kFftSize> window{};
  std::array<float, kBins> power{};
  std::vector<Band> bands = make_mel_bands();
  float power_scale = 0;

  Impl() {
    input = static_cast<float*>(fftwf_malloc(sizeof(float) * kFftSize));
    output = static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * kBins));
    if (!input || !output) {
      free_buffers();
      throw std::bad_alloc();
    }
    {
      std::lock_guard lock(planner_mutex());
      // FFTW_MEASURE times a few algorithms once; later plans of the same size reuse the
      // process's wisdom and are quick.
      plan = fftwf_plan_dft_r2c_1d(static_cast<int>(kFftSize), input, output, FFTW_MEASURE);
    }
    if (!plan) {
      free_buffers();
      throw std::runtime_error("FFTW could not plan a " + std::to_string(kFftSize) + "-point FFT");
    }
    double window_sum = 0;
    for (std::size_t i = 0; i < kFftSize; ++i) {
      // Periodic Hann window.
      window[i] = static_cast<float>(
          0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) / kFftSize));
      window_sum += window[i];
    }
    // A full-scale sine's peak bin has magnitude window_sum / 2: scale its power to 1 (0 dB).
    power_scale = static_cast<float>(4.0 / (window_sum * window_sum));
  }

  ~Impl() {
    if (plan) {
      std::lock_guard lock(planner_mutex());
      fftwf_destroy_plan(plan);
    }
    free_buffers();
  }

  void free_buffers() noexcept {
    if (input) fftwf_free(input);
    if (output) fftwf_free(output);
    input = nullptr;
    output = nullptr;
  }

  // The dB levels of the frame starting at `frame` into `levels` (kMelBands).
  void frame_levels(const float* frame, float* levels) {
    for (std::size_t i = 0; i < kFftSize; ++i) {
      const float x = frame[i];
      input[i] = (std::isfinite(x) ? x : 0.0f) * window[i];
    }
    fftwf_execute(plan);
    for (std::size_t k = 0; k < kBins; ++k) {
      power[k] = (output[k][0] * output[k][0] + output[k][1] * output[k][1]) * power_scale;
    }
    constexpr float kFloorPower = 1e-8f;  // kFloorDb
    for (std::size_t b = 0; b < kMelBands; ++b) {
      const Band& band = bands[b];
      const float* p = power.data() + band.first_bin;
      float sum = 0;
      for (std::size_t i = 0; i < band.weights.size(); ++i) sum += band.weights[i] * p[i];
      levels[b] = 10.0f * std::log10(std::max(sum, kFloorPower));
    }
  }
};

MelStatistics::MelStatistics() : impl_(std::make_unique<Impl>()) {}
MelStatistics::~MelStatistics() = default;

std::vector<float> MelStatistics::log_mel(std::span<const float> samples) {
  std::vector<float> frames;
  if (samples.size() < kFftSize) return frames;
  const std::size_t count = 1 + (samples.size() - kFftSize) / kHopSize;
  frames.resize(count * kMelBands);
  for (std::size_t f = 0; f < count; ++f) {
    impl_->frame_levels(samples.data() + f * kHopSize, frames.data() + f * kMelBands);
  }
  return frames;
}

std::vector<float> MelStatistics::compute(std::span<const float> samples) {
  if (samples.size() < kFftSize + kHopSize) {
    throw std::invalid_argument(
        "audio too short for a mel-statistics embedding: " + std::to_string(samples.size()) +
        " samples, at least " + std::to_string(kFftSize + kHopSize) + " needed");
  }
  const std::size_t count = 1 + (samples.size() - kFftSize) / kHopSize;
  // Sums in double: a 15-minute track has ~39,000 frames.
  std::array<double, kMelBands> sum{}, sum_sq{}, delta_abs{}, delta_sum{}, delta_sq{};
  std::array<float, kMelBands> levels{}, previous{};
  for (std::size_t f = 0; f < count; ++f) {
    impl_->frame_levels(samples.data() + f * kHopSize, levels.data());
    for (std::size_t b = 0; b < kMelBands; ++b) {
      const double x = levels[b];
      sum[b] += x;
      sum_sq[b] += x * x;
      if (f > 0) {
        const double d = x - previous[b];
        delta_abs[b] += std::abs(d);
        delta_sum[b] += d;
        delta_sq[b] += d * d;
      }
    }
    previous = levels;
  }
  const auto n = static_cast<double>(count);
  const auto nd = static_cast<double>(count - 1);
  std::vector<float> vector(kMelStatisticsDimension);
  for (std::size_t b = 0; b < kMelBands; ++b) {
    const double mean = sum[b] / n;
    const double delta_mean = delta_sum[b] / nd;
    vector[b] = static_cast<float>(mean);
    vector[kMelBands + b] =
        static_cast<float>(std::sqrt(std::max(0.0, sum_sq[b] / n - mean * mean)));
    vector[2 * kMelBands + b] = static_cast<float>(delta_abs[b] / nd);
    vector[3 * kMelBands + b] =
        static_cast<float>(std::sqrt(std::max(0.0, delta_sq[b] / nd - delta_mean * delta_mean)));
  }
  const std::span<float> all(vector);
  for (std::size_t block = 0; block < 4; ++block) {
    centre_and_scale(all.subspan(block * kMelBands, kMelBands));
  }
  l2_normalize(all);
  return vector;
}

bool l2_normalize(std::span<float> vector) noexcept {
  double sum = 0;
  for (const float v : vector) sum += static_cast<double>(v) * v;
  const double norm = std::sqrt(sum);
  if (!(norm > 0) || !std::isfinite(norm)) return false;
  const auto scale = static_cast<float>(1.0 / norm);
  for (float& v : vector) v *= scale;
  return true;
}

float dot(std::span<const float> a, std::span<const float> b) noexcept {
  double sum = 0;
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(sum);
}

}  // namespace scanhub::embed
