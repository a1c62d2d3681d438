#pragma once
// The audio-embedding enricher (issue 5 items 1 and 2; seed 000's "Embedding generation
// phase", seed 001's EmbeddingJob): one job of type "audio-embedding" per track of a music
// library that has no vector of the configured model and version (or an older one than the
// track's file). Each job decodes the track in-process and computes the built-in mel-statistics
// vector (embed/mel_statistics.hpp), or runs the configured external model's command
// (embed/external_model.hpp), and stores the unit-length vector in the job's completion
// transaction (store::EmbeddingStore::put).
//
// Seed 000's rules: a track shorter than 60 s or longer than 15 min is skipped, both limits
// configurable. pending_items decides on the duration the scan stored (tracks.duration_ms):
// such tracks get no job and are counted in the scan's enrichment_skipped (PendingItems::
// skipped); nothing records the skip, so every later scan counts them as skipped again (one
// query, no job). A track whose stored duration is 0 (unknown) gets a job, which decides on the
// container's duration before decoding (EnrichmentResult::skipped, reason "too short: 12.3 s,
// under 60.0 s") or else on the decoded length. A track that already has a vector of the same
// model and version, stored after the track's last change, gets no job and is not counted. At
// most concurrency() jobs run at once: one per core for the built-in model, seed 000's 10 for
// an external command. A silent track (no vector direction) is skipped too.
//
// Failures: a file that is gone, not media, or has no audio stream or no decoder is a
// queue::PermanentJobError (another attempt cannot fix it); decoding errors, external command
// failures (timeout, non-zero exit, malformed output) are std::runtime_error with the reason,
// retried up to max_attempts. A file whose reading takes longer than the per-file time budget
// fails for good too (another attempt would take as long). A cancelled job (stop token) throws
// at the decoder's next read (FFmpeg's interrupt callback, also while opening) or within 50 ms
// of an external command.
//
// Thread-safety: as scan::Enricher; the built-in model keeps one MelStatistics per thread.
//
// Wiring (the lead's): construct with `embed::EmbeddingEnricher enricher(options)` and give it
// to the scan pipeline's enricher registry; nothing here touches ScanService.

#include "embed/external_model.hpp"
#include "media/read_limits.hpp"
#include "scan/enricher.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace scanhub::embed {

inline constexpr std::string_view kAudioEmbeddingJobType = "audio-embedding";

struct EmbeddingOptions {
  std::chrono::milliseconds min_duration{60'000};   ///< seed 000: "case < 60" seconds
  std::chrono::milliseconds max_duration{900'000};  ///< seed 000: "case > 60 * 15" seconds
  /// nullopt: the built-in mel-statistics model. Otherwise this command's vectors, stored under
  /// its model name and version.
  std::optional<ExternalModelOptions> external;
  /// Jobs at once; 0 means the default (cores for the built-in model, 10 for a command).
  int concurrency = 0;
  /// Wall-clock time opening and decoding one track may take (`--file-time-budget`); a track
  /// over it fails for good with the reason ("... reading took longer than the 10 s budget").
  /// An external command has its own `timeout`.
  std::chrono::milliseconds file_time_budget = media::kDefaultFileTimeBudget;
};

class EmbeddingEnricher : public scan::Enricher {
 public:
  /// Throws std::invalid_argument for an external model without a name or command, or limits
  /// where min_duration > max_duration.
  explicit EmbeddingEnricher(EmbeddingOptions options);

  std::string job_type() const override { return std::string(kAudioEmbeddingJobType); }
  bool applies_to(core::LibraryType type) const override {
    return type == core::LibraryType::music;
  }
  int concurrency() const override { return concurrency_; }

  scan::PendingItems pending_items(store::Connection& connection, const core::Library& library,
                                   const core::ScanOptions& options) override;
  scan::EnrichmentResult enrich(const scan::EnrichmentItem& item, std::stop_token stop) override;

  /// The model and version its vectors are stored under.
  const std::string& model() const noexcept { return model_; }
  int version() const noexcept { return version_; }

 private:
  EmbeddingOptions options_;
  std::string model_;
  int version_ = 0;
  int concurrency_ = 1;
};

}  // namespace scanhub::embed
