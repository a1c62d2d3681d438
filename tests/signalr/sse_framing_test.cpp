// Tests of the Server-Sent Events framing (src/signalr/sse_framing.hpp) against the WHATWG
// event-stream rules that TransportProtocols.md "Server-Sent Events" relies on: every line of
// the payload becomes a `data:` line, and a standard parser gives the payload back (with line
// breaks normalized to "\n").
#include "signalr/sse_framing.hpp"

#include <gtest/gtest.h>

#include <string>

namespace scanhub::signalr {
namespace {

// What an EventSource delivers as `event.data` for one event (WHATWG "interpret an event
// stream", only the parts this framing uses).
std::string parse_one_event(std::string_view stream) {
  std::string data;
  bool any = false;
  while (!stream.empty()) {
    auto end = stream.find_first_of("\r\n");
    std::string_view line = stream.substr(0, end);
    if (end == std::string_view::npos) break;  // an unterminated line is not dispatched
    stream.remove_prefix(end + ((stream[end] == '\r' && end + 1 < stream.size() &&
                                 stream[end + 1] == '\n')
                                    ? 2
                                    : 1));
    if (line.empty()) break;  // the blank line ends the event
    if (!line.starts_with("data:")) continue;
    line.remove_prefix(5);
    if (line.starts_with(' ')) line.remove_prefix(1);
    data += line;
    data += '\n';
    any = true;
  }
  if (any) data.pop_back();
  return data;
}

struct Case {
  std::string payload;
  std::string framed;
  std::string delivered;
};

TEST(SseFraming, SplitsLinesAndRoundTrips) {
  const Case cases[] = {
      {"{}\x1e", "data: {}\x1e\n\n", "{}\x1e"},
      {"a\nb", "data: a\ndata: b\n\n", "a\nb"},
      {"a\r\nb", "data: a\ndata: b\n\n", "a\nb"},
      {"a\rb", "data: a\ndata: b\n\n", "a\nb"},
      {"a\n\nb", "data: a\ndata: \ndata: b\n\n", "a\n\nb"},
      {"a\n", "data: a\ndata: \n\n", "a\n"},
      {"\n", "data: \ndata: \n\n", "\n"},
      {"", "data: \n\n", ""},
      {" lead", "data:  lead\n\n", " lead"},
  };
  for (const auto& c : cases) {
    std::string out;
    append_sse_event(out, c.payload);
    EXPECT_EQ(out, c.framed) << "payload " << testing::PrintToString(c.payload);
    EXPECT_EQ(parse_one_event(out), c.delivered) << "payload " << testing::PrintToString(c.payload);
  }
}

TEST(SseFraming, SeveralRecordsMakeOneEvent) {
  std::vector<push::SharedRecord> records{std::make_shared<const std::string>("{\"type\":6}\x1e"),
                                    std::make_shared<const std::string>("{\"a\":\"x\ny\"}\x1e")};
  const std::string framed = format_sse_event(records);
  EXPECT_EQ(framed, "data: {\"type\":6}\x1e{\"a\":\"x\ndata: y\"}\x1e\n\n");
  EXPECT_EQ(parse_one_event(framed), *records[0] + *records[1]);
  // Exactly one blank line, at the end: one event.
  EXPECT_EQ(framed.find("\n\n"), framed.size() - 2);
}

}  // namespace
}  // namespace scanhub::signalr
