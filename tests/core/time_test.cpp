#include "core/time.hpp"

#include <gtest/gtest.h>

using namespace scanhub::core;
using std::chrono::milliseconds;

TEST(Iso8601, FormatsUtcWithMillisecondsAndZ) {
  const TimePoint t = Clock::from_time_t(1759579200) + milliseconds(123);  // 2025-10-04T12:00:00
  EXPECT_EQ(format_iso8601(t), "2025-10-04T12:00:00.123Z");
}

TEST(Iso8601, ParsesWhatItFormats) {
  const TimePoint t = Clock::from_time_t(1759579200) + milliseconds(7);
  const auto parsed = parse_iso8601(format_iso8601(t));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, t);
  EXPECT_EQ(parse_iso8601("2025-10-04T12:00:00Z"), Clock::from_time_t(1759579200));
}

TEST(Iso8601, RejectsMalformed) {
  for (const char* text : {"", "2025-10-04", "2025-10-04T12:00:00", "2025-10-04T12:00:00.Z",
                           "2025-10-04T12:00:00+02:00", "yesterday"}) {
    EXPECT_FALSE(parse_iso8601(text)) << text;
  }
}

struct DurationCase {
  long long ms;
  const char* iso;
};

class Iso8601Duration : public ::testing::TestWithParam<DurationCase> {};

TEST_P(Iso8601Duration, MatchesSeed000Format) {
  EXPECT_EQ(format_iso8601_duration(milliseconds(GetParam().ms)), GetParam().iso);
}

INSTANTIATE_TEST_SUITE_P(Cases, Iso8601Duration,
                         ::testing::Values(DurationCase{0, "PT0S"}, DurationCase{-5, "PT0S"},
                                           DurationCase{1500, "PT1.5S"}, DurationCase{45'000, "PT45S"},
                                           DurationCase{60'000, "PT1M"},
                                           DurationCase{5'025'000, "PT1H23M45S"},
                                           DurationCase{3'600'001, "PT1H0.001S"}));
