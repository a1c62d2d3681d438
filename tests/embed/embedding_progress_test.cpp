// The embedding phase on the wire (issue 5 item 4): seed 000's EmbeddingProgress,
// EmbeddingCompleted and ScanCompleted summary (hubs/progress_payloads.hpp), seed 001's
// ScanProgress (hubs/indexer_payloads.hpp), and the phase's ETA (core::update_rate_and_eta).

#include "hubs/indexer_payloads.hpp"
#include "hubs/progress_payloads.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace scanhub {
namespace {

using core::ScanStatus;
using namespace std::chrono_literals;

const core::TimePoint kStart = *core::parse_iso8601("2025-10-04T12:00:00Z");

// A music scan of 10 tracks whose caching ended 4 s in: 8 embedding jobs, 2 tracks skipped
// from their stored duration when the phase began.
core::ScanSnapshot enriching_scan() {
  core::ScanSnapshot s;
  s.id = 12;
  s.status = ScanStatus::enriching;
  s.libraries = {{3, "/music"}};
  s.counters.directories_total = s.counters.directories_scanned = 3;
  s.counters.tracks_found = 10;
  s.counters.enrichment_queued = 10;
  s.counters.enrichment_skipped = 2;
  s.times.started_at = kStart;
  s.times.discovery_completed_at = kStart + 1s;
  s.times.scanning_completed_at = kStart + 3s;
  s.times.caching_completed_at = kStart + 4s;
  return s;
}

std::vector<std::string> targets(const std::vector<hubs::HubMessage>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(m.target);
  return out;
}

TEST(EmbeddingProgress, CarriesSeed000sCountsWithSkippedAmongTheFailed) {
  auto s = enriching_scan();
  s.counters.enrichment_completed = 3;
  s.counters.enrichment_failed = 1;
  s.enrichment_in_progress = 2;
  s.estimated_time_remaining = 61'500ms;
  const auto messages = hubs::progress_hub_messages(progress::ScanProgressed{s});
  ASSERT_EQ(targets(messages), std::vector<std::string>{"EmbeddingProgress"});
  const auto& p = messages[0].arguments.at(0).as_object();
  EXPECT_EQ(p.at("phase"), "Embeddings");
  EXPECT_EQ(p.at("status"), "InProgress");
  EXPECT_EQ(p.at("totalTracksForEmbedding"), 10);
  EXPECT_EQ(p.at("embeddingsCompleted"), 3);
  EXPECT_EQ(p.at("embeddingsInProgress"), 2);
  EXPECT_EQ(p.at("embeddingsFailed"), 3);  // 1 failed + 2 skipped, as seed 000 counts them
  EXPECT_EQ(p.at("embeddingsSkipped"), 2);
  EXPECT_EQ(p.at("estimatedTimeRemaining"), "PT1M1.5S");
  EXPECT_FALSE(messages[0].conflation_key.empty());
}

TEST(EmbeddingProgress, ThePhaseBeginsWithIndexingCompletedAndEndsWithEmbeddingCompleted) {
  auto s = enriching_scan();
  EXPECT_EQ(targets(hubs::progress_hub_messages(progress::ScanPhaseChanged{s, ScanStatus::caching})),
            (std::vector<std::string>{"IndexingCompleted", "EmbeddingProgress"}));

  s.status = ScanStatus::completed;
  s.counters.enrichment_completed = 8;
  s.enrichment_in_progress = 0;
  s.times.completed_at = kStart + 9s;
  const auto end = hubs::progress_hub_messages(progress::ScanFinished{s});
  ASSERT_EQ(targets(end),
            (std::vector<std::string>{"EmbeddingProgress", "EmbeddingCompleted", "ScanCompleted"}));
  const auto& last = end[0].arguments.at(0).as_object();
  EXPECT_EQ(last.at("phase"), "Embeddings");
  EXPECT_EQ(last.at("status"), "Completed");
  EXPECT_EQ(last.at("embeddingsCompleted"), 8);
  EXPECT_EQ(last.at("embeddingsInProgress"), 0);
  EXPECT_TRUE(last.at("estimatedTimeRemaining").is_null());
  EXPECT_EQ(end[1].arguments, boost::json::array{"12"});

  const auto& summary = end[2].arguments.at(1).as_object();
  EXPECT_EQ(summary.at("totalTracksIndexed"), 10);
  EXPECT_EQ(summary.at("totalEmbeddingsGenerated"), 8);
  EXPECT_EQ(summary.at("embeddingsFailed"), 2);
  EXPECT_EQ(summary.at("embeddingsSkipped"), 2);
  EXPECT_EQ(summary.at("indexingDuration"), "PT4S");  // to IndexingCompleted: caching's end
  EXPECT_EQ(summary.at("embeddingDuration"), "PT5S");
  EXPECT_EQ(summary.at("scanningDuration"), "PT2S");
  EXPECT_EQ(summary.at("totalDuration"), "PT9S");

  // A subscriber arriving after the end gets the same end.
  EXPECT_EQ(targets(hubs::progress_hub_snapshot(s)), targets(end));
}

TEST(EmbeddingProgress, AScanWithEveryTrackSkippedHasNoEmbeddingPhase) {
  // No job was emitted: enrichment_queued stays 0, the skipped are still counted.
  auto s = enriching_scan();
  s.status = ScanStatus::completed;
  s.counters.enrichment_queued = 0;
  s.counters.enrichment_skipped = 10;
  s.times.completed_at = s.times.caching_completed_at;
  const auto end = hubs::progress_hub_messages(progress::ScanFinished{s});
  ASSERT_EQ(targets(end), (std::vector<std::string>{"ScanProgress", "IndexingCompleted", "ScanCompleted"}));
  EXPECT_EQ(end[0].arguments.at(0).as_object().at("phase"), "Indexing");
  EXPECT_TRUE(end[0].arguments.at(0).as_object().at("embeddingsSkipped").is_null());
  const auto& summary = end[2].arguments.at(1).as_object();
  EXPECT_EQ(summary.at("totalEmbeddingsGenerated"), 0);
  EXPECT_EQ(summary.at("embeddingsFailed"), 10);
  EXPECT_EQ(summary.at("embeddingDuration"), "PT0S");

  // Seed 001: every track is done with; 100/100.
  const auto indexer = hubs::indexer_scan_progress(s);
  EXPECT_EQ(indexer.at("embeddingsCompleted"), 10);
  EXPECT_EQ(indexer.at("embeddingProgress"), 100);
}

TEST(EmbeddingProgress, Seed001CountsEveryTrackThePhaseIsDoneWith) {
  auto s = enriching_scan();
  s.counters.enrichment_completed = 3;
  s.counters.enrichment_failed = 1;
  const auto p = hubs::indexer_scan_progress(s);
  EXPECT_EQ(p.at("tracksIndexed"), 10);
  EXPECT_EQ(p.at("totalTracks"), 10);
  EXPECT_EQ(p.at("embeddingsCompleted"), 6);  // 3 embedded + 2 skipped + 1 failed
  EXPECT_EQ(p.at("indexingProgress"), 100);
  EXPECT_EQ(p.at("embeddingProgress"), 60);
  EXPECT_EQ(hubs::scan_job_progress(s).at("embeddingsCompleted"), 6);
}

TEST(EmbeddingProgress, TheEtaIsSeed000sElapsedPerCompletedTrackTimesTheTracksLeft) {
  // 2 of 10 skipped at the start cost nothing: they must not make the phase look fast.
  auto s = enriching_scan();
  core::update_rate_and_eta(s, kStart + 6s);
  EXPECT_FALSE(s.estimated_time_remaining) << "no track completed yet";

  s.counters.enrichment_completed = 2;
  core::update_rate_and_eta(s, kStart + 8s);  // 4 s in the phase, 2 s a track
  ASSERT_TRUE(s.estimated_time_remaining);
  EXPECT_EQ(*s.estimated_time_remaining, 12'000ms);  // 6 tracks left
  EXPECT_DOUBLE_EQ(s.rate_per_second, 0.5);
  EXPECT_EQ(hubs::scan_progress_dto(s, "InProgress").at("estimatedTimeRemaining"), "PT12S");
}

}  // namespace
}  // namespace scanhub
