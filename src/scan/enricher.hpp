#pragma once
// The enriching phase's plug-in point (seed 002 "Phase 4: Metadata Enrichment"; issue 4 item 3
// "a pluggable enricher per library type with bounded concurrency"; issue 5 plugs the audio
// embeddings in here). An enricher names a job type; the scan pipeline asks it, when the caching
// phase ends, which items of each library it scanned need its work, emits one job of that type
// per item (priority 8, seed 002), and counts every job's outcome in the scan:
// enrichment_completed, enrichment_skipped (EnrichmentResult::skipped) or enrichment_failed (a
// job that failed for good), each in the transaction that ends the job. The phase ends when
// those three add up to enrichment_queued. A scan with no enricher for its libraries, or with
// enableEnrichment false or enrichmentMode "none", skips the phase.
//
// Items the stored data already decides against (PendingItems::skipped, e.g. tracks whose stored
// duration is outside the embedding model's limits, seed 000's "< 60" / "> 60 * 15") get no
// job: the commit that emits the jobs counts them in enrichment_skipped, and in
// enrichment_queued too when it emits at least one job (the phase's total, seed 000's
// TotalTracksForEmbedding, then includes them). When it emits none there is no enriching phase
// (enrichment_queued stays 0, enrichment_skipped holds them), so a scan of short tracks sends
// no embedding events. Nothing records a skip: the next scan asks again and counts them again
// (one query, no jobs).
//
// Thread-safety: pending_items runs on the store's writer thread, enrich on queue worker threads,
// up to concurrency() at once: an enricher must be safe to call from several threads.

#include "core/library.hpp"
#include "core/scan.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

namespace scanhub::scan {

/// One item an enricher works on: a track or a movie of the library being scanned.
struct EnrichmentItem {
  std::string owner_kind;     ///< "track" or "movie" (the item_assets owner kinds)
  std::int64_t owner_id = 0;  ///< tracks.id or movies.id
  std::string path;           ///< the item's file, absolute (for a movie: its main video)
};

/// What enrich() did with one item.
struct EnrichmentResult {
  /// True when the item was deliberately not enriched (e.g. a track outside the model's length
  /// limits); counted in enrichment_skipped, `reason` says why.
  bool skipped = false;
  std::string reason;
  /// Writes committed in the transaction that completes the job (e.g. the embedding vector), so
  /// a crash never keeps half of them; may be empty. Throwing rolls them back and fails the
  /// attempt.
  std::function<void(store::Connection&)> commit;
};

/// What pending_items found in one library.
struct PendingItems {
  std::vector<EnrichmentItem> items;  ///< one job each, in this order
  /// Items left out because what is stored already decides (e.g. a track's stored duration is
  /// outside the model's limits): counted as enrichment_skipped without a job.
  std::int64_t skipped = 0;
};

class Enricher {
 public:
  virtual ~Enricher() = default;

  /// The job type of this enricher's jobs, stable across releases (stored in the jobs table),
  /// e.g. "audio-embedding".
  virtual std::string job_type() const = 0;
  /// True when the enricher has work for libraries of `type`.
  virtual bool applies_to(core::LibraryType type) const = 0;
  /// At most this many of its jobs run at once in one process.
  virtual int concurrency() const = 0;
  /// Attempts before one of its jobs is failed for good.
  virtual int max_attempts() const { return 3; }

  /// The items of `library` that need this enricher (e.g. tracks without an embedding of its
  /// model and version), in the order they should run, and how many of the others it skips
  /// from stored data alone. Called on the store's writer thread inside the transaction that
  /// ends the caching phase: read only, and quickly (one query). `options` are the scan's
  /// (enrichmentMode "metadata-only" may mean less work).
  /// Throws sqlite::Error; the scan then fails with that reason.
  virtual PendingItems pending_items(store::Connection& connection, const core::Library& library,
                                     const core::ScanOptions& options) = 0;

  /// Enriches one item on a queue worker thread. Throws for a failure with a reason a person
  /// can act on (the job is retried until max_attempts, then counted in enrichment_failed);
  /// queue::PermanentJobError for one another attempt cannot fix (a file that is not audio).
  /// Long work polls `stop` and throws when it is triggered (the scan was cancelled or the
  /// process is stopping; the job runs again after a restart).
  virtual EnrichmentResult enrich(const EnrichmentItem& item, std::stop_token stop) = 0;
};

}  // namespace scanhub::scan
