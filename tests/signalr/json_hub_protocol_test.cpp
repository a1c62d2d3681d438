// Tests of the JSON hub protocol parser and writers (src/signalr/json_hub_protocol.hpp) against
// HubProtocol.md's encodings, table-driven.
#include "signalr/json_hub_protocol.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <variant>

namespace scanhub::signalr {
namespace {

namespace json = boost::json;

struct ValidCase {
  const char* name;
  const char* record;
  // Checks on the parsed message.
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
    {"invocation", R"({"type":1,"invocationId":"123","target":"Send","arguments":[42,"x"]})",
     [](const HubMessage& m) { expect_invocation(m, "123", "Send", R"([42,"x"])"); }},
    {"non_blocking", R"({"type":1,"target":"Send","arguments":[]})",
     [](const HubMessage& m) { expect_invocation(m, nullptr, "Send", "[]"); }},
    {"property_order_free", R"({"arguments":[{"a":1}],"target":"T","invocationId":"9","type":1})",
     [](const HubMessage& m) { expect_invocation(m, "9", "T", R"([{"a":1}])"); }},
    {"headers_ignored",
     R"({"type":1,"headers":{"Foo":"Bar"},"invocationId":"1","target":"T","arguments":[]})",
     [](const HubMessage& m) { expect_invocation(m, "1", "T", "[]"); }},
    {"unknown_property_ignored", R"({"type":1,"target":"T","arguments":[],"extra":{"x":[1]}})",
     [](const HubMessage& m) { expect_invocation(m, nullptr, "T", "[]"); }},
    {"whitespace", " { \"type\" : 1 , \"target\" : \"T\" , \"arguments\" : [ null ] } ",
     [](const HubMessage& m) { expect_invocation(m, nullptr, "T", "[null]"); }},
    {"stream_ids", R"({"type":1,"invocationId":"1","target":"T","arguments":[],"streamIds":["s"]})",
     [](const HubMessage& m) {
       const auto* inv = std::get_if<InvocationMessage>(&m);
       ASSERT_NE(inv, nullptr);
       EXPECT_TRUE(inv->has_stream_ids);
     }},
    {"stream_invocation", R"({"type":4,"invocationId":"7","target":"Counter","arguments":[5]})",
     [](const HubMessage& m) {
       const auto* s = std::get_if<StreamInvocationMessage>(&m);
       ASSERT_NE(s, nullptr);
       EXPECT_EQ(s->invocation_id, "7");
       EXPECT_EQ(s->target, "Counter");
     }},
    {"cancel", R"({"type":5,"invocationId":"7"})",
     [](const HubMessage& m) {
       const auto* c = std::get_if<CancelInvocationMessage>(&m);
       ASSERT_NE(c, nullptr);
       EXPECT_EQ(c->invocation_id, "7");
     }},
    {"stream_item", R"({"type":2,"invocationId":"7","item":1})",
     [](const HubMessage& m) { EXPECT_TRUE(std::holds_alternative<ClientResultMessage>(m)); }},
    {"completion", R"({"type":3,"invocationId":"7","result":1})",
     [](const HubMessage& m) { EXPECT_TRUE(std::holds_alternative<ClientResultMessage>(m)); }},
    {"ping", R"({"type":6})",
     [](const HubMessage& m) { EXPECT_TRUE(std::holds_alternative<PingMessage>(m)); }},
    {"close", R"({"type":7})",
     [](const HubMessage& m) {
       const auto* c = std::get_if<CloseMessage>(&m);
       ASSERT_NE(c, nullptr);
       EXPECT_FALSE(c->error.has_value());
     }},
    {"close_error", R"({"type":7,"error":"bye","allowReconnect":true})",
     [](const HubMessage& m) {
       const auto* c = std::get_if<CloseMessage>(&m);
       ASSERT_NE(c, nullptr);
       EXPECT_EQ(c->error.value_or(""), "bye");
     }},
    {"ack", R"({"type":8,"sequenceId":3})",
     [](const HubMessage& m) {
       const auto* a = std::get_if<AckMessage>(&m);
       ASSERT_NE(a, nullptr);
       EXPECT_EQ(a->sequence_id, 3);
       EXPECT_FALSE(is_sequenced(m));
     }},
    {"sequence", R"({"sequenceId":12,"type":9})",
     [](const HubMessage& m) {
       const auto* q = std::get_if<SequenceMessage>(&m);
       ASSERT_NE(q, nullptr);
       EXPECT_EQ(q->sequence_id, 12);
     }},
    {"unknown_type_ignored", R"({"type":42})",
     [](const HubMessage& m) { EXPECT_TRUE(std::holds_alternative<IgnoredMessage>(m)); }},
};

class ParseValid : public testing::TestWithParam<ValidCase> {};

TEST_P(ParseValid, Parses) {
  auto parsed = parse_json_message(GetParam().record);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  GetParam().check(*parsed);
}

INSTANTIATE_TEST_SUITE_P(JsonHubProtocol, ParseValid, testing::ValuesIn(kValid),
                         [](const auto& test) { return std::string(test.param.name); });

struct InvalidCase {
  const char* name;
  const char* record;
  const char* error_contains;
};

const InvalidCase kInvalid[] = {
    {"not_json", "{\"type\":1,", "Invalid JSON"},
    {"garbage", "hello", "Invalid JSON"},
    {"empty", "", "Invalid JSON"},
    {"array", "[1,2]", "Expected a JSON object"},
    {"missing_type", R"({"target":"T","arguments":[]})", "Missing required property 'type'"},
    {"type_string", R"({"type":"1","target":"T","arguments":[]})", "'type' to be of type Integer"},
    {"type_float", R"({"type":1.5,"target":"T","arguments":[]})", "'type' to be of type Integer"},
    {"missing_target", R"({"type":1,"arguments":[]})", "Missing required property 'target'"},
    {"target_number", R"({"type":1,"target":5,"arguments":[]})", "'target' to be of type String"},
    {"missing_arguments", R"({"type":1,"target":"T"})", "Missing required property 'arguments'"},
    {"arguments_object", R"({"type":1,"target":"T","arguments":{}})",
     "'arguments' to be of type Array"},
    {"invocation_id_number", R"({"type":1,"invocationId":1,"target":"T","arguments":[]})",
     "'invocationId' to be of type String"},
    {"headers_array", R"({"type":1,"headers":[],"target":"T","arguments":[]})",
     "'headers' to be of type Object"},
    {"header_value_number", R"({"type":1,"headers":{"a":1},"target":"T","arguments":[]})",
     "'headers' to be of type Object of String"},
    {"stream_ids_string", R"({"type":1,"target":"T","arguments":[],"streamIds":"s"})",
     "'streamIds' to be of type Array"},
    {"stream_invocation_without_id", R"({"type":4,"target":"T","arguments":[]})",
     "Missing required property 'invocationId'"},
    {"cancel_without_id", R"({"type":5})", "Missing required property 'invocationId'"},
    {"completion_result_and_error", R"({"type":3,"invocationId":"1","result":1,"error":"x"})",
     "both 'result' and 'error'"},
    {"close_error_number", R"({"type":7,"error":1})", "'error' to be of type String"},
    {"ack_without_id", R"({"type":8})", "Missing required property 'sequenceId'"},
    {"sequence_string_id", R"({"type":9,"sequenceId":"1"})", "'sequenceId' to be of type"},
    {"ack_negative_id", R"({"type":8,"sequenceId":-1})", "'sequenceId' to be of type"},
};

class ParseInvalid : public testing::TestWithParam<InvalidCase> {};

TEST_P(ParseInvalid, ReportsReason) {
  auto parsed = parse_json_message(GetParam().record);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().find(GetParam().error_contains), std::string::npos) << parsed.error();
}

INSTANTIATE_TEST_SUITE_P(JsonHubProtocol, ParseInvalid, testing::ValuesIn(kInvalid),
                         [](const auto& test) { return std::string(test.param.name); });

struct HandshakeCase {
  const char* name;
  const char* record;
  bool ok;
  const char* protocol_or_error;
  std::int64_t version;
};

const HandshakeCase kHandshakes[] = {
    {"json", R"({"protocol":"json","version":1})", true, "json", 1},
    {"reordered", R"({"version":1,"protocol":"json"})", true, "json", 1},
    {"messagepack", R"({"protocol":"messagepack","version":1})", true, "messagepack", 1},
    {"version_2", R"({"protocol":"json","version":2})", true, "json", 2},
    {"bad_json", R"({"protocol":"json",)", false, "Invalid JSON", 0},
    {"no_protocol", R"({"version":1})", false, "Missing required property 'protocol'", 0},
    {"no_version", R"({"protocol":"json"})", false, "Missing required property 'version'", 0},
    {"version_string", R"({"protocol":"json","version":"1"})", false,
     "'version' to be of type Integer", 0},
};

class Handshake : public testing::TestWithParam<HandshakeCase> {};

TEST_P(Handshake, Parses) {
  const auto& c = GetParam();
  auto parsed = parse_handshake_request(c.record);
  ASSERT_EQ(parsed.has_value(), c.ok);
  if (c.ok) {
    EXPECT_EQ(parsed->protocol, c.protocol_or_error);
    EXPECT_EQ(parsed->version, c.version);
  } else {
    EXPECT_NE(parsed.error().find(c.protocol_or_error), std::string::npos) << parsed.error();
  }
}

INSTANTIATE_TEST_SUITE_P(JsonHubProtocol, Handshake, testing::ValuesIn(kHandshakes),
                         [](const auto& test) { return std::string(test.param.name); });

// Writers: each output is one record, and its JSON is what HubProtocol.md specifies.
json::value body_of(const std::string& record) {
  EXPECT_FALSE(record.empty());
  EXPECT_EQ(record.back(), '\x1e');
  EXPECT_EQ(record.find('\x1e'), record.size() - 1);
  return json::parse(std::string_view(record).substr(0, record.size() - 1));
}

TEST(JsonHubProtocolWrite, HandshakeResponses) {
  EXPECT_EQ(write_handshake_response(), std::string("{}\x1e"));
  EXPECT_EQ(body_of(write_handshake_response("nope \"x\"")),
            json::parse(R"({"error":"nope \"x\""})"));
}

TEST(JsonHubProtocolWrite, CompletionWithResult) {
  EXPECT_EQ(body_of(write_completion("1", json::value(json::parse(R"({"a":[1,2]})")))),
            json::parse(R"({"type":3,"invocationId":"1","result":{"a":[1,2]}})"));
}

TEST(JsonHubProtocolWrite, CompletionWithNullResult) {
  EXPECT_EQ(body_of(write_completion("x", json::value(nullptr))),
            json::parse(R"({"type":3,"invocationId":"x","result":null})"));
}

TEST(JsonHubProtocolWrite, CompletionWithError) {
  EXPECT_EQ(body_of(write_completion("2", std::unexpected(std::string("It didn't work!")))),
            json::parse(R"({"type":3,"invocationId":"2","error":"It didn't work!"})"));
}

TEST(JsonHubProtocolWrite, InvocationEscapesTarget) {
  EXPECT_EQ(body_of(write_invocation("Scan\"Progress", json::array{1, "two", nullptr})),
            json::parse(R"({"type":1,"target":"Scan\"Progress","arguments":[1,"two",null]})"));
}

TEST(JsonHubProtocolWrite, PingAndClose) {
  EXPECT_EQ(body_of(std::string(ping_record())), json::parse(R"({"type":6})"));
  EXPECT_EQ(body_of(write_close({}, false)), json::parse(R"({"type":7})"));
  EXPECT_EQ(body_of(write_close("Server is shutting down.", true)),
            json::parse(R"({"type":7,"error":"Server is shutting down.","allowReconnect":true})"));
}

TEST(JsonHubProtocolWrite, AckAndSequence) {
  EXPECT_EQ(body_of(write_ack(41)), json::parse(R"({"type":8,"sequenceId":41})"));
  EXPECT_EQ(body_of(write_sequence(1)), json::parse(R"({"type":9,"sequenceId":1})"));
}

TEST(JsonHubProtocolWrite, RoundTripThroughParser) {
  const std::string record = write_invocation("Echo", json::array{"a\x1e" "b"});
  // A record separator inside a string is escaped by the serializer, so framing stays intact.
  EXPECT_EQ(record.find('\x1e'), record.size() - 1);
  auto parsed = parse_json_message(std::string_view(record).substr(0, record.size() - 1));
  ASSERT_TRUE(parsed.has_value());
  expect_invocation(*parsed, nullptr, "Echo", "[\"a\\u001eb\"]");
}

// Found by tests/fuzz: `1e400` parses as infinity, and Boost.JSON wrote it back as the bare
// word Infinity, a record no client can parse. Non-finite numbers are written as null.
TEST(JsonHubProtocolWrite, NonFiniteNumbersAreWrittenAsNull) {
  auto parsed = parse_json_message(
      R"({"type":1,"invocationId":"1","target":"Echo","arguments":[1e400,-1e400,2.5]})");
  ASSERT_TRUE(parsed.has_value());
  const auto& arguments = std::get<InvocationMessage>(*parsed).arguments;
  EXPECT_EQ(body_of(write_invocation("Echo", arguments)),
            json::parse(R"({"type":1,"target":"Echo","arguments":[null,null,2.5]})"));
  const json::value result = {{"ratio", std::nan("")}, {"items", json::array{1, HUGE_VAL}}};
  EXPECT_EQ(
      body_of(write_completion("7", result)),
      json::parse(R"({"type":3,"invocationId":"7","result":{"ratio":null,"items":[1,null]}})"));
}

// A file name is bytes and may not be UTF-8; a record holding it raw is no JSON text, and a
// WebSocket text frame that is not UTF-8 makes the client close the connection. Every writer
// replaces the invalid bytes with U+FFFD (what the parser, and every client, then accepts).
TEST(JsonHubProtocolWrite, BytesThatAreNotUtf8GoOutReplaced) {
  const std::string raw = "/music/Bj\xF6rk/\xFF.mp3";
  const std::string shown = "/music/Bj\xEF\xBF\xBDrk/\xEF\xBF\xBD.mp3";
  EXPECT_EQ(body_of(write_invocation("ScanProgress", json::array{json::object{{"path", raw}}})),
            json::parse(R"({"type":1,"target":"ScanProgress","arguments":[{"path":")" + shown +
                        R"("}]})"));
  EXPECT_EQ(body_of(write_completion("1", json::value(raw))),
            json::parse(R"({"type":3,"invocationId":"1","result":")" + shown + R"("})"));
  EXPECT_EQ(body_of(write_completion("1", std::unexpected(raw))),
            json::parse(R"({"type":3,"invocationId":"1","error":")" + shown + R"("})"));
  EXPECT_EQ(body_of(write_close(raw, false)),
            json::parse(R"({"type":7,"error":")" + shown + R"("})"));
  EXPECT_EQ(body_of(write_handshake_response(raw)), json::parse(R"({"error":")" + shown + R"("})"));
}

}  // namespace
}  // namespace scanhub::signalr
