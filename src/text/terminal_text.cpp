#include "text/terminal_text.hpp"

#include "text/utf8.hpp"

#include <algorithm>
#include <cstdint>

namespace scanhub::text {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex(std::string& out, const char* prefix, std::uint32_t value, int digits) {
  out += prefix;
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += kHex[(value >> shift) & 0xF];
}

// The code point of the well-formed sequence `s` (1 to 4 bytes).
std::uint32_t code_point(std::string_view s) noexcept {
  const auto b = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i]));
  };
  switch (s.size()) {
    case 1:
      return b(0);
    case 2:
      return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3:
      return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default:
      return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

bool is_bidi_control(std::uint32_t c) noexcept {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

}  // namespace

std::string escape_for_terminal(std::string_view text) {
  const bool printable_ascii = std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F;
  });
  if (printable_ascii) return std::string(text);

  std::string out;
  out.reserve(text.size() + 16);
  while (!text.empty()) {
    const std::size_t length = utf8_sequence_length(text);
    if (length == 0) {
      out += kReplacementCharacter;
      text.remove_prefix(1);
      continue;
    }
    const std::string_view sequence = text.substr(0, length);
    text.remove_prefix(length);
    const std::uint32_t c = code_point(sequence);
    if (c < 0x20 || c == 0x7F) {
      append_hex(out, "\\x", c, 2);
    } else if ((c >= 0x80 && c <= 0x9F) || is_bidi_control(c)) {
      append_hex(out, "\\u", c, 4);
    } else {
      out.append(sequence);
    }
  }
  return out;
}

}  // namespace scanhub::text
