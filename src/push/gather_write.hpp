#pragma once
// One non-blocking gather-write of a batch of shared records behind an optional prefix (a
// WebSocket frame header), without copying them: the bytes of `prefix` and then of each record,
// from byte `from` of that concatenation on, handed to sendmsg in groups of up to 64 buffers,
// until all are written or the socket is full. Used by the sinks that write to sockets
// themselves (websocket.hpp, event_stream.hpp).
//
// Threading: the socket's strand. The socket must be in non-blocking mode
// (socket.non_blocking(true)). Throws nothing; errors come back in `ec` (would_block when the
// socket is full).

#include "push/record.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

namespace scanhub::push {

/// Writes from byte `from` on; returns the position reached (`total` = prefix and records:
/// done). `ec`: would_block when the socket is full, another error when it failed.
std::uint64_t gather_write(boost::asio::ip::tcp::socket& socket, std::string_view prefix,
                           const std::vector<SharedRecord>& records, std::uint64_t from,
                           std::uint64_t total, boost::system::error_code& ec);

}  // namespace scanhub::push
