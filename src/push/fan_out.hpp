#pragma once
// Sending one message to many subscribers: each record made once per wire format among them
// (RecordsByFormat), entered into every subscriber's inbox in call order on the caller's thread,
// and the subscribers' drains run in chunks, kChunk per io_context task, each drain inline on
// its strand when the strand is idle (asio::dispatch), so the write starts in that task. One
// scheduler round trip per chunk, not per subscriber; both network threads take chunks.
//
// A Subscriber is any connection type with these members (SignalR's HubConnection; the /ws
// socket and the SSE stream next), callable from any thread:
//   std::size_t wire_format() const noexcept;   // index of its format, < kFormats
//   bool push_send(SharedRecord, std::string_view conflation_key);  // Inbox::push
//   void dispatch_drain();   // runs the drain push_send asked for (asio::dispatch)
//   void post_drain();       // queues it on the subscriber's strand (asio::post)
//   const boost::asio::any_io_executor& executor() const noexcept;  // its strand
//
// Threading: any thread but a subscriber's own strand when its executor is not an io_context
// strand (then each drain is posted). `recipients` is kept alive until every chunk has run.
// Throws what `serialize` throws and std::bad_alloc; a record already entered stays entered.

#include "push/record.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace scanhub::push {

/// Subscribers per delivery task: small enough that both network threads share a fan-out to
/// thousands, large enough that the task's post is a small part of its work.
inline constexpr std::size_t kFanOutChunk = 128;

/// Sends the message `serialize(format)` (a std::string or SharedRecord) to every subscriber,
/// queued with `conflation_key` (empty: never replaced).
template <std::size_t kFormats, class Subscriber, class Serialize>
void fan_out(std::shared_ptr<const std::vector<std::shared_ptr<Subscriber>>> recipients,
             std::string_view conflation_key, Serialize&& serialize) {
  namespace asio = boost::asio;
  using IoStrand = asio::strand<asio::io_context::executor_type>;
  if (!recipients || recipients->empty()) return;
  RecordsByFormat<kFormats, Serialize&> records(serialize);
  std::vector<Subscriber*> chunk;
  const auto flush = [&chunk, &recipients] {
    if (chunk.empty()) return;
    const auto* strand = chunk.front()->executor().template target<IoStrand>();
    if (strand == nullptr) {  // not on an io_context strand: one post per subscriber
      // Posted, not dispatched: the caller may be on one of these subscribers' strands.
      for (Subscriber* subscriber : chunk) subscriber->post_drain();
    } else {
      asio::post(strand->get_inner_executor(), [keep = recipients, chunk = std::move(chunk)] {
        for (Subscriber* subscriber : chunk) subscriber->dispatch_drain();
      });
    }
    chunk.clear();
  };
  for (const std::shared_ptr<Subscriber>& subscriber : *recipients) {
    if (!subscriber->push_send(records.get(subscriber->wire_format()), conflation_key)) {
      continue;  // its drain is scheduled already
    }
    if (chunk.empty()) chunk.reserve(std::min(recipients->size(), kFanOutChunk));
    chunk.push_back(subscriber.get());
    if (chunk.size() == kFanOutChunk) flush();
  }
  flush();
}

}  // namespace scanhub::push
