// libFuzzer target: one text message a client sends on the /ws socket, read by
// src/events/client_message (Metarr's ClientMessage: ping, resync, startLibraryScan,
// cancelLibraryScan).
//
// Besides "no crash, no leak, no undefined behaviour, bounded memory" it checks the contract of
// client_message.hpp:
// - a message over 64 KiB is MESSAGE_TOO_LARGE, and one that is not UTF-8 is INVALID_UTF8,
//   whatever else it holds;
// - every refusal has a known code and a reason, and what it echoes (originalType, at most 128
//   bytes, and the message) is valid UTF-8, so the error message is valid JSON for the client;
// - an accepted message carries a positive id, a requestId that is a short string or an
//   integer, and reads back the same when written out as Metarr's client would send it.

#include "fuzz_checks.hpp"

#include "core/text.hpp"
#include "events/client_message.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {
using namespace scanhub::events;
using scanhub::fuzz::check;

bool known_code(std::string_view code) {
  for (std::string_view c : {error_code::kParse, error_code::kTooLarge, error_code::kInvalidUtf8,
                             error_code::kUnknownType, error_code::kInvalidField, error_code::kInternal}) {
    if (code == c) return true;
  }
  return false;
}

// The message as Metarr's client would write it.
std::string written(const ClientMessage& m) {
  boost::json::object o;
  o["type"] = type_name(m.command);
  if (const auto* r = std::get_if<Resync>(&m.command)) o["scope"] = to_string(r->scope);
  if (const auto* s = std::get_if<StartLibraryScan>(&m.command)) o["libraryId"] = s->library_id;
  if (const auto* c = std::get_if<CancelLibraryScan>(&m.command)) o["scanId"] = c->scan_id;
  if (!m.request_id.is_null()) o["requestId"] = m.request_id;
  return boost::json::serialize(o);
}

bool same(const ClientMessage& a, const ClientMessage& b) {
  if (a.command.index() != b.command.index() || a.request_id != b.request_id) return false;
  if (const auto* r = std::get_if<Resync>(&a.command)) return r->scope == std::get<Resync>(b.command).scope;
  if (const auto* s = std::get_if<StartLibraryScan>(&a.command)) {
    return s->library_id == std::get<StartLibraryScan>(b.command).library_id;
  }
  if (const auto* c = std::get_if<CancelLibraryScan>(&a.command)) {
    return c->scan_id == std::get<CancelLibraryScan>(b.command).scan_id;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto parsed = parse_client_message(in);
  if (!parsed) {
    const ClientError& e = parsed.error();
    check(known_code(e.code), "a refusal has a known code");
    check(!e.message.empty(), "a refusal has a reason");
    check(e.original_type.size() <= kMaxEchoedType, "originalType is cut to 128 bytes");
    check(scanhub::core::is_valid_utf8(e.original_type), "originalType is valid UTF-8");
    check(scanhub::core::is_valid_utf8(e.message), "the reason is valid UTF-8");
    if (in.size() > kMaxClientMessage) {
      check(e.code == error_code::kTooLarge, "over 64 KiB is MESSAGE_TOO_LARGE");
    } else if (!scanhub::core::is_valid_utf8(in)) {
      check(e.code == error_code::kInvalidUtf8, "not UTF-8 is INVALID_UTF8");
    }
    check(e.request_id.is_null() || e.request_id.is_string() || e.request_id.is_int64() ||
              e.request_id.is_uint64(),
          "an echoed requestId is a string or an integer");
    return 0;
  }
  check(in.size() <= kMaxClientMessage && scanhub::core::is_valid_utf8(in),
        "an accepted message is small and UTF-8");
  const ClientMessage& m = *parsed;
  if (const auto* s = std::get_if<StartLibraryScan>(&m.command)) check(s->library_id > 0, "libraryId > 0");
  if (const auto* c = std::get_if<CancelLibraryScan>(&m.command)) check(c->scan_id > 0, "scanId > 0");
  check(m.request_id.is_null() || (m.request_id.is_string() && m.request_id.get_string().size() <= kMaxRequestId) ||
            m.request_id.is_int64() || m.request_id.is_uint64(),
        "requestId is a short string or an integer");
  const auto again = parse_client_message(written(m));
  check(again.has_value() && same(*again, m), "an accepted message reads back the same when written out");
  return 0;
}
