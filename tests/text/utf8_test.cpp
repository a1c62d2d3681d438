#include "text/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace scanhub::text;

// The ASCII fast path reads eight bytes at a time: an invalid byte at every offset of a long
// run, and at its end, must still be found.
TEST(Utf8, FindsAnInvalidByteAtEveryOffsetOfAnAsciiRun) {
  for (std::size_t at = 0; at < 40; ++at) {
    std::string text(40, 'a');
    text[at] = '\xE9';
    EXPECT_FALSE(is_valid_utf8(text)) << at;
    std::string expected = text.substr(0, at) + "\xEF\xBF\xBD" + text.substr(at + 1);
    EXPECT_EQ(to_valid_utf8(text), expected) << at;
  }
}

TEST(Utf8, AcceptsMultiByteSequencesBetweenAsciiRuns) {
  EXPECT_TRUE(is_valid_utf8("0123456789abcdef Björk 0123456789abcdef 坂本 😊 0123456789"));
  EXPECT_FALSE(is_valid_utf8("0123456789abcdef Bj\xC3"));  // cut short at the end
}

TEST(Utf8, MakeValidChangesOnlyInvalidText) {
  std::string valid = "Sigur Rós/Ágætis byrjun";
  EXPECT_FALSE(make_valid_utf8(valid));
  EXPECT_EQ(valid, "Sigur Rós/Ágætis byrjun");
  std::string invalid = "caf\xE9";
  EXPECT_TRUE(make_valid_utf8(invalid));
  EXPECT_EQ(invalid, "caf\xEF\xBF\xBD");
}
