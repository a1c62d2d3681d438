#include "push/gather_write.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>

#include <array>
#include <span>

namespace scanhub::push {
namespace asio = boost::asio;

namespace {
// Buffers per sendmsg: Asio hands at most 64 to one call.
constexpr std::size_t kMaxBuffers = 64;
}  // namespace

std::uint64_t gather_write(asio::ip::tcp::socket& socket, std::string_view prefix,
                           const std::vector<SharedRecord>& records, std::uint64_t from,
                           std::uint64_t total, boost::system::error_code& ec) {
  ec.clear();
  std::uint64_t written = from;
  while (written < total) {
    std::array<asio::const_buffer, kMaxBuffers> buffers;
    std::size_t count = 0;
    std::size_t offered = 0;
    std::uint64_t skip = written;
    const auto add = [&](const char* data, std::size_t size) {
      if (skip >= size) {
        skip -= size;
        return;
      }
      buffers[count++] = asio::const_buffer(data + skip, size - skip);
      offered += size - skip;
      skip = 0;
    };
    add(prefix.data(), prefix.size());
    for (const auto& record : records) {
      if (count == kMaxBuffers) break;
      add(record->data(), record->size());
    }
    const std::size_t sent =
        socket.write_some(std::span<const asio::const_buffer>(buffers.data(), count), ec);
    if (ec) break;
    written += sent;
    if (sent < offered) {
      ec = asio::error::would_block;  // the socket is full
      break;
    }
  }
  return written;
}

}  // namespace scanhub::push
