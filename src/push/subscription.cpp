#include "push/subscription.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

namespace scanhub::push {
namespace asio = boost::asio;

Subscription::Subscription(asio::any_io_executor strand, std::size_t wire_format,
                           const SendPipeline::Limits& limits, SendCounters& counters)
    : strand_(std::move(strand)), wire_format_(wire_format), pipeline_(limits, counters) {
  pipeline_.open();
}

bool Subscription::push_send(SharedRecord record, std::string_view conflation_key) {
  return inbox_.push(std::move(record), conflation_key);
}

void Subscription::dispatch_drain() {
  // Through the strand's own type when it is an io_context strand: no copy of the type-erased
  // executor per recipient of a fan-out.
  using IoStrand = asio::strand<asio::io_context::executor_type>;
  if (const auto* strand = strand_.target<IoStrand>()) {
    asio::dispatch(*strand, [self = shared_from_this()] { self->drain(); });
  } else {
    asio::dispatch(strand_, [self = shared_from_this()] { self->drain(); });
  }
}

void Subscription::post_drain() {
  asio::post(strand_, [self = shared_from_this()] { self->drain(); });
}

void Subscription::post_send(SharedRecord record, std::string_view conflation_key) {
  if (push_send(std::move(record), conflation_key)) post_drain();
}

void Subscription::drain() { pipeline_.drain(inbox_.take(), [this] { close_slow_client(); }); }

void Subscription::close_slow_client() {
  // Counted by the pipeline; what is queued is dropped, the transport says why.
  pipeline_.close(SendPipeline::Queue::kDrop, nullptr, kSlowClientReason);
}

void Subscription::attach(std::shared_ptr<PushSink> sink) {
  sink_ = std::move(sink);
  pipeline_.attach(*sink_);
  pipeline_.flush();
}

void Subscription::detach() noexcept {
  pipeline_.reset();
  sink_.reset();
}

void Subscription::send(SharedRecord record, std::string_view conflation_key) {
  if (pipeline_.enqueue(std::move(record), conflation_key) == SendPipeline::Queued::kOverflow) {
    close_slow_client();
    return;
  }
  pipeline_.flush();
}

void Subscription::on_send_complete(bool ok) {
  if (pipeline_.on_send_complete(ok)) pipeline_.flush();
}

void Subscription::abort() {
  if (sink_) sink_->abort();
}

void Subscription::close(SharedRecord last, std::string_view reason) {
  pipeline_.close(SendPipeline::Queue::kSend, std::move(last), reason);
}

}  // namespace scanhub::push
