// A scan's overall progress through all its phases (hubs/scan_progress.hpp), on fixed
// snapshots of one scan's life.
#include "hubs/job_progress_payloads.hpp"
#include "hubs/scan_progress.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace scanhub;
using core::ScanStatus;

namespace {

const core::TimePoint kStart = *core::parse_iso8601("2025-10-04T12:00:00Z");

core::TimePoint at(double seconds) {
  return kStart + std::chrono::duration_cast<core::Clock::duration>(std::chrono::duration<double>(seconds));
}

// One music scan, second by second: discovery 10 s; 100 directories at one a second (10 tracks
// and 2 assets each); assets cached at one a second from the end of discovery (100 beside the
// scan, 100 after it); then, when `enrich`, 1000 items at `item_seconds` each (0.3 s: ends at
// 510 s). Without enrichment it ends at 210 s.
struct Timeline {
  bool enrich = true;
  double item_seconds = 0.3;

  double end() const { return enrich ? 210.0 + 1000 * item_seconds : 210.0; }

  core::ScanSnapshot at_second(double t) const {
    core::ScanSnapshot s;
    s.id = 7;
    s.times.started_at = kStart;
    auto& c = s.counters;
    if (t < 10) {
      s.status = ScanStatus::discovering;
      return s;
    }
    s.times.discovery_completed_at = at(10);
    c.directories_total = 100;
    c.directories_scanned = std::min<std::int64_t>(100, static_cast<std::int64_t>(t - 10));
    c.tracks_found = c.directories_scanned * 10;
    c.assets_queued = c.directories_scanned * 2;
    c.assets_cached = std::min<std::int64_t>(c.assets_queued, static_cast<std::int64_t>(t - 10));
    s.status = ScanStatus::scanning;
    if (t < 110) return s;
    s.times.scanning_completed_at = at(110);
    s.status = ScanStatus::caching;
    if (t < 210) return s;
    s.times.caching_completed_at = at(210);
    if (!enrich) {
      s.status = ScanStatus::completed;
      s.times.completed_at = at(210);
      return s;
    }
    s.status = ScanStatus::enriching;
    c.enrichment_queued = 1000;
    c.enrichment_completed = std::min<std::int64_t>(1000, static_cast<std::int64_t>((t - 210) / item_seconds));
    if (t < end()) return s;
    s.status = ScanStatus::completed;
    s.times.completed_at = at(end());
    return s;
  }

  // What the meter shows at each second from 0 to the end.
  std::vector<int> shown(const hubs::ScanProgressModel& model) const {
    hubs::ScanProgressMeter meter(model);
    std::vector<int> out;
    for (int t = 0; t <= static_cast<int>(end()); ++t) out.push_back(meter.percent(at_second(t), at(t)));
    return out;
  }
};

void expect_never_backwards(const std::vector<int>& shown) {
  for (std::size_t t = 1; t < shown.size(); ++t) {
    ASSERT_GE(shown[t], shown[t - 1]) << "at second " << t;
  }
}

TEST(ScanProgress, MovesThroughCachingAndEnriching) {
  const Timeline scan{.enrich = true};
  const auto shown = scan.shown({.enrichment = true});
  expect_never_backwards(shown);
  EXPECT_EQ(shown[5], 0);      // discovering
  EXPECT_GT(shown[60], 0);     // scanning
  // Caching (110..210 s) and enriching (210..510 s) each move the bar, and it is not
  // parked at 99 through them.
  EXPECT_GT(shown[160], shown[110]);
  EXPECT_GT(shown[210], shown[160]);
  EXPECT_GT(shown[360], shown[215]);
  EXPECT_GT(shown[450], shown[360]);
  EXPECT_LT(shown[450], 99);
  EXPECT_GE(shown[505], 95);
  EXPECT_EQ(shown[510], 100);
}

TEST(ScanProgress, EnrichingOnceItsCostIsKnownMovesWithTime) {
  const Timeline scan{.enrich = true};
  const auto shown = scan.shown({.enrichment = true});
  // From the first measured items on, equal times move the bar by about equal steps.
  const int first_half = shown[360] - shown[220];
  const int second_half = shown[500] - shown[360];
  EXPECT_GT(first_half, 0);
  EXPECT_NEAR(first_half, second_half, 3);
}

TEST(ScanProgress, ALearnedCostThatLowersTheEstimateNeitherGoesBackNorStalls) {
  // Enriching an item costs ten times what the prior guessed: once measured, the estimate
  // falls; what is shown stays, then moves on through the long enrichment to the end.
  const Timeline scan{.enrich = true, .item_seconds = 3.0};
  const auto shown = scan.shown({.enrichment = true});
  expect_never_backwards(shown);
  const double before = hubs::scan_work_fraction(scan.at_second(209), at(209), {.enrichment = true});
  const double after = hubs::scan_work_fraction(scan.at_second(230), at(230), {.enrichment = true});
  EXPECT_LT(after, before);  // the raw estimate did fall
  EXPECT_GT(shown[1200], shown[230]);
  EXPECT_GT(shown[2500], shown[1200]);
  EXPECT_LT(shown[2500], 99);
  EXPECT_GE(shown[3205], 95);
  EXPECT_EQ(shown[3210], 100);
}

TEST(ScanProgress, WithoutEnrichmentCachingLeadsToTheEnd) {
  const Timeline scan{.enrich = false};
  const auto shown = scan.shown({.enrichment = false});
  expect_never_backwards(shown);
  EXPECT_GT(shown[160], shown[110]);
  EXPECT_GE(shown[209], 95);
  EXPECT_EQ(shown[210], 100);
}

TEST(ScanProgress, AdvanceMapsTheRestAfterAFall) {
  hubs::ScanProgressMeter::Anchor anchor;
  EXPECT_DOUBLE_EQ(hubs::ScanProgressMeter::advance(anchor, 0.5), 0.5);
  EXPECT_DOUBLE_EQ(hubs::ScanProgressMeter::advance(anchor, 0.3), 0.5);   // fell: held
  EXPECT_DOUBLE_EQ(hubs::ScanProgressMeter::advance(anchor, 0.65), 0.75); // 0.3..1 onto 0.5..1
  EXPECT_DOUBLE_EQ(hubs::ScanProgressMeter::advance(anchor, 1.0), 1.0);
}

TEST(ScanProgress, EndedScansAreForgottenAndKeepTheirValue) {
  const Timeline scan{.enrich = true};
  hubs::ScanProgressMeter meter({.enrichment = true});
  const int running = meter.percent(scan.at_second(300), at(300));
  EXPECT_EQ(meter.tracked_for_test(), 1u);
  auto cancelled = scan.at_second(300);
  cancelled.status = ScanStatus::cancelled;
  cancelled.times.completed_at = at(300);
  EXPECT_EQ(meter.percent(cancelled, at(900)), running);
  EXPECT_EQ(meter.tracked_for_test(), 0u);
}

TEST(ScanProgress, PayloadCarriesTheMetersValue) {
  const Timeline scan{.enrich = true};
  hubs::ScanProgressMeter meter({.enrichment = true});
  const auto messages =
      hubs::job_progress_hub_messages(progress::ScanProgressed{scan.at_second(360)}, at(360), meter);
  const int progress = static_cast<int>(messages.at(0).message.arguments.at(0).at("progress").as_int64());
  EXPECT_GT(progress, 0);
  EXPECT_LT(progress, 99);
}

}  // namespace
