#include "push/websocket_reader.hpp"

#include <algorithm>
#include <cstring>

namespace scanhub::push {

namespace {

// RFC 6455 7.4: codes an endpoint may send in a Close frame (1004-1006 and 1015 are reserved
// for reports and never sent; 1016-2999 are not assigned to applications).
bool valid_close_code(std::uint16_t code) noexcept {
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;
  return code >= 3000 && code <= 4999;
}

}  // namespace

WebSocketReader::Status WebSocketReader::fail(std::uint16_t code,
                                              std::string_view reason) noexcept {
  stage_ = Stage::kFailed;
  failure_ = {code, reason};
  return Status::kFailed;
}

bool WebSocketReader::read_header(std::span<char>& bytes) {
  // 2 bytes tell the rest: the length's extension (0, 2 or 8 bytes) and the mask key (4).
  const auto wanted = [this]() -> std::size_t {
    if (header_size_ < 2) return 2;
    const std::uint8_t length = header_[1] & 0x7f;
    const std::size_t extension = length == 126 ? 2 : length == 127 ? 8 : 0;
    return 2 + extension + ((header_[1] & 0x80) != 0 ? 4 : 0);
  };
  while (!bytes.empty()) {
    const std::size_t need = wanted() - header_size_;
    const std::size_t take = std::min(need, bytes.size());
    std::memcpy(header_ + header_size_, bytes.data(), take);
    header_size_ = static_cast<std::uint8_t>(header_size_ + take);
    bytes = bytes.subspan(take);
    if (header_size_ == wanted() && header_size_ >= 2) return true;
  }
  return false;
}

bool WebSocketReader::check_header() {
  const std::uint8_t first = header_[0];
  const std::uint8_t second = header_[1];
  fin_ = (first & 0x80) != 0;
  opcode_ = first & 0x0f;
  if ((first & 0x70) != 0) return fail(1002, "RSV bit set"), false;
  if ((second & 0x80) == 0) return fail(1002, "unmasked frame"), false;
  std::uint64_t length = second & 0x7f;
  std::size_t at = 2;
  if (length == 126) {
    length = (std::uint64_t{header_[2]} << 8) | header_[3];
    if (length < 126) return fail(1002, "length not in its shortest form"), false;
    at = 4;
  } else if (length == 127) {
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | header_[2 + i];
    if ((length >> 63) != 0) return fail(1002, "length with the top bit set"), false;
    if (length <= 0xffff) return fail(1002, "length not in its shortest form"), false;
    at = 10;
  }
  std::memcpy(mask_, header_ + at, 4);
  mask_offset_ = 0;
  remaining_ = length;
  switch (opcode_) {
    case kClose:
    case kPing:
    case kPong:
      if (!fin_) return fail(1002, "fragmented control frame"), false;
      if (length > 125) return fail(1002, "control frame over 125 bytes"), false;
      control_.clear();
      return true;
    case kText:
    case kBinary:
      if (message_opcode_ != 0) return fail(1002, "new message inside a fragmented one"), false;
      message_opcode_ = opcode_;
      message_size_ = 0;
      utf8_.reset();
      break;
    case kContinuation:
      if (message_opcode_ == 0) return fail(1002, "continuation outside a message"), false;
      break;
    default:
      return fail(1002, "unknown opcode"), false;
  }
  if (max_message_size_ != 0 && length > max_message_size_ - message_size_) {
    return fail(1009, "message too big"), false;
  }
  message_size_ += length;
  return true;
}

WebSocketReader::Status WebSocketReader::feed(std::span<char> bytes, Handler& handler) {
  Status status = Status::kMore;
  while (stage_ != Stage::kClosed && stage_ != Stage::kFailed) {
    if (stage_ == Stage::kHeader) {
      if (!read_header(bytes)) break;
      header_size_ = 0;
      if (!check_header()) return Status::kFailed;
      stage_ = Stage::kPayload;
    }
    const Status result = payload(bytes, handler);
    if (result == Status::kFailed || result == Status::kClosed) return result;
    if (result == Status::kPaused) status = Status::kPaused;
    if (stage_ == Stage::kPayload) break;  // the payload goes on in the next bytes
  }
  if (stage_ == Stage::kClosed) return Status::kClosed;
  if (stage_ == Stage::kFailed) return Status::kFailed;
  return status;
}

WebSocketReader::Status WebSocketReader::payload(std::span<char>& bytes, Handler& handler) {
  const std::size_t take =
      static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size()));
  char* data = bytes.data();
  for (std::size_t i = 0; i < take; ++i) {
    data[i] = static_cast<char>(data[i] ^ mask_[(mask_offset_ + i) & 3]);
  }
  mask_offset_ = static_cast<std::uint8_t>((mask_offset_ + take) & 3);
  remaining_ -= take;
  bytes = bytes.subspan(take);
  const std::string_view piece(data, take);
  const bool frame_done = remaining_ == 0;
  if (frame_done) stage_ = Stage::kHeader;

  if (opcode_ == kClose || opcode_ == kPing || opcode_ == kPong) {
    control_.append(piece);
    return frame_done ? end_control(handler) : Status::kMore;
  }
  const bool text = message_opcode_ == kText;
  if (text && !utf8_.write(reinterpret_cast<const std::uint8_t*>(piece.data()), piece.size())) {
    return fail(1007, "text message is not UTF-8");
  }
  const bool end = frame_done && fin_;
  if (end) {
    if (text && !utf8_.finish()) return fail(1007, "text message is not UTF-8");
    message_opcode_ = 0;
  }
  if (piece.empty() && !end) return Status::kMore;  // nothing to hand on yet
  return handler.on_message_data(piece, text, end) ? Status::kMore : Status::kPaused;
}

WebSocketReader::Status WebSocketReader::end_control(Handler& handler) {
  const std::string_view payload_bytes = control_;
  switch (opcode_) {
    case kPing:
      handler.on_ping(payload_bytes);
      return Status::kMore;
    case kPong:
      handler.on_pong(payload_bytes);
      return Status::kMore;
    default:
      break;
  }
  // Close (RFC 6455 5.5.1): no payload, or a 2-byte code and a UTF-8 reason.
  std::uint16_t code = 1005;
  std::string_view reason;
  if (payload_bytes.size() == 1) return fail(1002, "close payload of one byte");
  if (payload_bytes.size() >= 2) {
    code = static_cast<std::uint16_t>(
        (static_cast<std::uint8_t>(payload_bytes[0]) << 8) |
        static_cast<std::uint8_t>(payload_bytes[1]));
    if (!valid_close_code(code)) return fail(1002, "invalid close code");
    reason = payload_bytes.substr(2);
    boost::beast::websocket::detail::utf8_checker check;
    if (!check.write(reinterpret_cast<const std::uint8_t*>(reason.data()), reason.size()) ||
        !check.finish()) {
      return fail(1007, "close reason is not UTF-8");
    }
  }
  stage_ = Stage::kClosed;
  handler.on_close(code, reason);
  return Status::kClosed;
}

}  // namespace scanhub::push
