#include "embed/embedding_enricher.hpp"

#include "embed/audio_decoder.hpp"
#include "embed/mel_statistics.hpp"
#include "queue/job_context.hpp"

extern "C" {
#include <libavutil/error.h>
}

#include <cerrno>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <thread>

namespace scanhub::embed {

namespace {

std::string seconds_text(std::chrono::milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f s", static_cast<double>(duration.count()) / 1000.0);
  return text;
}

// FFmpeg errors another attempt cannot fix. AVERROR_EXIT is the per-file time budget (a
// cancel is DecodeCancelled): another attempt would take as long.
bool is_permanent(int code) {
  return code == AVERROR_EXIT || code == AVERROR_INVALIDDATA || code == AVERROR_STREAM_NOT_FOUND ||
         code == AVERROR_DECODER_NOT_FOUND || code == AVERROR_DEMUXER_NOT_FOUND ||
         code == AVERROR(ENOENT) || code == AVERROR(EISDIR) || code == AVERROR_PATCHWELCOME;
}

// One per worker thread: an FFTW plan is made once per thread and reused for every track.
MelStatistics& thread_mel_statistics() {
  thread_local MelStatistics statistics;
  return statistics;
}

}  // namespace

EmbeddingEnricher::EmbeddingEnricher(EmbeddingOptions options) : options_(std::move(options)) {
  if (options_.min_duration > options_.max_duration) {
    throw std::invalid_argument(
        "the shortest track to embed (" + seconds_text(options_.min_duration) +
        ") is longer than the longest (" + seconds_text(options_.max_duration) + ")");
  }
  if (options_.external) {
    if (options_.external->model.empty())
      throw std::invalid_argument("an external model needs a name");
    if (options_.external->model == kMelStatisticsModel) {
      throw std::invalid_argument("the external model's name must differ from the built-in " +
                                  std::string(kMelStatisticsModel));
    }
    if (options_.external->command.empty()) {
      throw std::invalid_argument("external model " + options_.external->model +
                                  " needs a command");
    }
    model_ = options_.external->model;
    version_ = options_.external->version;
    concurrency_ = 10;  // seed 000: "Runs in background (max 10 concurrent)"
  } else {
    model_ = std::string(kMelStatisticsModel);
    version_ = kMelStatisticsVersion;
    concurrency_ = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (options_.concurrency > 0) concurrency_ = options_.concurrency;
}

scan::PendingItems EmbeddingEnricher::pending_items(store::Connection& connection,
                                                   const core::Library& library,
                                                   const core::ScanOptions& options) {
  // An audio embedding is not metadata: "metadata-only" scans leave it out.
  if (!options.enable_enrichment || options.enrichment_mode == "none" ||
      options.enrichment_mode == "metadata-only" || library.type != core::LibraryType::music) {
    return {};
  }
  scan::PendingItems pending;
  for (auto& track : connection.embeddings.tracks_needing(library.id, model_, version_)) {
    // A stored duration outside the limits decides without decoding; 0 (the tag reader found
    // none) leaves it to the job, which measures the decoded audio.
    if (track.duration_ms > 0 && (track.duration_ms < options_.min_duration.count() ||
                                  track.duration_ms > options_.max_duration.count())) {
      ++pending.skipped;
      continue;
    }
    pending.items.push_back({"track", track.id, std::move(track.path)});
  }
  return pending;
}

scan::EnrichmentResult EmbeddingEnricher::enrich(const scan::EnrichmentItem& item,
                                                 std::stop_token stop) {
  if (item.owner_kind != "track") {
    throw queue::PermanentJobError("audio embeddings are for tracks, not " + item.owner_kind);
  }
  media::ReadLimits limits;
  limits.time_budget = options_.file_time_budget;
  limits.stop = stop;
  std::optional<AudioDecoder> decoder;
  try {
    decoder.emplace(item.path, limits);
  } catch (const av::Error& e) {
    if (is_permanent(e.code())) throw queue::PermanentJobError(e.what());
    throw;
  }

  const auto skipped = [](std::string reason) {
    scan::EnrichmentResult result;
    result.skipped = true;
    result.reason = std::move(reason);
    return result;
  };
  const auto too_short = [&](std::chrono::milliseconds length) {
    return skipped("too short: " + seconds_text(length) + ", under " +
                   seconds_text(options_.min_duration));
  };
  const auto too_long = [&](std::chrono::milliseconds length) {
    return skipped("too long: " + seconds_text(length) + ", over " +
                   seconds_text(options_.max_duration));
  };
  if (const auto duration = decoder->duration()) {
    if (*duration < options_.min_duration) return too_short(*duration);
    if (*duration > options_.max_duration) return too_long(*duration);
  }

  std::vector<float> vector;
  if (options_.external) {
    decoder.reset();  // the command reads the file itself
    vector = run_external_model(*options_.external, item.path, stop);
    if (!l2_normalize(vector)) {
      throw ExternalModelError("model " + model_ + " printed a zero vector for " + item.path);
    }
  } else {
    // One sample past the limit tells a too-long file whose container hid its duration.
    const auto limit_samples = static_cast<std::size_t>(options_.max_duration.count()) *
                                   static_cast<std::size_t>(kSampleRate) / 1000 +
                               1;
    std::vector<float> samples;
    try {
      samples = decoder->decode(kSampleRate, limit_samples, stop);
    } catch (const av::Error& e) {
      if (is_permanent(e.code()) && !stop.stop_requested())
        throw queue::PermanentJobError(e.what());
      throw;
    }
    decoder.reset();
    const std::chrono::milliseconds decoded(samples.size() * 1000 / kSampleRate);
    if (samples.size() >= limit_samples) return too_long(decoded);
    if (decoded < options_.min_duration) return too_short(decoded);
    if (samples.size() < kFftSize + kHopSize) return too_short(decoded);
    vector = thread_mel_statistics().compute(samples);
    if (dot(vector, vector) == 0.0f) return skipped("silent: no level changes to describe");
  }

  scan::EnrichmentResult result;
  result.commit = [track = item.owner_id, model = model_, version = version_,
                   vector = std::make_shared<const std::vector<float>>(std::move(vector))](
                      store::Connection& connection) {
    connection.embeddings.put(track, model, version, *vector, core::Clock::now());
  };
  return result;
}

}  // namespace scanhub::embed
