// Seed 001's ScanProgress and ScanJobProgress shapes (hubs/indexer_payloads.hpp).
#include "hubs/indexer_payloads.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace scanhub;
using core::ScanStatus;

namespace {

core::ScanSnapshot scan_at(ScanStatus status, std::int64_t scanned, std::int64_t total,
                           std::int64_t tracks = 0) {
  core::ScanSnapshot s;
  s.id = 7;
  s.status = status;
  s.counters.directories_scanned = scanned;
  s.counters.directories_total = total;
  s.counters.tracks_found = tracks;
  s.times.started_at = *core::parse_iso8601("2025-10-04T12:00:00Z");
  s.libraries = {{3, "/music/a"}, {4, "/music/b"}};
  return s;
}

struct PercentCase {
  const char* name;
  ScanStatus status;
  std::int64_t scanned, total, enriched, queued;
  int indexing, embedding;
};

class IndexerPercentages : public testing::TestWithParam<PercentCase> {};

TEST_P(IndexerPercentages, AreFlooredAndWithinRange) {
  const PercentCase& c = GetParam();
  core::ScanSnapshot s = scan_at(c.status, c.scanned, c.total);
  s.counters.enrichment_completed = c.enriched;
  s.counters.enrichment_queued = c.queued;
  EXPECT_EQ(hubs::indexing_percent(s), c.indexing);
  EXPECT_EQ(hubs::embedding_percent(s), c.embedding);
}

INSTANTIATE_TEST_SUITE_P(
    Table, IndexerPercentages,
    testing::Values(
        PercentCase{"discovering_counts_nothing", ScanStatus::discovering, 0, 12, 0, 0, 0, 0},
        PercentCase{"scanning_start", ScanStatus::scanning, 0, 3, 0, 0, 0, 0},
        PercentCase{"scanning_floors", ScanStatus::scanning, 2, 3, 0, 0, 66, 0},
        PercentCase{"scanning_all_done", ScanStatus::scanning, 3, 3, 0, 0, 100, 0},
        PercentCase{"scanning_never_over_100", ScanStatus::scanning, 5, 3, 0, 0, 100, 0},
        PercentCase{"empty_library", ScanStatus::scanning, 0, 0, 0, 0, 0, 0},
        PercentCase{"enriching", ScanStatus::enriching, 3, 3, 1, 4, 100, 25},
        PercentCase{"completed_without_enrichment", ScanStatus::completed, 3, 3, 0, 0, 100, 100},
        PercentCase{"completed_empty", ScanStatus::completed, 0, 0, 0, 0, 100, 100},
        PercentCase{"failed_keeps_reached", ScanStatus::failed, 1, 4, 0, 0, 25, 0},
        PercentCase{"cancelled_in_discovery", ScanStatus::cancelled, 0, 9, 0, 0, 0, 0}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(IndexerPayloads, PercentagesNeverDecreaseThroughAScan) {
  std::vector<core::ScanSnapshot> steps = {scan_at(ScanStatus::discovering, 0, 0),
                                           scan_at(ScanStatus::discovering, 0, 7)};
  for (int i = 0; i <= 7; ++i) steps.push_back(scan_at(ScanStatus::scanning, i, 7));
  steps.push_back(scan_at(ScanStatus::completed, 7, 7));
  int indexing = 0, embedding = 0;
  for (const auto& s : steps) {
    EXPECT_GE(hubs::indexing_percent(s), indexing);
    EXPECT_GE(hubs::embedding_percent(s), embedding);
    indexing = hubs::indexing_percent(s);
    embedding = hubs::embedding_percent(s);
  }
  EXPECT_EQ(indexing, 100);
  EXPECT_EQ(embedding, 100);
}

TEST(IndexerPayloads, ScanProgressHasSeed001Fields) {
  const auto o = hubs::indexer_scan_progress(scan_at(ScanStatus::scanning, 1, 2, 9));
  EXPECT_EQ(boost::json::serialize(o),
            R"({"requestId":"7","tracksIndexed":9,"embeddingsCompleted":0,"totalTracks":9,)"
            R"("indexingProgress":50,"embeddingProgress":0,"status":"scanning"})");
}

TEST(IndexerPayloads, ScanJobProgressNamesTheCurrentLibrary) {
  auto s = scan_at(ScanStatus::scanning, 1, 2, 5);
  EXPECT_EQ(boost::json::serialize(hubs::scan_job_progress(s)),
            R"({"requestId":"7","libraryId":3,"libraryPath":"/music/a","expectedTracks":5,)"
            R"("tracksIndexed":5,"embeddingsCompleted":0,"startedAt":"2025-10-04T12:00:00.000Z"})");
  s.current_library_id = 4;
  EXPECT_EQ(hubs::scan_job_progress(s).at("libraryPath"), "/music/b");
  s.libraries.clear();
  EXPECT_TRUE(hubs::scan_job_progress(s).at("libraryId").is_null());
}

TEST(IndexerPayloads, OnlyProgressEventsAreConflated) {
  const auto s = scan_at(ScanStatus::scanning, 1, 2);
  const std::vector<std::pair<progress::Event, std::string>> cases = {
      {progress::ScanStarted{s}, ""},
      {progress::ScanProgressed{s}, "indexer-progress:7"},
      {progress::ScanPhaseChanged{s, ScanStatus::discovering}, ""},
      {progress::ScanFinished{s}, ""},
  };
  for (const auto& [event, key] : cases) {
    const auto m = hubs::indexer_hub_message(event);
    EXPECT_EQ(m.target, "ScanProgress");
    EXPECT_EQ(m.conflation_key, key);
    ASSERT_EQ(m.arguments.size(), 1u);
    EXPECT_EQ(m.arguments[0].at("requestId"), "7");
  }
}

}  // namespace
