#include "signalr/sse_framing.hpp"

namespace scanhub::signalr {

void append_sse_event(std::string& out, std::string_view payload) {
  constexpr std::string_view kPrefix = "data: ";
  for (;;) {
    const auto end = payload.find_first_of("\r\n");
    out += kPrefix;
    out += payload.substr(0, end);
    out += '\n';
    if (end == std::string_view::npos) break;
    // "\r\n" is one line break, not two.
    const std::size_t skip = payload[end] == '\r' && end + 1 < payload.size() &&
                                     payload[end + 1] == '\n'
                                 ? 2
                                 : 1;
    payload.remove_prefix(end + skip);
  }
  out += '\n';
}

std::string format_sse_event(const std::vector<push::SharedRecord>& records) {
  std::string payload;
  std::size_t size = 0;
  for (const auto& record : records) size += record->size();
  payload.reserve(size);
  for (const auto& record : records) payload += *record;
  std::string out;
  out.reserve(size + size / 32 + 16);
  append_sse_event(out, payload);
  return out;
}

}  // namespace scanhub::signalr
