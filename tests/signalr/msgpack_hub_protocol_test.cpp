// Tests of the MessagePack hub protocol (src/signalr/msgpack_hub_protocol.hpp): varint framing,
// parsing of HubProtocol.md's array layouts, value conversion and the writers, table-driven.
// Inputs are written as hex so each case shows the exact bytes a client sends.
#include "signalr/msgpack_hub_protocol.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <string>
#include <variant>

// Heap bytes this thread holds through operator new while a test counts (HeapPeak below), so
// a test can bound what decoding one message costs. Other tests allocate as usual.
namespace {
thread_local bool g_counting = false;
thread_local long long g_live_bytes = 0;
thread_local long long g_peak_bytes = 0;
}  // namespace

// Replaced for the whole test binary; counting only while a HeapPeak is alive on this thread.
void* operator new(std::size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  if (g_counting) {
    g_live_bytes += static_cast<long long>(malloc_usable_size(p));
    g_peak_bytes = std::max(g_peak_bytes, g_live_bytes);
  }
  return p;
}
// g++ sees malloc in the replaced new and free in the replaced delete once both are inlined,
// and takes the pair for a mismatch; it is the pair a replacement is made of.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept {
  if (g_counting && p != nullptr) g_live_bytes -= static_cast<long long>(malloc_usable_size(p));
  std::free(p);
}
#pragma GCC diagnostic pop
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

namespace scanhub::signalr {
namespace {

namespace json = boost::json;

std::string hex(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i + 1 < text.size();) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    out += static_cast<char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

// ---- parser: valid messages ----

struct ValidCase {
  const char* name;
  const char* payload;  // hex, without length prefix
  void (*check)(const HubMessage&);
};

void expect_invocation(const HubMessage& m, const char* id, const char* target,
                       const char* arguments) {
  const auto* inv = std::get_if<InvocationMessage>(&m);
  ASSERT_NE(inv, nullptr);
  if (id == nullptr) {
    EXPECT_FALSE(inv->invocation_id.has_value());
  } else {
    ASSERT_TRUE(inv->invocation_id.has_value());
    EXPECT_EQ(*inv->invocation_id, id);
  }
  EXPECT_EQ(inv->target, target);
  EXPECT_EQ(json::value(inv->arguments), json::parse(arguments));
}

const ValidCase kValid[] = {
    // [1, {}, "xyz", "method", [42, "x"], []]
    {"invocation", "96 01 80 a3 78797a a6 6d6574686f64 92 2a a1 78 90",
     [](const HubMessage& m) { expect_invocation(m, "xyz", "method", R"([42,"x"])"); }},
    // [1, {"k":"v"}, nil, "m", []] (no stream ids: older clients)
    {"non_blocking_with_headers", "95 01 81 a1 6b a1 76 c0 a1 6d 90",
     [](const HubMessage& m) { expect_invocation(m, nullptr, "m", "[]"); }},
    // nil, true, false, -1, uint8 200, int16 -300, float64 1.5, float32 0.5
    {"scalar_arguments",
     "96 01 80 a1 31 a1 6d 98 c0 c3 c2 ff cc c8 d1 fed4 cb 3ff8000000000000 ca 3f000000 90",
     [](const HubMessage& m) {
       expect_invocation(m, "1", "m", "[null,true,false,-1,200,-300,1.5,0.5]");
     }},
    // uint64 max, int64 min
    {"extreme_integers", "96 01 80 a1 31 a1 6d 92 cf ffffffffffffffff d3 8000000000000000 90",
     [](const HubMessage& m) {
       expect_invocation(m, "1", "m", "[18446744073709551615,-9223372036854775808]");
     }},
    // [{"a":[1,{"b":"c"}]}], bin8 "hi" -> base64 "aGk="
    {"nested_and_bin", "96 01 80 a1 31 a1 6d 92 81 a1 61 92 01 81 a1 62 a1 63 c4 02 6869 90",
     [](const HubMessage& m) {
       expect_invocation(m, "1", "m", R"([{"a":[1,{"b":"c"}]},"aGk="])");
     }},
    // [1, {}, "1", "m", [], ["s1"]]
    {"stream_ids", "96 01 80 a1 31 a1 6d 90 91 a2 7331",
     [](const HubMessage& m) {
       const auto* inv = std::get_if<InvocationMessage>(&m);
       ASSERT_NE(inv, nullptr);
       EXPECT_TRUE(inv->has_stream_ids);
     }},
    {"stream_invocation", "96 04 80 a1 37 a1 6d 90 90",
     [](const HubMessage& m) {
       const auto* s = std::get_if<StreamInvocationMessage>(&m);
       ASSERT_NE(s, nullptr);
       EXPECT_EQ(s->invocation_id, "7");
       EXPECT_EQ(s->target, "m");
     }},
    {"cancel_invocation", "93 05 80 a1 37",
     [](const HubMessage& m) {
       const auto* c = std::get_if<CancelInvocationMessage>(&m);
       ASSERT_NE(c, nullptr);
       EXPECT_EQ(c->invocation_id, "7");
     }},
    {"completion_void", "94 03 80 a1 37 02",
     [](const HubMessage& m) { EXPECT_TRUE(std::holds_alternative<ClientResultMessage>(m)); }},
    {"ping", "91 06",
     [](const HubMessage& m) { EXPECT_TRUE(std::holds_alternative<PingMessage>(m)); }},
    {"close_without_error", "92 07 c0",
     [](const HubMessage& m) {
       const auto* c = std::get_if<CloseMessage>(&m);
       ASSERT_NE(c, nullptr);
       EXPECT_FALSE(c->error.has_value());
     }},
    {"close_with_error", "93 07 a3 626164 c2",
     [](const HubMessage& m) {
       const auto* c = std::get_if<CloseMessage>(&m);
       ASSERT_NE(c, nullptr);
       EXPECT_EQ(c->error, "bad");
     }},
    {"ack", "92 08 cd 012c",
     [](const HubMessage& m) {
       const auto* a = std::get_if<AckMessage>(&m);
       ASSERT_NE(a, nullptr);
       EXPECT_EQ(a->sequence_id, 300);
     }},
    {"sequence", "92 09 01",
     [](const HubMessage& m) {
       const auto* q = std::get_if<SequenceMessage>(&m);
       ASSERT_NE(q, nullptr);
       EXPECT_EQ(q->sequence_id, 1);
     }},
    {"unknown_type_ignored", "92 0b 01",
     [](const HubMessage& m) { EXPECT_TRUE(std::holds_alternative<IgnoredMessage>(m)); }},
    // [1, {}, nil, "m", [U+00E9, U+1F600, U+FFFF]]: two-, four- and three-byte UTF-8 strings
    {"utf8_strings", "96 01 80 c0 a1 6d 93 a2 c3a9 a4 f09f9880 a3 efbfbf 90",
     [](const HubMessage& m) {
       expect_invocation(m, nullptr, "m", R"(["\u00e9","\ud83d\ude00","\uffff"])");
     }},
};

class MsgpackValid : public testing::TestWithParam<ValidCase> {};

TEST_P(MsgpackValid, Parses) {
  auto parsed = parse_msgpack_message(hex(GetParam().payload));
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  GetParam().check(*parsed);
}

INSTANTIATE_TEST_SUITE_P(Messages, MsgpackValid, testing::ValuesIn(kValid),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// ---- parser: rejected messages ----

struct InvalidCase {
  const char* name;
  const char* payload;
  const char* reason_part;
};

const InvalidCase kInvalid[] = {
    {"empty", "", "Truncated"},
    {"not_an_array", "a3 616263", "array"},
    {"empty_array", "90", "array"},
    {"type_not_integer", "92 a1 31 80", "'type'"},
    {"invocation_too_short", "94 01 80 c0 a1 6d", "Invocation"},
    {"target_not_string", "96 01 80 c0 01 90 90", "'target'"},
    {"arguments_not_array", "96 01 80 c0 a1 6d 01 90", "'arguments'"},
    {"invocation_id_not_string", "96 01 80 01 a1 6d 90 90", "'invocationId'"},
    {"headers_not_map", "96 01 90 c0 a1 6d 90 90", "'headers'"},
    {"header_value_not_string", "96 01 81 a1 6b 01 c0 a1 6d 90 90", "'headers'"},
    {"map_key_not_string", "96 01 80 c0 a1 6d 91 81 01 01 90", "keys"},
    {"stream_invocation_without_id", "96 04 80 c0 a1 6d 90 90", "'invocationId'"},
    {"completion_bad_kind", "95 03 80 a1 37 09 c0", "resultKind"},
    {"completion_missing_result", "94 03 80 a1 37 03", "Completion"},
    {"truncated_string", "96 01 80 c0 a5 6d", "Truncated"},
    {"truncated_array_count", "96 01 80 c0 a1 6d dd ffffffff", "Truncated"},
    {"trailing_bytes", "91 06 00", "after the message"},
    {"extension_type", "96 01 80 c0 a1 6d 91 d6 ff 00000000 90", "extension"},
    {"reserved_byte", "c1", "0xc1"},
    {"ack_without_id", "91 08", "too few fields"},
    {"sequence_negative", "92 09 ff", "'sequenceId'"},
    {"garbage", "ff ff ff", "Invalid MessagePack"},
    // Found by tests/fuzz: str that is not UTF-8 was accepted and would be written unchanged
    // into JSON records (invalid JSON, and an invalid WebSocket text frame).
    {"target_not_utf8", "96 01 80 c0 a1 ff 90 90", "UTF-8"},
    {"argument_lone_surrogate", "96 01 80 c0 a1 6d 91 a3 eda080 90", "UTF-8"},
    {"argument_overlong_nul", "96 01 80 c0 a1 6d 91 a2 c080 90", "UTF-8"},
    {"argument_cut_sequence", "96 01 80 c0 a1 6d 91 a1 c3 90", "UTF-8"},
    {"argument_above_u10ffff", "96 01 80 c0 a1 6d 91 a4 f4908080 90", "UTF-8"},
    {"map_key_not_utf8", "96 01 80 c0 a1 6d 91 81 a1 80 01 90", "UTF-8"},
};

class MsgpackInvalid : public testing::TestWithParam<InvalidCase> {};

TEST_P(MsgpackInvalid, Rejects) {
  auto parsed = parse_msgpack_message(hex(GetParam().payload));
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().find(GetParam().reason_part), std::string::npos) << parsed.error();
}

INSTANTIATE_TEST_SUITE_P(Messages, MsgpackInvalid, testing::ValuesIn(kInvalid),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(MsgpackParser, DeepNestingIsRefused) {
  std::string payload = hex("96 01 80 c0 a1 6d");
  payload.append(100'000, '\x91');
  payload += '\xc0';
  EXPECT_FALSE(parse_msgpack_message(payload).has_value());
}

struct HeapPeak {
  HeapPeak() { g_live_bytes = g_peak_bytes = 0, g_counting = true; }
  ~HeapPeak() { g_counting = false; }
  long long bytes() const { return g_peak_bytes; }
};

// Found by reading the decoder while writing tests/fuzz: each nested array reserved as many
// elements as its header claimed (up to the bytes left), so this 32 KiB message held 47 MB at
// its peak before it failed.
TEST(MsgpackParser, NestedCountsDoNotMultiplyMemory) {
  constexpr std::size_t kSize = 32 * 1024;  // HubOptions::max_receive_message_size
  std::string payload = hex("95 01 80 c0 a1 6d");
  for (int level = 0; level < 60; ++level) {
    // array 16 claiming one element per byte still unread: the count passes the length check
    const std::size_t claimed = std::min<std::size_t>(kSize - payload.size() - 3, 0xffff);
    payload += '\xdc';
    payload += static_cast<char>(claimed >> 8);
    payload += static_cast<char>(claimed & 0xff);
  }
  payload.resize(kSize, '\x00');  // positive fixint 0 fills the innermost array

  HeapPeak peak;
  EXPECT_FALSE(parse_msgpack_message(payload).has_value());
  // The innermost array's real elements take 16 bytes per input byte (512 KiB here).
  EXPECT_LT(peak.bytes(), 4 << 20);
}

// ---- framing ----

TEST(LengthPrefixedReader, SeveralMessagesInOneBuffer) {
  LengthPrefixedReader reader(1024);
  ASSERT_TRUE(reader.append(hex("02 91 06 03 92 07 c0")));
  EXPECT_EQ(reader.next(), hex("91 06"));
  EXPECT_EQ(reader.next(), hex("92 07 c0"));
  EXPECT_EQ(reader.next(), std::nullopt);
}

TEST(LengthPrefixedReader, MessageSplitAcrossBuffersByteByByte) {
  LengthPrefixedReader reader(1024);
  std::string body(200, 'x');  // 200 needs a two-byte prefix: c8 01
  const std::string wire = hex("c8 01") + body;
  for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
    ASSERT_TRUE(reader.append(wire.substr(i, 1)));
    ASSERT_EQ(reader.next(), std::nullopt) << "at byte " << i;
  }
  ASSERT_TRUE(reader.append(wire.substr(wire.size() - 1)));
  EXPECT_EQ(reader.next(), body);
}

TEST(LengthPrefixedReader, GivesBackTheRoomOfALargeMessageOnceItIsRead) {
  LengthPrefixedReader reader(32 * 1024);
  const std::string body(30000, 'x');  // 30000 = 0x7530: prefix b0 ea 01
  ASSERT_TRUE(reader.append(hex("b0 ea 01") + body));
  EXPECT_GE(reader.capacity(), 30000u);
  EXPECT_EQ(reader.next(), body);
  reader.compact();
  EXPECT_LE(reader.capacity(), 4096u);
}

TEST(LengthPrefixedReader, EmptyPayloadIsAMessage) {
  LengthPrefixedReader reader(16);
  ASSERT_TRUE(reader.append(hex("00 01 90")));
  EXPECT_EQ(reader.next(), "");
  EXPECT_EQ(reader.next(), hex("90"));
}

struct FramingErrorCase {
  const char* name;
  const char* bytes;
};

const FramingErrorCase kFramingErrors[] = {
    {"over_limit", "11"},                      // 17 > 16, refused before the body arrives
    {"prefix_too_long", "80 80 80 80 80 01"},  // six bytes
    {"above_2gb", "ff ff ff ff 0f"},           // 2^32 - 1
    {"over_limit_after_good_message", "01 90 ff 01"},
};

class FramingErrors : public testing::TestWithParam<FramingErrorCase> {};

TEST_P(FramingErrors, Fail) {
  LengthPrefixedReader reader(16);
  EXPECT_FALSE(reader.append(hex(GetParam().bytes)));
  EXPECT_TRUE(reader.failed());
  EXPECT_FALSE(reader.append(hex("01 90")));
}

INSTANTIATE_TEST_SUITE_P(Framing, FramingErrors, testing::ValuesIn(kFramingErrors),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// ---- writers (round-tripped through the parser's value decoding where possible) ----

struct WriterCase {
  const char* name;
  std::string (*write)();
  const char* expected;  // hex, with length prefix
};

const WriterCase kWriters[] = {
    {"invocation",
     [] {
       return write_msgpack_invocation("t", json::array{1, "a"});
     },
     "0b 96 01 80 c0 a1 74 92 01 a1 61 90"},
    {"completion_result",
     [] { return write_msgpack_completion("1", InvocationResult(json::value(-5))); },
     "07 95 03 80 a1 31 03 fb"},
    {"completion_null_is_a_result",
     [] { return write_msgpack_completion("1", InvocationResult(json::value(nullptr))); },
     "07 95 03 80 a1 31 03 c0"},
    {"ack", [] { return write_msgpack_ack(300); }, "05 92 08 cd 012c"},
    {"sequence", [] { return write_msgpack_sequence(1); }, "03 92 09 01"},
    {"completion_error",
     [] { return write_msgpack_completion("1", InvocationResult(std::unexpected("no"))); },
     "09 95 03 80 a1 31 01 a2 6e6f"},
    {"ping", [] { return std::string(msgpack_ping_record()); }, "02 91 06"},
    {"close_normal", [] { return write_msgpack_close({}, false); }, "04 93 07 c0 c2"},
    {"close_reconnect", [] { return write_msgpack_close("x", true); }, "05 93 07 a1 78 c3"},
    {"values",
     [] {
       return write_msgpack_invocation(
           "t", json::array{nullptr, true, 300, -40, 1.5, json::object{{"k", json::array{}}}});
     },
     "1c 96 01 80 c0 a1 74 96 c0 c3 cd 012c d0 d8 cb 3ff8000000000000 81 a1 6b 90 90"},
};

class MsgpackWriters : public testing::TestWithParam<WriterCase> {};

TEST_P(MsgpackWriters, WritesSpecLayout) {
  EXPECT_EQ(GetParam().write(), hex(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(Writers, MsgpackWriters, testing::ValuesIn(kWriters),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(MsgpackWriters, LongStringsAndPrefixesRoundTrip) {
  const std::string big(70'000, 'z');  // str32 and a three-byte prefix
  const std::string wire = write_msgpack_invocation("t", json::array{big});
  LengthPrefixedReader reader(100'000);
  ASSERT_TRUE(reader.append(wire));
  auto payload = reader.next();
  ASSERT_TRUE(payload.has_value());
  auto parsed = parse_msgpack_message(*payload);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  expect_invocation(*parsed, nullptr, "t", json::serialize(json::array{big}).c_str());
}

// MessagePack's str is UTF-8 by its specification (and the official client decodes it so): a
// file name that is not goes out with U+FFFD for its invalid bytes, and our own strict parser,
// which refuses invalid str, accepts what was written.
TEST(MsgpackWriters, StringsThatAreNotUtf8GoOutReplaced) {
  const std::string raw = "/music/Bj\xF6rk/\xFF.mp3";
  const std::string shown = "/music/Bj\xEF\xBF\xBDrk/\xEF\xBF\xBD.mp3";
  const std::string wire =
      write_msgpack_invocation("ScanProgress", json::array{json::object{{"path\xFE", raw}}});
  LengthPrefixedReader reader(100'000);
  ASSERT_TRUE(reader.append(wire));
  auto payload = reader.next();
  ASSERT_TRUE(payload.has_value());
  auto parsed = parse_msgpack_message(*payload);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  const auto& arguments = std::get<InvocationMessage>(*parsed).arguments;
  EXPECT_EQ(arguments.at(0).at("path\xEF\xBF\xBD").as_string(), shown);
}

}  // namespace
}  // namespace scanhub::signalr
