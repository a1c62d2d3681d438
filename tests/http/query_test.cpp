// Tests of request-target helpers (src/http/query.hpp).
#include "http/query.hpp"

#include <gtest/gtest.h>

namespace scanhub::http {
namespace {

TEST(SplitTarget, PathAndQuery) {
  auto t = split_target("/hubs/test?id=abc&x=1#frag");
  EXPECT_EQ(t.path, "/hubs/test");
  EXPECT_EQ(t.query, "id=abc&x=1");
  auto plain = split_target("/a/b");
  EXPECT_EQ(plain.path, "/a/b");
  EXPECT_EQ(plain.query, "");
  EXPECT_EQ(split_target("/a?").query, "");
}

struct DecodeCase {
  const char* in;
  bool plus_is_space;
  std::optional<std::string> out;
};

class Decode : public testing::TestWithParam<DecodeCase> {};

TEST_P(Decode, Decodes) {
  EXPECT_EQ(percent_decode(GetParam().in, GetParam().plus_is_space), GetParam().out);
}

INSTANTIATE_TEST_SUITE_P(
    PercentDecode, Decode,
    testing::Values(DecodeCase{"plain", false, "plain"}, DecodeCase{"a%20b", false, "a b"},
                    DecodeCase{"a+b", false, "a+b"}, DecodeCase{"a+b", true, "a b"},
                    DecodeCase{"%2f%2F", false, "//"}, DecodeCase{"%C3%A9", false, "\xC3\xA9"},
                    DecodeCase{"%", false, std::nullopt}, DecodeCase{"%4", false, std::nullopt},
                    DecodeCase{"%zz", false, std::nullopt},
                    DecodeCase{"a%00b", false, std::nullopt}, DecodeCase{"", false, ""}));

TEST(QueryParams, ParsesDecodesAndKeepsFirst) {
  QueryParams q("id=a%2Bb&access_token=x+y&id=second&flag&=nameless&bad=%zz&negotiateVersion=1");
  EXPECT_EQ(q.get("id"), "a+b");
  EXPECT_EQ(q.get("access_token"), "x y");
  EXPECT_EQ(q.get("flag"), "");
  EXPECT_EQ(q.get("negotiateVersion"), "1");
  EXPECT_FALSE(q.get("bad"));
  EXPECT_FALSE(q.get("missing"));
  EXPECT_TRUE(q.contains("flag"));
  EXPECT_EQ(q.all().size(), 5u);
}

TEST(QueryParams, EmptyAndSeparatorsOnly) {
  EXPECT_TRUE(QueryParams("").all().empty());
  EXPECT_TRUE(QueryParams("&&&").all().empty());
}

}  // namespace
}  // namespace scanhub::http
