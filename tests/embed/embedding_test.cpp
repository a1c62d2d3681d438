// The built-in embedding on real audio made by ffmpeg (issue 5 acceptance: documented shape
// and unit norm; a re-encoded copy is nearer to its original than any different track).

#include "audio_fixtures.hpp"
#include "embed/audio_decoder.hpp"
#include "embed/mel_statistics.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

extern "C" {
#include <libavutil/error.h>
}

#include <cmath>
#include <fstream>
#include <map>
#include <numbers>
#include <stop_token>
#include <thread>

namespace scanhub::embed {
namespace {

using test::audio_fixtures;

std::vector<float> embed_file(const std::filesystem::path& path) {
  AudioDecoder decoder(path);
  const auto samples = decoder.decode(kSampleRate, std::size_t{20} * 60 * kSampleRate);
  MelStatistics statistics;
  return statistics.compute(samples);
}

double norm(const std::vector<float>& v) {
  return std::sqrt(dot(v, v));
}

TEST(MelStatistics, HasTheDocumentedShapeAndUnitNorm) {
  MelStatistics statistics;
  std::vector<float> samples(kSampleRate * 5);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double t = static_cast<double>(i) / kSampleRate;
    samples[i] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 440 * t) *
                                    (0.5 + 0.5 * std::sin(2 * std::numbers::pi * 2 * t)));
  }
  const auto vector = statistics.compute(samples);
  ASSERT_EQ(vector.size(), kMelStatisticsDimension);
  EXPECT_NEAR(norm(vector), 1.0, 1e-5);
  for (std::size_t block = 0; block < 4; ++block) {  // each block centred over its bands
    double sum = 0;
    for (std::size_t b = 0; b < kMelBands; ++b) sum += vector[block * kMelBands + b];
    EXPECT_NEAR(sum, 0.0, 1e-4) << "block " << block;
  }
  // The 440 Hz tone's band is the loudest of the mean-level block.
  const auto loudest =
      std::max_element(vector.begin(), vector.begin() + kMelBands) - vector.begin();
  const double centre_mel = 2595.0 * std::log10(1.0 + 440.0 / 700.0);
  const double top_mel = 2595.0 * std::log10(1.0 + kSampleRate / 2.0 / 700.0);
  const double expected_band = centre_mel / top_mel * (kMelBands + 1) - 1;
  EXPECT_NEAR(static_cast<double>(loudest), expected_band, 1.5);
  // A full-scale tone peaks near 0 dB; silence reads the floor.
  const auto frames = statistics.log_mel(samples);
  EXPECT_EQ(frames.size() % kMelBands, 0u);
  EXPECT_LT(*std::max_element(frames.begin(), frames.end()), 0.5f);
  EXPECT_GE(*std::min_element(frames.begin(), frames.end()), kFloorDb);
}

TEST(MelStatistics, TooShortInputIsAnErrorAndSilenceIsAZeroVector) {
  MelStatistics statistics;
  EXPECT_THROW(statistics.compute(std::vector<float>(kFftSize)), std::invalid_argument);
  const auto silent = statistics.compute(std::vector<float>(kSampleRate * 2, 0.0f));
  EXPECT_EQ(dot(silent, silent), 0.0f);
  std::vector<float> garbage(kSampleRate * 2, std::numeric_limits<float>::quiet_NaN());
  const auto nan_vector = statistics.compute(garbage);  // non-finite samples count as silence
  EXPECT_EQ(dot(nan_vector, nan_vector), 0.0f);
}

TEST(AudioDecoder, GivesMonoAtTheFixedRateAndTheContainerDuration) {
  const auto& files = audio_fixtures();
  for (const char* name : {"melody.flac", "melody-64k.mp3", "melody-q1.ogg", "tremolo-64k.opus"}) {
    SCOPED_TRACE(name);
    AudioDecoder decoder(files / name);
    ASSERT_TRUE(decoder.duration());
    EXPECT_NEAR(static_cast<double>(decoder.duration()->count()), 62'000.0, 100.0);
    const auto samples = decoder.decode(kSampleRate, std::size_t{100} * kSampleRate);
    EXPECT_NEAR(static_cast<double>(samples.size()) / kSampleRate, 62.0, 0.1);
    float peak = 0;
    for (const float s : samples) peak = std::max(peak, std::abs(s));
    EXPECT_GT(peak, 0.2f);
    EXPECT_LE(peak, 1.05f);
  }
  AudioDecoder capped(files / "melody.flac");
  EXPECT_EQ(capped.decode(kSampleRate, 1000).size(), 1000u);
}

TEST(AudioDecoder, BadInputIsAnErrorWithTheReason) {
  const auto& files = audio_fixtures();
  try {
    AudioDecoder decoder(files / files.not_audio);
    ADD_FAILURE() << "random bytes opened as audio";
  } catch (const av::Error& e) {
    EXPECT_NE(std::string(e.what()).find("random-bytes.mp3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(AudioDecoder(files / "no-such-file.mp3"), av::Error);
  // A truncated file decodes what it has, without crashing.
  AudioDecoder truncated(files / files.truncated);
  const auto samples = truncated.decode(kSampleRate, std::size_t{100} * kSampleRate);
  EXPECT_GT(samples.size(), std::size_t{5} * kSampleRate);
  EXPECT_LT(samples.size(), std::size_t{40} * kSampleRate);
}

TEST(AudioDecoder, EmptyFilesDirectoriesAndVideoWithoutSoundAreErrors) {
  test::TempDir dir;
  std::ofstream(dir / "empty.mp3").flush();
  EXPECT_THROW(AudioDecoder(dir / "empty.mp3"), av::Error);
  EXPECT_THROW(AudioDecoder(dir.path()), av::Error);
  ASSERT_TRUE(test::run_ffmpeg({"-f", "lavfi", "-i", "testsrc=size=64x64:rate=5", "-t", "1",
                                (dir / "silent.mkv").string()}));
  try {
    AudioDecoder decoder(dir / "silent.mkv");
    ADD_FAILURE() << "a video without sound opened as audio";
  } catch (const av::Error& e) {
    EXPECT_EQ(e.code(), AVERROR_STREAM_NOT_FOUND) << e.what();
    EXPECT_NE(std::string(e.what()).find("no audio stream"), std::string::npos) << e.what();
  }
}

TEST(AudioDecoder, AFileOverTheBudgetIsAnErrorNamingIt) {
  media::ReadLimits limits;
  limits.time_budget = std::chrono::milliseconds(0);  // spent before the first read
  try {
    AudioDecoder decoder(audio_fixtures() / "melody.flac", limits);
    ADD_FAILURE() << "opened with its budget spent";
  } catch (const av::Error& e) {
    EXPECT_EQ(e.code(), AVERROR_EXIT);
    EXPECT_NE(std::string(e.what()).find("reading took longer than the 0 s budget"),
              std::string::npos) << e.what();
  }
}

TEST(AudioDecoder, AStopEndsOpeningToo) {
  // Opening reads and probes the file: a stop there must not wait for decode() to look.
  std::stop_source stop;
  stop.request_stop();
  media::ReadLimits limits;
  limits.stop = stop.get_token();
  EXPECT_THROW(AudioDecoder(audio_fixtures() / "melody.flac", limits), DecodeCancelled);
}

TEST(AudioDecoder, StopsWhenAskedTo) {
  std::stop_source stop;
  stop.request_stop();
  AudioDecoder decoder(audio_fixtures() / "melody.flac");
  EXPECT_THROW(decoder.decode(kSampleRate, std::size_t{100} * kSampleRate, stop.get_token()),
               DecodeCancelled);
}

TEST(MelStatistics, ThreadsEmbeddingAtOnceGetWhatOneThreadGets) {
  // The enricher runs one job per core, each thread with its own FFTW plan.
  const auto& files = audio_fixtures();
  const std::vector<std::string> names{"melody-64k.mp3", "chirp-q2.ogg", "pink-128k.mp3",
                                       "tremolo-64k.opus"};
  std::vector<std::vector<float>> alone;
  for (const auto& name : names) alone.push_back(embed_file(files / name));
  std::vector<std::vector<float>> together(names.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < names.size(); ++i) {
    threads.emplace_back([&, i] { together[i] = embed_file(files / names[i]); });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t i = 0; i < names.size(); ++i) {
    ASSERT_EQ(together[i].size(), kMelStatisticsDimension) << names[i];
    EXPECT_GT(dot(alone[i], together[i]), 0.99999f) << names[i];
  }
}

TEST(MelStatistics, AReencodedCopyIsNearerToItsOriginalThanAnyOtherTrack) {
  const auto& files = audio_fixtures();
  std::map<std::string, std::vector<float>> vectors;
  for (const auto& name : files.originals) vectors[name] = embed_file(files / name);
  for (const auto& [copy, original] : files.copies) {
    SCOPED_TRACE(copy);
    const auto vector = embed_file(files / copy);
    ASSERT_EQ(vector.size(), kMelStatisticsDimension);
    EXPECT_NEAR(norm(vector), 1.0, 1e-5);
    const float own = dot(vector, vectors.at(original));
    std::string report = copy + ": " + original + " " + std::to_string(own);
    for (const auto& [name, other] : vectors) {
      if (name == original) continue;
      const float score = dot(vector, other);
      report += ", " + name + " " + std::to_string(score);
      EXPECT_GT(own, score) << "nearer to " << name << " than to " << original;
    }
    std::printf("%s\n", report.c_str());
  }
}

}  // namespace
}  // namespace scanhub::embed
