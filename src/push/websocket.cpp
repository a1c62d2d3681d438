#include "push/websocket.hpp"

#include "push/gather_write.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <array>
#include <span>

namespace scanhub::push {
namespace asio = boost::asio;

namespace {

// Bytes read per call, on the handler's stack; reads per readiness before the wait is armed
// again (a client that floods cannot keep a network thread to itself).
constexpr std::size_t kReadChunk = 8192;
constexpr int kReadsPerWakeUp = 8;

// What a failed client may still send after our Close before the socket is closed anyway.
constexpr std::uint32_t kMaxLingerBytes = 1 << 20;

constexpr std::uint8_t kOpClose = 0x8;
constexpr std::uint8_t kOpPing = 0x9;
constexpr std::uint8_t kOpPong = 0xA;

bool would_block(const boost::system::error_code& ec) noexcept {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

}  // namespace

// The reader's events for one read, on the strand, inside on_readable.
struct WebSocket::Events final : WebSocketReader::Handler {
  explicit Events(WebSocket& socket) : ws(socket) {}

  bool on_message_data(std::string_view bytes, bool text, bool end) override {
    if (ws.state_ != State::kOpen) return true;  // closing: the client's data is dropped
    return ws.on_websocket_data(bytes, text, end);
  }
  void on_ping(std::string_view payload) override {
    if (ws.state_ == State::kOpen) ws.queue_control(kOpPong, payload);
  }
  void on_pong(std::string_view /*payload*/) override {
    if (ws.state_ == State::kOpen) ws.on_websocket_pong();
  }
  void on_close(std::uint16_t code, std::string_view /*reason*/) override {
    if (ws.state_ == State::kOpen) {
      // RFC 6455 5.5.1: answer with a Close, echoing the code (none when the client sent none).
      if (code == 1005) {
        ws.queue_control(kOpClose, {});
      } else {
        ws.queue_close(code, {});
      }
    }
    ws.state_ = State::kClosingReply;  // ours is queued, or was sent already
  }

  WebSocket& ws;
};

WebSocket::WebSocket(Socket&& socket, std::uint64_t max_message_size)
    : socket_(std::move(socket)), reader_(max_message_size) {}

WebSocket::~WebSocket() = default;

void WebSocket::start(std::string upgrade_response) {
  boost::system::error_code ec;
  // Reads and writes are tried at once and fail with would_block instead of blocking; waits
  // for readiness go through the reactor.
  socket_.non_blocking(true, ec);
  if (ec) {
    post_finish();
    return;
  }
  control_ = std::move(upgrade_response);
  control_written_ = 0;
  wait_writable();  // a new socket is writable at once; the hooks then run from a completion
}

SendStatus WebSocket::send_message(const std::vector<SharedRecord>& records) {
  if (state_ != State::kOpen) return SendStatus::kPending;  // on_websocket_closed() follows
  std::uint64_t payload = 0;
  for (const auto& record : records) payload += record->size();
  message_header_size_ =
      static_cast<std::uint8_t>(write_server_frame_header(binary_, payload, message_header_));
  return start_message(records, payload);
}

SendStatus WebSocket::send_frames(const std::vector<SharedRecord>& frames) {
  if (state_ != State::kOpen) return SendStatus::kPending;  // on_websocket_closed() follows
  std::uint64_t size = 0;
  for (const auto& frame : frames) size += frame->size();
  message_header_size_ = 0;
  return start_message(frames, size);
}

SendStatus WebSocket::start_message(const std::vector<SharedRecord>& records,
                                    std::uint64_t payload) {
  message_ = &records;
  message_size_ = message_header_size_ + payload;
  message_written_ = 0;
  if (write_waiting_ || control_written_ < control_.size()) {
    return SendStatus::kPending;  // behind control frames: the wait armed for them writes it
  }
  // The fan-out's common case: the whole frame in one non-blocking sendmsg.
  boost::system::error_code ec;
  message_written_ = write_message_bytes(ec);
  if (message_written_ == message_size_) {
    message_ = nullptr;
    return SendStatus::kWritten;
  }
  if (ec && !would_block(ec)) {
    post_finish();  // the client is gone
    return SendStatus::kPending;
  }
  wait_writable();
  return SendStatus::kPending;
}

std::size_t WebSocket::write_message_bytes(boost::system::error_code& ec) {
  const std::string_view header(reinterpret_cast<const char*>(message_header_.data()),
                                message_header_size_);
  return static_cast<std::size_t>(
      gather_write(socket_, header, *message_, message_written_, message_size_, ec));
}

void WebSocket::send_ping() {
  if (state_ != State::kOpen) return;
  queue_control(kOpPing, {});
  wait_writable();
}

void WebSocket::close(std::uint16_t code, std::string_view reason) {
  if (state_ != State::kOpen) {
    if (state_ == State::kAccepting) abort();  // nothing to say goodbye on yet
    return;
  }
  queue_close(code, reason.substr(0, 123));  // a control frame's payload is at most 125 bytes
  state_ = State::kClosing;
  // The client's Close must be read to finish, whatever the owner asked before.
  paused_ = false;
  do_read();
  wait_writable();
}

void WebSocket::abort() {
  if (state_ == State::kClosed) return;
  boost::system::error_code ignored;
  socket_.close(ignored);  // pending waits complete with operation_aborted
  post_finish();
}

void WebSocket::resume_reading() {
  paused_ = false;
  do_read();
}

void WebSocket::queue_control(std::uint8_t opcode, std::string_view payload) {
  control_ += static_cast<char>(0x80 | opcode);
  control_ += static_cast<char>(payload.size());  // <= 125, unmasked
  control_ += payload;
}

void WebSocket::queue_close(std::uint16_t code, std::string_view reason) {
  std::string payload;
  payload += static_cast<char>(code >> 8);
  payload += static_cast<char>(code & 0xff);
  payload += reason;
  queue_control(kOpClose, payload);
}

void WebSocket::do_read() {
  if (reading_ || paused_ || state_ == State::kAccepting || state_ == State::kClosingReply ||
      state_ == State::kClosed) {
    return;
  }
  reading_ = true;
  socket_.async_wait(Socket::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
    self->on_readable(ec);
  });
}

void WebSocket::on_readable(boost::system::error_code ec) {
  reading_ = false;
  if (state_ == State::kClosed) return;
  if (ec) {
    finish();
    return;
  }
  std::array<char, kReadChunk> buffer;
  if (state_ == State::kLingering) {
    for (int i = 0; i < kReadsPerWakeUp; ++i) {
      const std::size_t got = socket_.read_some(asio::buffer(buffer), ec);
      if (would_block(ec)) break;
      lingered_ += static_cast<std::uint32_t>(got);
      if (ec || lingered_ > kMaxLingerBytes) {  // the client closed too, or sends on and on
        finish();
        return;
      }
    }
    do_read();
    return;
  }
  for (int i = 0; i < kReadsPerWakeUp; ++i) {
    const std::size_t got = socket_.read_some(asio::buffer(buffer), ec);
    if (would_block(ec)) break;
    if (ec) {  // end of stream, reset: the client is gone
      finish();
      return;
    }
    Events events(*this);
    const auto status = reader_.feed(std::span<char>(buffer.data(), got), events);
    if (state_ == State::kClosed) return;  // a hook aborted
    if (status == WebSocketReader::Status::kFailed) {
      // RFC 6455 7.1.7: fail the connection, saying why (unless our Close is out already).
      if (state_ == State::kOpen) queue_close(reader_.failure().code, reader_.failure().reason);
      state_ = State::kClosingReply;
      failed_ = true;
    }
    if (status == WebSocketReader::Status::kPaused) paused_ = true;
    if (state_ == State::kClosingReply || paused_ || got < buffer.size()) break;
  }
  if (control_written_ < control_.size() && !write_waiting_) {
    // Pongs and Close replies go out now (no message is in flight: that would have armed the
    // wait); from this completion the hooks may run at once.
    after_write(write_some());
    if (state_ == State::kClosed) return;
  } else if (state_ == State::kClosingReply && control_.empty() && !write_waiting_) {
    end_after_close();  // our Close was sent before the client's arrived (or it failed)
    return;
  }
  do_read();
}

void WebSocket::wait_writable() {
  if (write_waiting_ || state_ == State::kClosed) return;
  write_waiting_ = true;
  socket_.async_wait(Socket::wait_write, [self = shared_from_this()](boost::system::error_code ec) {
    self->on_writable(ec);
  });
}

void WebSocket::on_writable(boost::system::error_code ec) {
  write_waiting_ = false;
  if (state_ == State::kClosed) return;
  if (ec) {
    finish();
    return;
  }
  after_write(write_some());
}

WebSocket::Progress WebSocket::write_some() {
  Progress progress;
  for (;;) {
    const bool inside_message = message_ != nullptr && message_written_ > 0;
    if (!inside_message && control_written_ < control_.size()) {
      boost::system::error_code ec;
      const std::size_t sent = socket_.write_some(
          asio::buffer(control_.data() + control_written_, control_.size() - control_written_),
          ec);
      if (would_block(ec)) {
        wait_writable();
        return progress;
      }
      if (ec) {
        progress.failed = true;
        return progress;
      }
      control_written_ += sent;
      if (control_written_ == control_.size()) {
        std::string().swap(control_);  // an idle connection keeps no buffer
        control_written_ = 0;
      }
      continue;
    }
    if (message_ == nullptr) return progress;
    if (state_ != State::kOpen && message_written_ == 0) {
      message_ = nullptr;  // not begun when the close began: the connection ends without it
      return progress;
    }
    boost::system::error_code ec;
    message_written_ = write_message_bytes(ec);
    if (message_written_ == message_size_) {
      message_ = nullptr;
      progress.message_done = true;
      continue;
    }
    if (would_block(ec)) {
      wait_writable();
    } else {
      progress.failed = true;
    }
    return progress;
  }
}

void WebSocket::after_write(const Progress& progress) {
  if (progress.failed) {
    finish();
    return;
  }
  const bool control_sent = control_.empty();
  if (state_ == State::kAccepting && control_sent) {
    state_ = State::kOpen;
    on_websocket_open();
    if (state_ == State::kClosed) return;
    do_read();
  }
  if (state_ == State::kClosingReply && control_sent && message_ == nullptr) {
    end_after_close();  // our Close (the last frame) is out
    return;
  }
  if (progress.message_done) on_websocket_sent();
}

void WebSocket::end_after_close() {
  if (!failed_) {
    finish();
    return;
  }
  state_ = State::kLingering;
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_send, ignored);  // a FIN after our Close
  paused_ = false;
  do_read();
}

void WebSocket::finish() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_send, ignored);  // a FIN after our last frame
  socket_.close(ignored);
  message_ = nullptr;
  std::string().swap(control_);
  control_written_ = 0;
  on_websocket_closed();
}

void WebSocket::post_finish() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->finish(); });
}

}  // namespace scanhub::push
