#include "signalr/msgpack_codec.hpp"

#include "text/utf8.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <bit>
#include <cstring>

namespace scanhub::signalr::msgpack {
namespace json = boost::json;

namespace {

using Reason = std::unexpected<std::string>;

// Big-endian reads over a bounded cursor; every read checks the remaining length first.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : bytes_(bytes) {}

  std::size_t offset() const noexcept { return pos_; }
  bool has(std::size_t n) const noexcept { return bytes_.size() - pos_ >= n; }

  bool read_uint(std::size_t width, std::uint64_t& out) noexcept {
    if (!has(width)) return false;
    out = 0;
    for (std::size_t i = 0; i < width; ++i) {
      out = (out << 8) | static_cast<unsigned char>(bytes_[pos_ + i]);
    }
    pos_ += width;
    return true;
  }
  bool read_bytes(std::uint64_t n, std::string_view& out) noexcept {
    if (n > bytes_.size() - pos_) return false;
    out = bytes_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return true;
  }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(in[k]); };
  for (; i + 2 < in.size(); i += 3) {
    const std::uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kBase64[(n >> 18) & 63];
    out += kBase64[(n >> 12) & 63];
    out += kBase64[(n >> 6) & 63];
    out += kBase64[n & 63];
  }
  if (i < in.size()) {
    std::uint32_t n = byte(i) << 16;
    if (i + 1 < in.size()) n |= byte(i + 1) << 8;
    out += kBase64[(n >> 18) & 63];
    out += kBase64[(n >> 12) & 63];
    out += i + 1 < in.size() ? kBase64[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

class Decoder {
 public:
  explicit Decoder(std::string_view bytes) : in_(bytes) {}
  std::size_t offset() const noexcept { return in_.offset(); }

  std::expected<json::value, std::string> value(std::size_t depth) {
    if (depth > kMaxMsgpackDepth) return Reason("MessagePack nesting is too deep.");
    std::uint64_t tag = 0;
    if (!in_.read_uint(1, tag)) return truncated();
    if (tag <= 0x7f) return json::value(static_cast<std::int64_t>(tag));
    if (tag >= 0xe0) return json::value(static_cast<std::int64_t>(static_cast<std::int8_t>(tag)));
    if ((tag & 0xf0) == 0x80) return map(tag & 0x0f, depth);
    if ((tag & 0xf0) == 0x90) return array(tag & 0x0f, depth);
    if ((tag & 0xe0) == 0xa0) return str(tag & 0x1f);
    std::uint64_t n = 0;
    switch (tag) {
      case 0xc0:
        return json::value(nullptr);
      case 0xc2:
        return json::value(false);
      case 0xc3:
        return json::value(true);
      case 0xc4:
      case 0xc5:
      case 0xc6: {  // bin 8/16/32
        if (!in_.read_uint(std::size_t{1} << (tag - 0xc4), n)) return truncated();
        std::string_view bytes;
        if (!in_.read_bytes(n, bytes)) return truncated();
        return json::value(json::string(base64(bytes)));
      }
      case 0xca: {
        if (!in_.read_uint(4, n)) return truncated();
        return json::value(
            static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(n))));
      }
      case 0xcb:
        if (!in_.read_uint(8, n)) return truncated();
        return json::value(std::bit_cast<double>(n));
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf:  // uint 8/16/32/64
        if (!in_.read_uint(std::size_t{1} << (tag - 0xcc), n)) return truncated();
        if (n <= static_cast<std::uint64_t>(INT64_MAX)) {
          return json::value(static_cast<std::int64_t>(n));
        }
        return json::value(n);
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3: {  // int 8/16/32/64
        const std::size_t width = std::size_t{1} << (tag - 0xd0);
        if (!in_.read_uint(width, n)) return truncated();
        const unsigned shift = static_cast<unsigned>(64 - 8 * width);
        // Sign-extend from `width` bytes (arithmetic shift of a signed value is defined in C++20).
        return json::value(static_cast<std::int64_t>(n << shift) >> shift);
      }
      case 0xd9:
      case 0xda:
      case 0xdb:  // str 8/16/32
        if (!in_.read_uint(std::size_t{1} << (tag - 0xd9), n)) return truncated();
        return str(n);
      case 0xdc:
      case 0xdd:  // array 16/32
        if (!in_.read_uint(tag == 0xdc ? 2 : 4, n)) return truncated();
        return array(n, depth);
      case 0xde:
      case 0xdf:  // map 16/32
        if (!in_.read_uint(tag == 0xde ? 2 : 4, n)) return truncated();
        return map(n, depth);
      default:  // 0xc1 (never used), ext and fixext
        if (tag == 0xc1) return Reason("Invalid MessagePack type byte 0xc1.");
        return Reason("MessagePack extension types are not supported.");
    }
  }

 private:
  static Reason truncated() { return Reason("Truncated MessagePack value."); }

  // Room reserved ahead for a container whose header claims `n` elements. A claim is only
  // checked against the bytes left, and every nesting level may claim the same bytes again, so
  // reserving it whole let 60 nested headers in a 32 KiB message hold 47 MB before failing.
  // Beyond this many, the container grows with the elements that actually arrive.
  static std::size_t reservation(std::uint64_t n) noexcept {
    constexpr std::uint64_t kMaxReserved = 256;
    return static_cast<std::size_t>(std::min(n, kMaxReserved));
  }

  std::expected<json::value, std::string> str(std::uint64_t n) {
    std::string_view bytes;
    if (!in_.read_bytes(n, bytes)) return truncated();
    // str is UTF-8 by the specification; a value that is not would reach other clients' JSON
    // records (refused by their parsers, and by browsers in WebSocket text frames).
    if (!text::is_valid_utf8(bytes)) return Reason("MessagePack strings must be valid UTF-8.");
    return json::value(json::string(bytes));
  }

  std::expected<json::value, std::string> array(std::uint64_t n, std::size_t depth) {
    // Every element takes at least one byte: a count beyond the input is a lie, refused
    // before reserving memory for it.
    if (!in_.has(static_cast<std::size_t>(std::min<std::uint64_t>(n, SIZE_MAX)))) {
      return truncated();
    }
    json::array out;
    out.reserve(reservation(n));
    for (std::uint64_t i = 0; i < n; ++i) {
      auto element = value(depth + 1);
      if (!element) return element;
      out.push_back(std::move(*element));
    }
    return json::value(std::move(out));
  }

  std::expected<json::value, std::string> map(std::uint64_t n, std::size_t depth) {
    if (n > SIZE_MAX / 2 || !in_.has(static_cast<std::size_t>(n) * 2)) return truncated();
    json::object out;
    out.reserve(reservation(n));
    for (std::uint64_t i = 0; i < n; ++i) {
      auto key = value(depth + 1);
      if (!key) return key;
      if (!key->is_string()) return Reason("MessagePack map keys must be strings.");
      auto element = value(depth + 1);
      if (!element) return element;
      out[key->get_string()] = std::move(*element);
    }
    return json::value(std::move(out));
  }

  Cursor in_;
};

void put_be(std::string& out, unsigned char tag, std::uint64_t value, std::size_t width) {
  out += static_cast<char>(tag);
  for (std::size_t i = width; i-- > 0;) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

}  // namespace

std::expected<json::value, std::string> decode(std::string_view bytes, std::size_t& consumed) {
  Decoder decoder(bytes);
  auto result = decoder.value(0);
  consumed = decoder.offset();
  return result;
}

void encode_nil(std::string& out) {
  out += '\xc0';
}
void encode_bool(std::string& out, bool value) {
  out += value ? '\xc3' : '\xc2';
}

void encode_uint(std::string& out, std::uint64_t value) {
  if (value <= 0x7f) {
    out += static_cast<char>(value);
  } else if (value <= 0xff) {
    put_be(out, 0xcc, value, 1);
  } else if (value <= 0xffff) {
    put_be(out, 0xcd, value, 2);
  } else if (value <= 0xffffffff) {
    put_be(out, 0xce, value, 4);
  } else {
    put_be(out, 0xcf, value, 8);
  }
}

void encode_int(std::string& out, std::int64_t value) {
  if (value >= 0) return encode_uint(out, static_cast<std::uint64_t>(value));
  const auto bits = static_cast<std::uint64_t>(value);
  if (value >= -32) {
    out += static_cast<char>(bits & 0xff);
  } else if (value >= INT8_MIN) {
    put_be(out, 0xd0, bits, 1);
  } else if (value >= INT16_MIN) {
    put_be(out, 0xd1, bits, 2);
  } else if (value >= INT32_MIN) {
    put_be(out, 0xd2, bits, 4);
  } else {
    put_be(out, 0xd3, bits, 8);
  }
}

void encode_str(std::string& out, std::string_view value) {
  // str is UTF-8 by the specification, and the official client decodes it as such: a string
  // that is not (a file name) goes out with U+FFFD for its invalid bytes.
  if (!text::is_valid_utf8(value)) {
    const std::string valid = text::to_valid_utf8(value);
    encode_str(out, valid);
    return;
  }
  const std::size_t n = value.size();
  if (n <= 31) {
    out += static_cast<char>(0xa0 | n);
  } else if (n <= 0xff) {
    put_be(out, 0xd9, n, 1);
  } else if (n <= 0xffff) {
    put_be(out, 0xda, n, 2);
  } else {
    put_be(out, 0xdb, n, 4);
  }
  out += value;
}

void encode_array_header(std::string& out, std::size_t size) {
  if (size <= 15) {
    out += static_cast<char>(0x90 | size);
  } else if (size <= 0xffff) {
    put_be(out, 0xdc, size, 2);
  } else {
    put_be(out, 0xdd, size, 4);
  }
}

void encode_map_header(std::string& out, std::size_t size) {
  if (size <= 15) {
    out += static_cast<char>(0x80 | size);
  } else if (size <= 0xffff) {
    put_be(out, 0xde, size, 2);
  } else {
    put_be(out, 0xdf, size, 4);
  }
}

void encode_value(std::string& out, const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      encode_nil(out);
      break;
    case json::kind::bool_:
      encode_bool(out, value.get_bool());
      break;
    case json::kind::int64:
      encode_int(out, value.get_int64());
      break;
    case json::kind::uint64:
      encode_uint(out, value.get_uint64());
      break;
    case json::kind::double_:
      put_be(out, 0xcb, std::bit_cast<std::uint64_t>(value.get_double()), 8);
      break;
    case json::kind::string:
      encode_str(out, value.get_string());
      break;
    case json::kind::array:
      encode_array_header(out, value.get_array().size());
      for (const auto& element : value.get_array()) encode_value(out, element);
      break;
    case json::kind::object:
      encode_map_header(out, value.get_object().size());
      for (const auto& entry : value.get_object()) {
        encode_str(out, entry.key());
        encode_value(out, entry.value());
      }
      break;
  }
}

}  // namespace scanhub::signalr::msgpack
