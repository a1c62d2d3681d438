// Tests of the URL `scanhub serve` prints for the address it listens on
// (src/http/listen_address.hpp): IPv6 in brackets, localhost for all interfaces, names kept.
#include "http/listen_address.hpp"

#include <gtest/gtest.h>

namespace scanhub::http {
namespace {

TEST(ListenAddress, BrowseUrl) {
  const ListenEndpoint v4{"127.0.0.1", 5031, false, true, false};
  const ListenEndpoint v6{"::1", 5031, true, true, false};
  const ListenEndpoint any4{"0.0.0.0", 5031, false, false, true};
  const ListenEndpoint any6{"::", 5031, true, false, true};
  EXPECT_EQ(browse_url(v4, "127.0.0.1"), "http://127.0.0.1:5031/");
  EXPECT_EQ(browse_url(v4, "localhost"), "http://localhost:5031/");
  EXPECT_EQ(browse_url(v6, "::1"), "http://[::1]:5031/");
  EXPECT_EQ(browse_url(v6, "[::1]"), "http://[::1]:5031/");
  EXPECT_EQ(browse_url(any4, "0.0.0.0"), "http://localhost:5031/");
  EXPECT_EQ(browse_url(any6, "::"), "http://localhost:5031/");
}

}  // namespace
}  // namespace scanhub::http
