#pragma once
// A Server-Sent Events response as a push sink (text/event-stream; WHATWG HTML "Server-sent
// events"): its head, then every record verbatim. Records are complete events (`event:`, `id:`
// and `data:` lines and a blank line), made once per message by the sender (record.hpp) and
// shared by every stream; a batch of them is one gather-write (gather_write.hpp), without a
// copy, and an idle stream's write is one non-blocking sendmsg.
//
// The client sends nothing after its GET: what it sends is read and dropped (more than 64 KiB
// ends the stream); its going away ends the stream. The response has no length: close() ends
// it by closing the connection.
//
// Threading: owned by shared_ptr (its subscription holds it while attached, I/O completions
// while they wait); every call on the socket's executor, which must be the subscription's
// strand. No exception escapes (std::bad_alloc aside).

#include "push/record.hpp"
#include "push/sink.hpp"
#include "push/subscription.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::push {

class EventStream final : public PushSink, public std::enable_shared_from_this<EventStream> {
 public:
  using Socket = boost::asio::ip::tcp::socket;

  /// Writes `head` (the status line and headers of the 200 response, the blank line, and any
  /// bytes before the first event), then whatever `subscription` sends, until the client goes
  /// away or the subscription closes. Then the subscription is detached and `on_closed` (may
  /// be empty) runs, once, on the strand.
  static std::shared_ptr<EventStream> start(Socket&& socket, std::string head,
                                            std::shared_ptr<Subscription> subscription,
                                            std::function<void()> on_closed = {});

  EventStream(Socket&& socket, std::string head, std::shared_ptr<Subscription> subscription,
              std::function<void()> on_closed);

  // PushSink (called by the subscription's pipeline)
  SendStatus send(const std::vector<SharedRecord>& records) override;
  void close(std::string_view reason) override;
  void abort() override;

 private:
  void run();
  void do_read();
  void on_readable(boost::system::error_code ec);
  void wait_writable();
  void on_writable(boost::system::error_code ec);
  /// Writes the head's rest and the batch in flight as far as the socket takes them; false
  /// when the socket failed.
  bool write_some(bool& batch_done);
  void finish();
  void post_finish();

  Socket socket_;
  std::string head_;                    // the response head, until it is written
  std::size_t head_written_ = 0;
  std::shared_ptr<Subscription> subscription_;
  std::function<void()> on_closed_;
  const std::vector<SharedRecord>* batch_ = nullptr;  // the batch in flight
  std::uint64_t batch_size_ = 0;
  std::uint64_t batch_written_ = 0;
  std::size_t ignored_bytes_ = 0;       // sent by the client, dropped
  bool reading_ = false;
  bool write_waiting_ = false;
  bool closing_ = false;  // close() was asked: end once the batch in flight is out
  bool finished_ = false;
};

}  // namespace scanhub::push
