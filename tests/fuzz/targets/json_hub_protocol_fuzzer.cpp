// libFuzzer target: the bytes a client sends on a JSON hub protocol connection, read as the
// server reads them (src/signalr/hub_connection.cpp): RecordReader reassembles records from
// arbitrary chunks, the first record is a handshake request, every record is a hub message.
//
// Besides "no crash, no leak, no undefined behaviour, bounded memory" it checks properties:
// - RecordReader returns exactly the records a plain split at 0x1E gives, whatever the chunking,
//   and refuses the stream iff a record (or the unfinished tail) exceeds the limit;
// - every parse error carries a reason (it goes back to the client in a Close message);
// - the writers round-trip what was parsed: an Invocation written back by write_invocation (and
//   by write_msgpack_invocation) parses to the same target and arguments (NaN and infinities,
//   which JSON cannot carry, as null), a Completion for its invocation id parses back with that
//   id, Ack and Sequence keep their sequence id, a Close keeps its error.
// Source of the properties: HubProtocol.md ("JSON Encoding", message encodings) and the
// contracts in json_hub_protocol.hpp and record_reader.hpp.

#include "fuzz_checks.hpp"

#include "signalr/json_hub_protocol.hpp"
#include "signalr/msgpack_hub_protocol.hpp"
#include "signalr/record_reader.hpp"

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
constexpr std::size_t kMaxRecord = 2048;

// The reference framing: every complete record, the unfinished tail, and whether the reader
// must refuse the stream.
struct Split {
  std::vector<std::string_view> records;
  std::string_view tail;
  bool over_limit = false;
};

Split split_records(std::string_view in) {
  Split out;
  std::size_t start = 0;
  for (std::size_t sep = in.find(kRecordSeparator); sep != std::string_view::npos;
       sep = in.find(kRecordSeparator, start)) {
    out.records.push_back(in.substr(start, sep - start));
    if (sep - start > kMaxRecord) out.over_limit = true;
    start = sep + 1;
  }
  out.tail = in.substr(start);
  if (out.tail.size() > kMaxRecord) out.over_limit = true;
  return out;
}

// Feeds `in` in chunks of `chunk(k)` bytes and collects the records as they complete.
template <typename ChunkSize>
std::vector<std::string> read_records(RecordReader& reader, std::string_view in,
                                      ChunkSize chunk) {
  std::vector<std::string> records;
  for (std::size_t offset = 0, k = 0; offset < in.size(); ++k) {
    const std::size_t n = std::min(chunk(k), in.size() - offset);
    if (!reader.append(in.substr(offset, n))) {
      check(reader.failed() && !reader.next(), "a refused stream yields no more records");
      break;
    }
    offset += n;
    while (auto record = reader.next()) records.emplace_back(*record);
  }
  return records;
}

void check_framing(const Split& split, RecordReader& reader,
                   const std::vector<std::string>& records) {
  check(reader.failed() == split.over_limit, "RecordReader refuses exactly over-limit records");
  check(records.size() <= split.records.size(), "no record beyond the separators");
  for (std::size_t i = 0; i < records.size(); ++i) {
    check(records[i] == split.records[i], "records are the bytes between separators");
  }
  if (!reader.failed()) {
    check(records.size() == split.records.size(), "every complete record is returned");
    check(reader.buffered() == split.tail.size(), "buffered() is the unfinished tail");
    check(reader.take_unread() == split.tail, "take_unread() returns the unfinished tail");
    check(reader.buffered() == 0, "take_unread() empties the reader");
  }
}

std::string_view without_separator(const std::string& record) {
  check(!record.empty() && record.back() == kRecordSeparator, "a written record ends in 0x1E");
  return std::string_view(record).substr(0, record.size() - 1);
}

void check_completion_round_trip(const std::string& invocation_id, InvocationResult outcome) {
  const std::string written = write_completion(invocation_id, outcome);
  auto parsed = parse_json_message(without_separator(written));
  check(parsed.has_value(), "write_completion output parses");
  const auto* completion = std::get_if<ClientResultMessage>(&*parsed);
  check(completion != nullptr && completion->type == MessageType::kCompletion &&
            completion->invocation_id == invocation_id,
        "a written Completion parses back with its invocation id");
}

void check_round_trips(const HubMessage& message) {
  if (const auto* invocation = std::get_if<InvocationMessage>(&message)) {
    const std::string written = write_invocation(invocation->target, invocation->arguments);
    auto parsed = parse_json_message(without_separator(written));
    check(parsed.has_value(), "write_invocation output parses");
    const auto* again = std::get_if<InvocationMessage>(&*parsed);
    check(again != nullptr && !again->invocation_id && again->target == invocation->target,
          "a written Invocation parses back with its target");
    check(same_value(boost::json::value(again->arguments),
                     boost::json::value(invocation->arguments), Carried::kThroughJson),
          "a written Invocation parses back with its arguments");

    // The same call sent to a MessagePack client.
    const std::string framed = write_msgpack_invocation(invocation->target, invocation->arguments);
    LengthPrefixedReader frames(framed.size());
    check(frames.append(framed), "write_msgpack_invocation output is one valid frame");
    const auto payload = frames.next();
    check(payload.has_value() && !frames.next(), "write_msgpack_invocation writes one frame");
    auto decoded = parse_msgpack_message(*payload);
    check(decoded.has_value(), "write_msgpack_invocation output parses");
    const auto* binary = std::get_if<InvocationMessage>(&*decoded);
    check(binary != nullptr && binary->target == invocation->target &&
              same_value(boost::json::value(binary->arguments),
                         boost::json::value(invocation->arguments), Carried::kExact),
          "JSON arguments survive MessagePack unchanged");

    if (invocation->invocation_id) {
      check_completion_round_trip(*invocation->invocation_id,
                                  boost::json::value(invocation->arguments));
      check_completion_round_trip(*invocation->invocation_id,
                                  std::unexpected(invocation->target));
    }
  } else if (const auto* ack = std::get_if<AckMessage>(&message)) {
    auto parsed = parse_json_message(without_separator(write_ack(ack->sequence_id)));
    const auto* again = parsed ? std::get_if<AckMessage>(&*parsed) : nullptr;
    check(again != nullptr && again->sequence_id == ack->sequence_id,
          "a written Ack parses back with its sequence id");
  } else if (const auto* sequence = std::get_if<SequenceMessage>(&message)) {
    auto parsed = parse_json_message(without_separator(write_sequence(sequence->sequence_id)));
    const auto* again = parsed ? std::get_if<SequenceMessage>(&*parsed) : nullptr;
    check(again != nullptr && again->sequence_id == sequence->sequence_id,
          "a written Sequence parses back with its sequence id");
  } else if (const auto* close = std::get_if<CloseMessage>(&message)) {
    const std::string error = close->error.value_or("");
    for (const bool allow_reconnect : {false, true}) {
      auto parsed = parse_json_message(without_separator(write_close(error, allow_reconnect)));
      check(parsed.has_value(), "write_close output parses");
      const auto* again = std::get_if<CloseMessage>(&*parsed);
      check(again != nullptr && again->error.value_or("") == error,
            "a written Close parses back with its error");
    }
  }
}

void check_message(std::string_view record) {
  auto message = parse_json_message(record);
  if (!message) {
    check(!message.error().empty(), "a refused message has a reason");
    return;
  }
  check_round_trips(*message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const Split split = split_records(in);

  // As a WebSocket delivers it (one message may hold several records), and byte-wise split in
  // uneven chunks as Long Polling and Server-Sent Events POSTs may cut it.
  RecordReader whole(kMaxRecord);
  const auto records = read_records(whole, in, [&](std::size_t) { return in.size(); });
  check_framing(split, whole, records);
  RecordReader chunked(kMaxRecord);
  const auto chunked_records =
      read_records(chunked, in, [](std::size_t k) { return 1 + (k * 7) % 31; });
  check_framing(split, chunked, chunked_records);

  // The chunked reader also returns the records before an over-limit one.
  for (std::size_t i = 0; i < chunked_records.size(); ++i) {
    if (i == 0) {
      auto handshake = parse_handshake_request(chunked_records[i]);
      check(handshake.has_value() || !handshake.error().empty(),
            "a refused handshake has a reason");
    }
    check_message(chunked_records[i]);
  }
  return 0;
}
