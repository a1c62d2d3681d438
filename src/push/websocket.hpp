#pragma once
// A server WebSocket of our own: the connection after the opening handshake, for every push
// surface that speaks WebSockets (SignalR's WebSockets transport; the /ws event socket next).
// Subclasses supply the hooks; the class does the framing, the control frames and the closing
// handshake on a plain TCP socket.
//
// Why not Beast's websocket::stream: an idle connection is what a push server has most of, and
// Beast's costs about 3.5 KiB each while it waits (its stream state with a 1,536-byte read
// buffer, the pending read operation, the caller's read buffer). Here an idle connection is
// its socket, about 300 bytes of state and a wait for readability (no buffer): reads go into
// the handler's stack, then through WebSocketReader (websocket_reader.hpp).
//
// Writes: a message is one frame (FIN, no fragmentation, no compression; RFC 6455 5.2),
// written from the caller's records without copying them: header and records in one
// non-blocking gather-write (sendmsg). When the socket takes it all, which is the common case
// of a fan-out to idle clients, send_message() returns kWritten and nothing else happens (no
// completion, no reactor operation). Otherwise the rest goes out when the socket is writable
// and on_websocket_sent() reports the end. Control frames (Pong, Ping, Close) are written
// between data frames, never inside one.
//
// Source: RFC 6455 (5 framing, 5.5 control frames, 7 closing). The closing handshake: close()
// writes a Close after the message in flight and keeps reading until the client's Close, then
// closes the socket; a client's Close is answered with a Close carrying its code, then the
// socket closes. A protocol violation is answered with a Close carrying its code (1002, 1007,
// 1009), then the socket is half-closed and what the client still sends is dropped until it
// closes (a lingering close: without it, unread bytes make the kernel reset the connection and
// the client never reads the Close). There is no timer here: the owner's deadline calls abort().
//
// Threading: owned by shared_ptr; every call and hook on the socket's executor, which must be
// a strand. Hooks run only from I/O completions and posted tasks, never inside a call the
// subclass made, so a hook may call any member. No exception escapes (std::bad_alloc aside).

#include "push/record.hpp"
#include "push/sink.hpp"
#include "push/websocket_frame.hpp"
#include "push/websocket_reader.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::push {

class WebSocket : public std::enable_shared_from_this<WebSocket> {
 public:
  using Socket = boost::asio::ip::tcp::socket;

  /// `max_message_size`: bytes per message from the client, 0 for no limit (past it: 1009).
  explicit WebSocket(Socket&& socket, std::uint64_t max_message_size = 0);
  virtual ~WebSocket();
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;

  /// Writes `upgrade_response` (websocket_upgrade_response, websocket_handshake.hpp), then
  /// calls on_websocket_open() and starts reading; on_websocket_closed() if it cannot be
  /// written.
  void start(std::string upgrade_response);

  /// Writes `records`, concatenated, as one message (Text frames unless binary_messages()). At
  /// most one message in flight: kPending until on_websocket_sent(); kWritten when every byte
  /// left now. The records must stay alive and unchanged while pending. Once the close began
  /// a message is not written (kPending, and on_websocket_closed() follows instead).
  SendStatus send_message(const std::vector<SharedRecord>& records);
  /// Writes `frames`, each a complete frame (websocket_frame(), websocket_frame.hpp: framed
  /// once for every socket it goes to), verbatim and in order, in one gather-write: a batch of
  /// messages, one per record (the /ws event socket's JSON messages). Otherwise as
  /// send_message().
  SendStatus send_frames(const std::vector<SharedRecord>& frames);
  /// Writes a Ping (the client answers with a Pong: on_websocket_pong()).
  void send_ping();
  /// Starts the closing handshake with `code` and `reason` (at most 123 bytes are sent). Call
  /// it with no message in flight (the send pipeline does): a message not yet begun is dropped,
  /// one begun is finished first. Reading goes on (data dropped) until the client's Close.
  void close(std::uint16_t code, std::string_view reason);
  /// Closes the socket now; on_websocket_closed() follows on the next turn.
  void abort();
  /// Reads again after on_websocket_data() returned false.
  void resume_reading();
  /// Every later message is sent in Binary frames.
  void binary_messages() noexcept { binary_ = true; }

  const Socket::executor_type& get_executor() noexcept { return socket_.get_executor(); }

 protected:
  /// The 101 response went out: the WebSocket is open.
  virtual void on_websocket_open() = 0;
  /// Payload bytes of a client's message, in order (`end`: its last). Return false to read no
  /// more until resume_reading() (the bytes of the current read are still delivered).
  virtual bool on_websocket_data(std::string_view bytes, bool text, bool end) = 0;
  /// A kPending send_message() ended: every byte left.
  virtual void on_websocket_sent() = 0;
  /// A Pong arrived (an answer to send_ping(), or unsolicited).
  virtual void on_websocket_pong() {}
  /// The connection is over (closing handshake done, the client went away, an error, abort()).
  /// Exactly once; a message in flight is not reported sent.
  virtual void on_websocket_closed() = 0;

 private:
  // kAccepting: the 101 response goes out. kClosing: our Close is queued or sent, the client's
  // is awaited. kClosingReply: the client's Close arrived (or its frames failed): ours goes
  // out, then the socket closes. kLingering: after a failure our Close went out with a FIN;
  // what the client still sends is read and dropped (at most kMaxLingerBytes) until it closes,
  // so the kernel does not answer its unread bytes with a reset that destroys our Close.
  enum class State : std::uint8_t {
    kAccepting, kOpen, kClosing, kClosingReply, kLingering, kClosed
  };
  struct Events;  // the WebSocketReader::Handler of one read

  void do_read();
  void on_readable(boost::system::error_code ec);
  void wait_writable();
  void on_writable(boost::system::error_code ec);
  /// Writes control bytes and the message in flight as far as the socket takes them, arming a
  /// wait for writability when it is full. Calls no hook.
  struct Progress {
    bool failed = false;
    bool message_done = false;
  };
  Progress write_some();
  /// The hooks that follow a write_some(); in I/O completion context only.
  void after_write(const Progress& progress);
  /// Writes the message in flight from byte message_written_ on; bytes written now.
  std::size_t write_message_bytes(boost::system::error_code& ec);
  /// send_message and send_frames once the header (or none) is set.
  SendStatus start_message(const std::vector<SharedRecord>& records, std::uint64_t payload);
  void queue_control(std::uint8_t opcode, std::string_view payload);
  void queue_close(std::uint16_t code, std::string_view reason);
  /// Our last frame is out: close now, or linger first after a failure.
  void end_after_close();
  void finish();
  void post_finish();

  Socket socket_;
  WebSocketReader reader_;
  std::string control_;             // control frames (or the 101 response) to write, in order
  std::size_t control_written_ = 0;
  const std::vector<SharedRecord>* message_ = nullptr;  // the message in flight
  std::uint64_t message_size_ = 0;     // its frame (or frames): header and payload
  std::uint64_t message_written_ = 0;  // bytes of it written
  WebSocketFrameHeader message_header_{};
  std::uint8_t message_header_size_ = 0;  // 0: the records are whole frames (send_frames)
  State state_ = State::kAccepting;
  bool binary_ = false;
  bool reading_ = false;        // a wait for readability is armed
  bool paused_ = false;         // on_websocket_data returned false
  bool write_waiting_ = false;  // a wait for writability is armed
  bool failed_ = false;         // the client's frames broke RFC 6455: linger after our Close
  std::uint32_t lingered_ = 0;  // bytes dropped while lingering
};

}  // namespace scanhub::push
