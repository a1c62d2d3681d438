// Tests of where POST /api/libraries may add a library with authentication on
// (api/library_routes.hpp outside_library_roots; issue 16 item 6).
#include "api/library_routes.hpp"

#include <gtest/gtest.h>

namespace scanhub::api {
namespace {

struct RootCase {
  const char* name;
  const char* path;
  bool allowed;
};

const RootCase kCases[] = {
    {"the_root_itself", "/srv/media", true},
    {"below_a_root", "/srv/media/music/rock", true},
    {"below_the_second_root", "/home/shared/films", true},
    {"sibling_with_a_common_prefix", "/srv/media2", false},
    {"parent", "/srv", false},
    {"elsewhere", "/etc", false},
    {"dot_dot_out", "/srv/media/../secret", false},
};

class LibraryRoots : public testing::TestWithParam<RootCase> {};

TEST_P(LibraryRoots, AllowsOnlyPathsUnderARoot) {
  const api::LibraryRoots roots{true, {"/srv/media", "/home/shared"}};
  const auto refusal = outside_library_roots(GetParam().path, roots);
  EXPECT_EQ(!refusal.has_value(), GetParam().allowed) << refusal.value_or("");
  if (refusal) {
    EXPECT_NE(refusal->find("not under a library root (/srv/media, /home/shared)"), std::string::npos)
        << *refusal;
  }
}

INSTANTIATE_TEST_SUITE_P(Api, LibraryRoots, testing::ValuesIn(kCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(LibraryRootsPolicy, UnrestrictedAllowsAnythingAndNoRootsAllowNothing) {
  EXPECT_FALSE(outside_library_roots("/anywhere", api::LibraryRoots{}));
  const auto refusal = outside_library_roots("/srv/media", api::LibraryRoots{true, {}});
  ASSERT_TRUE(refusal);
  EXPECT_NE(refusal->find("no --library-root"), std::string::npos);
}

}  // namespace
}  // namespace scanhub::api
