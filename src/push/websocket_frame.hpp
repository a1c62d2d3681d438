#pragma once
// Server-to-client WebSocket frames, written by push::WebSocket (websocket.hpp): the header
// before a message's payload, or a whole frame made once for many sockets.
//
// Source: RFC 6455 section 5.2. A server's frames are never masked (5.1); one unfragmented
// message is one frame with FIN set, the bytes Beast writes with auto_fragment(false) and
// without permessage-deflate. Pure; any thread.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace scanhub::push {

/// Room for the longest header: 2 bytes + a 64-bit extended payload length.
using WebSocketFrameHeader = std::array<std::uint8_t, 10>;

/// Writes the header of one final, unmasked Text (`binary` false) or Binary frame carrying
/// `payload_size` bytes into `out`; returns its length in bytes (2, 4 or 10), the same bytes
/// Beast's websocket::stream writes before such a payload (tests/signalr/websocket_frame_test).
inline std::size_t write_server_frame_header(bool binary, std::uint64_t payload_size,
                                             WebSocketFrameHeader& out) noexcept {
  out[0] = static_cast<std::uint8_t>(0x80 | (binary ? 0x2 : 0x1));  // FIN, opcode
  if (payload_size < 126) {
    out[1] = static_cast<std::uint8_t>(payload_size);
    return 2;
  }
  if (payload_size <= 0xffff) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(payload_size >> 8);
    out[3] = static_cast<std::uint8_t>(payload_size);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) {
    out[2 + i] = static_cast<std::uint8_t>(payload_size >> (56 - 8 * i));
  }
  return 10;
}

/// One complete server frame carrying `payload` (Text, or Binary when `binary`): a record that
/// a WebSocket writes verbatim (WebSocket::send_frames), so a message sent to many sockets is
/// framed once, with the serialization (record.hpp).
inline std::string websocket_frame(std::string_view payload, bool binary = false) {
  WebSocketFrameHeader header{};
  const std::size_t header_size = write_server_frame_header(binary, payload.size(), header);
  std::string frame;
  frame.reserve(header_size + payload.size());
  frame.append(reinterpret_cast<const char*>(header.data()), header_size);
  frame.append(payload);
  return frame;
}

}  // namespace scanhub::push
