// libFuzzer target: the bytes a client sends on a MessagePack hub protocol connection after the
// handshake, read as the server reads them (src/signalr/hub_connection.cpp): LengthPrefixedReader
// reassembles varint-framed messages from arbitrary chunks, parse_msgpack_message reads each.
//
// Besides "no crash, no leak, no undefined behaviour, bounded memory" it checks properties:
// - LengthPrefixedReader returns exactly the payloads a plain walk over the prefixes gives,
//   whatever the chunking, and refuses the stream iff a prefix is malformed or over the limit;
// - every parse error carries a reason (it goes back to the client in a Close message);
// - the codec round-trips: a decoded value encodes and decodes to the same value, and encoding
//   is canonical (the second encoding equals the first);
// - the writers round-trip what was parsed: an Invocation written back by
//   write_msgpack_invocation (and by the JSON write_invocation, for a JSON client) parses to the
//   same target and arguments, a Completion for its invocation id parses back with that id,
//   Ack and Sequence keep their sequence id, a Close keeps its error.
// Source of the properties: HubProtocol.md "MessagePack (MsgPack) encoding", the MessagePack
// specification, and the contracts in msgpack_hub_protocol.hpp and msgpack_codec.hpp.

#include "fuzz_checks.hpp"

#include "signalr/json_hub_protocol.hpp"
#include "signalr/msgpack_codec.hpp"
#include "signalr/msgpack_hub_protocol.hpp"
#include "signalr/record_reader.hpp"

#include <boost/json/array.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {
using namespace scanhub::signalr;
using scanhub::fuzz::Carried;
using scanhub::fuzz::check;
using scanhub::fuzz::same_value;

// Small, so that fuzzing reaches the size limit often (the server's default is 32 KiB).
constexpr std::size_t kMaxMessage = 2048;

// The reference framing: HubProtocol.md's VarInt (7 bits a byte, least significant first, at
// most 5 bytes, at most 2^31 - 1), walked over the whole input at once.
struct Frames {
  std::vector<std::string_view> payloads;
  bool refused = false;
};

Frames split_frames(std::string_view in) {
  Frames out;
  std::size_t pos = 0;
  while (pos < in.size()) {
    std::uint64_t length = 0;
    std::size_t i = 0;
    bool complete = false;
    for (; i < 5 && pos + i < in.size(); ++i) {
      const auto byte = static_cast<unsigned char>(in[pos + i]);
      length |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) {
        complete = true;
        ++i;
        break;
      }
    }
    if (!complete) {
      out.refused = i == 5;  // five bytes all continuing: malformed; fewer: still arriving
      return out;
    }
    if (length > 0x7fffffff || length > kMaxMessage) {
      out.refused = true;
      return out;
    }
    if (in.size() - pos - i < length) return out;  // body still arriving
    out.payloads.push_back(in.substr(pos + i, static_cast<std::size_t>(length)));
    pos += i + static_cast<std::size_t>(length);
  }
  return out;
}

template <typename ChunkSize>
std::vector<std::string> read_frames(LengthPrefixedReader& reader, std::string_view in,
                                     ChunkSize chunk) {
  std::vector<std::string> payloads;
  for (std::size_t offset = 0, k = 0; offset < in.size(); ++k) {
    const std::size_t n = std::min(chunk(k), in.size() - offset);
    if (!reader.append(in.substr(offset, n))) {
      check(reader.failed() && !reader.next(), "a refused stream yields no more messages");
      break;
    }
    offset += n;
    while (auto payload = reader.next()) payloads.emplace_back(*payload);
  }
  return payloads;
}

void check_framing(const Frames& frames, const LengthPrefixedReader& reader,
                   const std::vector<std::string>& payloads) {
  check(reader.failed() == frames.refused,
        "LengthPrefixedReader refuses exactly malformed and over-limit prefixes");
  check(payloads.size() <= frames.payloads.size(), "no message beyond the prefixes");
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    check(payloads[i] == frames.payloads[i], "payloads are the bytes the prefixes announce");
  }
  if (!reader.failed()) {
    check(payloads.size() == frames.payloads.size(), "every complete message is returned");
  }
}

// One framed message written by the server, unframed again by the server's own reader.
std::string_view unframe(const std::string& framed, LengthPrefixedReader& reader) {
  check(reader.append(framed), "a written message has a valid prefix");
  const auto payload = reader.next();
  check(payload.has_value() && !reader.next(), "a written message is exactly one frame");
  return *payload;
}

HubMessage parse_written(const std::string& framed, const char* what) {
  LengthPrefixedReader reader(framed.size());
  auto parsed = parse_msgpack_message(unframe(framed, reader));
  check(parsed.has_value(), what);
  return std::move(*parsed);
}

void check_codec(std::string_view payload) {
  std::size_t consumed = 0;
  auto value = msgpack::decode(payload, consumed);
  if (!value) {
    check(!value.error().empty(), "a refused value has a reason");
    return;
  }
  check(consumed <= payload.size(), "decode consumes at most the input");
  std::string first;
  msgpack::encode_value(first, *value);
  std::size_t again_consumed = 0;
  auto again = msgpack::decode(first, again_consumed);
  check(again.has_value() && again_consumed == first.size(), "an encoded value decodes whole");
  check(same_value(*again, *value, Carried::kExact), "a value survives encode and decode");
  std::string second;
  msgpack::encode_value(second, *again);
  check(second == first, "encoding is canonical");
}

void check_round_trips(const HubMessage& message) {
  if (const auto* invocation = std::get_if<InvocationMessage>(&message)) {
    const HubMessage written =
        parse_written(write_msgpack_invocation(invocation->target, invocation->arguments),
                      "write_msgpack_invocation output parses");
    const auto* again = std::get_if<InvocationMessage>(&written);
    check(again != nullptr && !again->invocation_id && again->target == invocation->target &&
              same_value(boost::json::value(again->arguments),
                         boost::json::value(invocation->arguments), Carried::kExact),
          "a written Invocation parses back with its target and arguments");

    // The same call sent to a JSON client: its record must parse (strings are UTF-8, numbers
    // JSON can carry), and carry the same target and arguments.
    const std::string record = write_invocation(invocation->target, invocation->arguments);
    check(!record.empty() && record.back() == kRecordSeparator, "a record ends in 0x1E");
    auto parsed = parse_json_message(std::string_view(record).substr(0, record.size() - 1));
    check(parsed.has_value(), "write_invocation output of MessagePack arguments parses");
    const auto* text = std::get_if<InvocationMessage>(&*parsed);
    check(text != nullptr && text->target == invocation->target &&
              same_value(boost::json::value(text->arguments),
                         boost::json::value(invocation->arguments), Carried::kThroughJson),
          "MessagePack arguments survive JSON");

    if (invocation->invocation_id) {
      for (const InvocationResult& outcome :
           {InvocationResult(boost::json::value(invocation->arguments)),
            InvocationResult(std::unexpected(invocation->target)), InvocationResult(nullptr)}) {
        const HubMessage completion =
            parse_written(write_msgpack_completion(*invocation->invocation_id, outcome),
                          "write_msgpack_completion output parses");
        const auto* result = std::get_if<ClientResultMessage>(&completion);
        check(result != nullptr && result->type == MessageType::kCompletion &&
                  result->invocation_id == *invocation->invocation_id,
              "a written Completion parses back with its invocation id");
      }
    }
  } else if (const auto* ack = std::get_if<AckMessage>(&message)) {
    const HubMessage written =
        parse_written(write_msgpack_ack(ack->sequence_id), "write_msgpack_ack output parses");
    const auto* again = std::get_if<AckMessage>(&written);
    check(again != nullptr && again->sequence_id == ack->sequence_id,
          "a written Ack parses back with its sequence id");
  } else if (const auto* sequence = std::get_if<SequenceMessage>(&message)) {
    const HubMessage written = parse_written(write_msgpack_sequence(sequence->sequence_id),
                                             "write_msgpack_sequence output parses");
    const auto* again = std::get_if<SequenceMessage>(&written);
    check(again != nullptr && again->sequence_id == sequence->sequence_id,
          "a written Sequence parses back with its sequence id");
  } else if (const auto* close = std::get_if<CloseMessage>(&message)) {
    const std::string error = close->error.value_or("");
    for (const bool allow_reconnect : {false, true}) {
      const HubMessage written =
          parse_written(write_msgpack_close(error, allow_reconnect), "write_msgpack_close parses");
      const auto* again = std::get_if<CloseMessage>(&written);
      check(again != nullptr && again->error.value_or("") == error,
            "a written Close parses back with its error");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const Frames frames = split_frames(in);

  // As one WebSocket message holding several frames, and cut in uneven chunks as a Long
  // Polling POST body or a slow socket may deliver it.
  LengthPrefixedReader whole(kMaxMessage);
  check_framing(frames, whole, read_frames(whole, in, [&](std::size_t) { return in.size(); }));
  LengthPrefixedReader chunked(kMaxMessage);
  const auto payloads = read_frames(chunked, in, [](std::size_t k) { return 1 + (k * 7) % 31; });
  check_framing(frames, chunked, payloads);

  for (const auto& payload : payloads) {
    check_codec(payload);
    auto message = parse_msgpack_message(payload);
    if (!message) {
      check(!message.error().empty(), "a refused message has a reason");
      continue;
    }
    check_round_trips(*message);
  }
  return 0;
}
