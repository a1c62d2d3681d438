// Tests of the descriptor limit and the connection cap derived from it
// (src/http/open_files.hpp), and of the URL printed for a listen address (listen_address.hpp).
#include "http/open_files.hpp"
#include "http/listen_address.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace scanhub::http {
namespace {

TEST(OpenFiles, DefaultCapKeepsAReserve) {
  EXPECT_EQ(default_max_connections(1024), 1024 - kDescriptorReserve);
  EXPECT_EQ(default_max_connections(1048576), 1048576 - kDescriptorReserve);
  EXPECT_EQ(default_max_connections(256), 128u);  // exactly twice the reserve
  EXPECT_EQ(default_max_connections(100), 50u);   // small limits: half
  EXPECT_EQ(default_max_connections(1), 1u);
  EXPECT_EQ(default_max_connections(0), 1024 - kDescriptorReserve);  // unknown
  EXPECT_GT(default_max_connections(std::numeric_limits<std::uint64_t>::max()), 0u);
}

TEST(OpenFiles, RequestedCapIsNeverAboveTheLimit) {
  EXPECT_EQ(effective_max_connections(0, 1024), 896u);
  EXPECT_EQ(effective_max_connections(50, 1024), 50u);
  EXPECT_EQ(effective_max_connections(5000, 1024), 896u);
}

TEST(OpenFiles, RaiseReachesTheHardLimit) {
  const OpenFileLimit before = open_file_limit();
  ASSERT_GT(before.soft, 0u);
  const OpenFileLimit after = raise_open_file_limit();
  EXPECT_GE(after.soft, before.soft);
  EXPECT_EQ(after.hard, before.hard);
  EXPECT_EQ(open_file_limit().soft, after.soft);
  if (before.hard != std::numeric_limits<std::uint64_t>::max()) {
    EXPECT_EQ(after.soft, before.hard);
  }
}

}  // namespace
}  // namespace scanhub::http
