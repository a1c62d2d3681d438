#include "text/json_text.hpp"

#include "text/utf8.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

using namespace scanhub::text;
namespace json = boost::json;

// Boost.JSON alone writes the bytes of a name as they are: the output would not be JSON text.
TEST(SerializeJson, ReplacesInvalidBytesInStringsAndKeys) {
  const json::object value{{"path", "/music/caf\xE9"}, {"k\xFF", 1}, {"ok", "Björk"}};
  const std::string out = serialize_json(value);
  EXPECT_TRUE(is_valid_utf8(out));
  const json::value parsed = json::parse(out);  // throws on invalid UTF-8
  EXPECT_EQ(parsed.at("path").as_string(), "/music/caf\xEF\xBF\xBD");
  EXPECT_EQ(parsed.at("k\xEF\xBF\xBD").as_int64(), 1);
  EXPECT_EQ(parsed.at("ok").as_string(), "Björk");
}

TEST(SerializeJson, LeavesValidOutputAsBoostJsonWritesIt) {
  const json::value value{{"scanId", "7"}, {"progress", 42.5}, {"name", "坂本龍一\n\"x\""}};
  EXPECT_EQ(serialize_json(value), json::serialize(value));
  EXPECT_EQ(serialize_json(value.as_object()), json::serialize(value));
  const json::array array{1, "two", nullptr};
  EXPECT_EQ(serialize_json(array), json::serialize(array));
}

TEST(SerializeJson, WritesAStringLiteral) {
  EXPECT_EQ(serialize_json_string("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(serialize_json_string("\xC0"), "\"\xEF\xBF\xBD\"");
}
