#include "core/text.hpp"

#include <gtest/gtest.h>

using namespace scanhub::core;

TEST(Utf8, AcceptsWellFormed) {
  for (const char* text : {"", "plain", "Björk", "坂本龍一", "Smile 😊", "Ágætis byrjun"}) {
    EXPECT_TRUE(is_valid_utf8(text)) << text;
  }
}

TEST(Utf8, RejectsMalformed) {
  for (const char* text : {"caf\xE9", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82",
                           "\xFF"}) {
    EXPECT_FALSE(is_valid_utf8(text));
  }
}

TEST(Utf8, ReplacesEachInvalidByteWithReplacementCharacter) {
  EXPECT_EQ(to_valid_utf8("caf\xE9.mp3"), "caf\xEF\xBF\xBD.mp3");
  EXPECT_EQ(to_valid_utf8("Björk"), "Björk");
  EXPECT_EQ(to_valid_utf8("\xFF\xFE"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(TagText, TrimsAndTreatsBlankAsAbsent) {
  EXPECT_EQ(trimmed_or_null("  Title \t"), "Title");
  EXPECT_FALSE(trimmed_or_null("   "));
  EXPECT_FALSE(trimmed_or_null(std::string_view("\0", 1)));
}

TEST(TagText, LeadingNumber) {
  EXPECT_EQ(leading_number("3/12"), 3);
  EXPECT_EQ(leading_number("1997-05-20"), 1997);
  EXPECT_EQ(leading_number(" 07"), 7);
  EXPECT_FALSE(leading_number("track"));
  EXPECT_FALSE(leading_number(""));
  EXPECT_FALSE(leading_number("9999999999999999999"));
}

#include "core/ids.hpp"

TEST(Ids, OnlyPositiveDecimalsAreIds) {
  EXPECT_EQ(parse_id("7"), 7);
  EXPECT_EQ(parse_id("123456789012"), 123456789012);
  for (const char* text : {"", "0", "-3", "7x", " 7", "job-123", "9223372036854775808",
                           "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}) {
    EXPECT_FALSE(parse_id(text)) << text;
  }
}
