#include "push/event_stream.hpp"

#include "push/gather_write.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include <array>

namespace scanhub::push {
namespace asio = boost::asio;

namespace {

// Nothing legitimate arrives on an event stream after its GET; a little is tolerated (a
// pipelined request), a flood ends the stream.
constexpr std::size_t kMaxIgnoredBytes = 64 * 1024;

bool would_block(const boost::system::error_code& ec) noexcept {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

}  // namespace

std::shared_ptr<EventStream> EventStream::start(Socket&& socket, std::string head,
                                                std::shared_ptr<Subscription> subscription,
                                                std::function<void()> on_closed) {
  auto stream = std::make_shared<EventStream>(std::move(socket), std::move(head),
                                              std::move(subscription), std::move(on_closed));
  stream->run();
  return stream;
}

EventStream::EventStream(Socket&& socket, std::string head,
                         std::shared_ptr<Subscription> subscription,
                         std::function<void()> on_closed)
    : socket_(std::move(socket)),
      head_(std::move(head)),
      subscription_(std::move(subscription)),
      on_closed_(std::move(on_closed)) {}

void EventStream::run() {
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  if (ec) {
    post_finish();
    return;
  }
  // The head first; what the subscription queued meanwhile goes behind it (send() sees it).
  wait_writable();
  subscription_->attach(shared_from_this());
  do_read();
}

SendStatus EventStream::send(const std::vector<SharedRecord>& records) {
  if (finished_ || closing_) return SendStatus::kPending;  // ending: finish() follows
  std::uint64_t size = 0;
  for (const auto& record : records) size += record->size();
  batch_ = &records;
  batch_size_ = size;
  batch_written_ = 0;
  if (write_waiting_ || head_written_ < head_.size()) return SendStatus::kPending;
  boost::system::error_code ec;
  batch_written_ = gather_write(socket_, {}, records, 0, size, ec);
  if (batch_written_ == batch_size_) {
    batch_ = nullptr;
    return SendStatus::kWritten;
  }
  if (ec && !would_block(ec)) {
    post_finish();  // the client is gone
    return SendStatus::kPending;
  }
  wait_writable();
  return SendStatus::kPending;
}

void EventStream::close(std::string_view /*reason*/) {
  if (finished_) return;
  closing_ = true;
  // On the next turn: the caller is inside the subscription's pipeline.
  if (batch_ == nullptr && head_written_ == head_.size()) post_finish();
}

void EventStream::abort() {
  if (finished_) return;
  boost::system::error_code ignored;
  socket_.close(ignored);
  post_finish();
}

void EventStream::do_read() {
  if (reading_ || finished_) return;
  reading_ = true;
  socket_.async_wait(Socket::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
    self->on_readable(ec);
  });
}

void EventStream::on_readable(boost::system::error_code ec) {
  reading_ = false;
  if (finished_) return;
  if (ec) {
    finish();
    return;
  }
  std::array<char, 1024> buffer;
  const std::size_t got = socket_.read_some(asio::buffer(buffer), ec);
  if (!would_block(ec)) {
    ignored_bytes_ += got;
    if (ec || ignored_bytes_ > kMaxIgnoredBytes) {  // gone (end of stream, reset), or a flood
      finish();
      return;
    }
  }
  do_read();
}

void EventStream::wait_writable() {
  if (write_waiting_ || finished_) return;
  write_waiting_ = true;
  socket_.async_wait(Socket::wait_write, [self = shared_from_this()](boost::system::error_code ec) {
    self->on_writable(ec);
  });
}

void EventStream::on_writable(boost::system::error_code ec) {
  write_waiting_ = false;
  if (finished_) return;
  bool batch_done = false;
  if (ec || !write_some(batch_done)) {
    finish();
    return;
  }
  if (batch_done) {
    if (closing_) {
      finish();
      return;
    }
    subscription_->on_send_complete(true);
  } else if (closing_ && batch_ == nullptr && head_written_ == head_.size()) {
    finish();
  }
}

bool EventStream::write_some(bool& batch_done) {
  boost::system::error_code ec;
  if (head_written_ < head_.size()) {
    head_written_ += socket_.write_some(
        asio::buffer(head_.data() + head_written_, head_.size() - head_written_), ec);
    if (would_block(ec)) {
      wait_writable();
      return true;
    }
    if (ec) return false;
    if (head_written_ < head_.size()) {
      wait_writable();
      return true;
    }
    std::string().swap(head_);  // an idle stream keeps no buffer
    head_written_ = 0;
  }
  if (batch_ == nullptr) return true;
  batch_written_ = gather_write(socket_, {}, *batch_, batch_written_, batch_size_, ec);
  if (batch_written_ == batch_size_) {
    batch_ = nullptr;
    batch_done = true;
    return true;
  }
  if (!would_block(ec)) return false;
  wait_writable();
  return true;
}

void EventStream::finish() {
  if (finished_) return;
  finished_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_send, ignored);  // the end of the response
  socket_.close(ignored);
  batch_ = nullptr;
  auto subscription = std::move(subscription_);
  subscription->detach();  // breaks the subscription <-> stream cycle
  if (auto on_closed = std::move(on_closed_)) on_closed();
}

void EventStream::post_finish() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->finish(); });
}

}  // namespace scanhub::push
