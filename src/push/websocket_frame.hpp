#pragma once
// The header of a server-to-client WebSocket frame, for writes that bypass Beast
// (the direct write of src/signalr/websocket_transport.cpp).
//
// Source: RFC 6455 section 5.2. A server's frames are never masked (5.1); one unfragmented
// message is one frame with FIN set, as Beast writes it with auto_fragment(false) and without
// permessage-deflate (both so in websocket_transport.cpp). Pure; any thread.

#include <array>
#include <cstddef>
#include <cstdint>

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

}  // namespace scanhub::push
