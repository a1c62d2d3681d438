#include "core/scan.hpp"

#include <gtest/gtest.h>

using namespace scanhub::core;
using std::chrono::milliseconds;

TEST(ScanStatus, RoundTripsSeed002Spelling) {
  for (auto status : {ScanStatus::discovering, ScanStatus::scanning, ScanStatus::caching,
                      ScanStatus::enriching, ScanStatus::completed, ScanStatus::failed,
                      ScanStatus::cancelled}) {
    EXPECT_EQ(parse_scan_status(to_string(status)), status);
  }
  EXPECT_EQ(to_string(ScanStatus::discovering), "discovering");
  EXPECT_FALSE(parse_scan_status("Discovering"));
}

TEST(ScanStatus, TransitionsGoForwardOrEnd) {
  EXPECT_TRUE(is_valid_transition(ScanStatus::discovering, ScanStatus::scanning));
  EXPECT_TRUE(is_valid_transition(ScanStatus::scanning, ScanStatus::enriching));  // no assets
  EXPECT_TRUE(is_valid_transition(ScanStatus::scanning, ScanStatus::cancelled));
  EXPECT_FALSE(is_valid_transition(ScanStatus::scanning, ScanStatus::discovering));
  EXPECT_FALSE(is_valid_transition(ScanStatus::completed, ScanStatus::failed));
  EXPECT_FALSE(is_valid_transition(ScanStatus::scanning, ScanStatus::scanning));
}

TEST(ScanOptions, RoundTripsJson) {
  ScanOptions options;
  options.enable_enrichment = false;
  options.max_directories = 10;
  options.enrichment_mode = "metadata-only";
  const ScanOptions back = ScanOptions::from_json(options.to_json());
  EXPECT_FALSE(back.enable_enrichment);
  EXPECT_TRUE(back.enable_caching);
  EXPECT_EQ(back.max_directories, 10);
  EXPECT_EQ(back.enrichment_mode, "metadata-only");
}

TEST(ScanOptions, RejectsWrongTypesWithTheFieldName) {
  for (const char* json : {R"({"enableCaching":"yes"})", R"({"maxDirectories":-1})",
                           R"({"enrichmentMode":"everything"})", "[1]", "{"}) {
    try {
      ScanOptions::from_json(json);
      ADD_FAILURE() << "accepted " << json;
    } catch (const std::invalid_argument& e) {
      EXPECT_FALSE(std::string(e.what()).empty());
    }
  }
  EXPECT_EQ(ScanOptions::from_json("").enrichment_mode, "full");
}

TEST(ScanEta, FromTheCurrentPhaseRate) {
  ScanSnapshot scan;
  const TimePoint start = Clock::from_time_t(1'000'000);
  scan.times.started_at = start;
  scan.times.discovery_completed_at = start + milliseconds(100);
  scan.status = ScanStatus::scanning;
  scan.counters.directories_total = 100;
  scan.counters.directories_scanned = 25;
  update_rate_and_eta(scan, start + milliseconds(100) + milliseconds(1000));
  EXPECT_DOUBLE_EQ(scan.rate_per_second, 25.0);
  ASSERT_TRUE(scan.estimated_time_remaining);
  EXPECT_EQ(*scan.estimated_time_remaining, milliseconds(3000));
}

TEST(ScanEta, UnknownWithoutHistory) {
  ScanSnapshot scan;
  scan.status = ScanStatus::scanning;
  scan.counters.directories_total = 100;
  update_rate_and_eta(scan, scan.times.started_at + milliseconds(50));
  EXPECT_FALSE(scan.estimated_time_remaining);
  scan.status = ScanStatus::completed;
  scan.counters.directories_scanned = 100;
  update_rate_and_eta(scan, scan.times.started_at + milliseconds(5000));
  EXPECT_FALSE(scan.estimated_time_remaining);
}
