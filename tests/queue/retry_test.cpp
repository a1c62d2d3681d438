#include "queue/retry.hpp"

#include <gtest/gtest.h>

using namespace scanhub;
using std::chrono::milliseconds;

TEST(RetryPolicy, DoublesFromBaseUpToMax) {
  queue::RetryPolicy policy{milliseconds(100), milliseconds(1000), 0.0};
  EXPECT_EQ(policy.delay(1, 0.9), milliseconds(100));
  EXPECT_EQ(policy.delay(2, 0.9), milliseconds(200));
  EXPECT_EQ(policy.delay(3, 0.9), milliseconds(400));
  EXPECT_EQ(policy.delay(4, 0.9), milliseconds(800));
  EXPECT_EQ(policy.delay(5, 0.9), milliseconds(1000));
  EXPECT_EQ(policy.delay(500, 0.9), milliseconds(1000));
}

TEST(RetryPolicy, JitterCutsUpToItsShare) {
  queue::RetryPolicy policy{milliseconds(1000), milliseconds(60000), 0.5};
  EXPECT_EQ(policy.delay(1, 0.0), milliseconds(1000));
  EXPECT_EQ(policy.delay(1, 0.5), milliseconds(750));
  EXPECT_EQ(policy.delay(2, 1.0), milliseconds(1000));
  for (int i = 0; i < 100; ++i) {
    const auto d = policy.delay(3);
    // 4000 ms less a share in [0, 0.5): above 2000 ms, but whole milliseconds (truncated) may
    // reach 2000 when the draw is within 0.0005 of 1 (one run in about twenty, 100 draws).
    EXPECT_GE(d, milliseconds(2000));
    EXPECT_LE(d, milliseconds(4000));
  }
}
