#pragma once
// The next layer of the WebSockets transport's Beast stream: a TCP socket that knows whether
// Beast is writing, so the transport can write whole frames itself in between without ever
// interleaving its bytes with Beast's (websocket_transport.cpp's direct write).
//
// Why: Beast writes on its own, not only when asked: a Pong when a Ping arrives, the reply to a
// Close, the upgrade response. Every such write goes through async_write_some here and is
// counted until its completion handler runs. The transport writes directly only when none is in
// flight (idle()); when a direct write was partial, the transport finishes it with a raw write
// bracketed by begin_raw_write()/end_raw_write(), and a write Beast starts meanwhile waits until
// end_raw_write(). Beast's composed writes call async_write_some again from the completion of
// the previous one, on the same strand, so the count never reads zero in the middle of a frame.
//
// Threading: everything on the connection's strand (the socket's executor); not thread-safe.
// Satisfies Beast's AsyncStream; teardown() and async_teardown() below let websocket::stream
// close it as it closes a plain socket.

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <cstddef>
#include <functional>
#include <type_traits>
#include <utility>

namespace scanhub::signalr {

class GatedSocket {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using executor_type = Socket::executor_type;
  using next_layer_type = Socket;

  explicit GatedSocket(Socket&& socket) : socket_(std::move(socket)) {}

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  /// The socket itself (Beast's get_lowest_layer finds it here too).
  Socket& next_layer() noexcept { return socket_; }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    socket_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  /// Beast's writes. Held back while a raw write runs (at most one: Beast writes one frame at
  /// a time under its own write lock).
  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (raw_writing_) {
      deferred_ = [this, buffers, handler = std::forward<Handler>(handler)]() mutable {
        start_write_some(buffers, std::move(handler));
      };
      return;
    }
    start_write_some(buffers, std::forward<Handler>(handler));
  }

  /// No Beast write in flight or waiting, no raw write: a whole frame may be written now.
  bool idle() const noexcept { return beast_writes_ == 0 && !raw_writing_ && !deferred_; }

  /// The transport writes the rest of a partial direct write on next_layer() from now on.
  void begin_raw_write() noexcept { raw_writing_ = true; }
  /// That write completed (or failed): a write Beast started meanwhile goes out now.
  void end_raw_write() {
    raw_writing_ = false;
    if (deferred_) std::exchange(deferred_, nullptr)();
  }

 private:
  // Beast's handler, counted until it runs; on the strand, as the handler itself would run.
  template <class Handler>
  struct Counted {
    GatedSocket* gate;
    Handler handler;
    void operator()(boost::beast::error_code ec, std::size_t bytes) {
      --gate->beast_writes_;
      std::move(handler)(ec, bytes);
    }
  };

  template <class ConstBuffers, class Handler>
  void start_write_some(const ConstBuffers& buffers, Handler&& handler) {
    ++beast_writes_;
    auto executor = boost::asio::get_associated_executor(handler, socket_.get_executor());
    socket_.async_write_some(
        buffers,
        boost::asio::bind_executor(std::move(executor), Counted<std::decay_t<Handler>>{
                                                            this, std::forward<Handler>(handler)}));
  }

  Socket socket_;
  unsigned beast_writes_ = 0;
  bool raw_writing_ = false;
  std::move_only_function<void()> deferred_;  // Beast's write waiting for end_raw_write()
};

// Found by argument-dependent lookup from websocket::stream's close and read operations.
inline void teardown(boost::beast::role_type role, GatedSocket& socket,
                     boost::beast::error_code& ec) {
  boost::beast::websocket::teardown(role, socket.next_layer(), ec);
}

template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, GatedSocket& socket, TeardownHandler&& handler) {
  boost::beast::websocket::async_teardown(role, socket.next_layer(),
                                          std::forward<TeardownHandler>(handler));
}

}  // namespace scanhub::signalr
