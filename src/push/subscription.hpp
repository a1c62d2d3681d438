#pragma once
// One client's subscription to pushed messages, whatever carries them (the /ws event socket, an
// SSE stream): the inbox any thread sends to and the send pipeline its strand drains into,
// writing through the transport's sink. What an event broadcaster keeps per client:
//
//   auto subscription = std::make_shared<push::Subscription>(strand, kSseFormat, limits, counters);
//   subscription->attach(sink);               // on the strand, once the transport is up
//   push::fan_out<kFormats>(subscriptions, key, serialize);   // any thread, many clients
//   subscription->detach();                   // on the strand, when the transport ended
//
// A client that does not keep up (its outbox past the bounds after conflation) is closed with
// the reason kSlowClientReason and counted (SendCounters::slow_clients_closed); what was queued
// for it is dropped at once, so its memory stays bounded. A subscription
// holds its sink while attached and the sink's owner holds the subscription: detach() breaks
// that cycle and must be called when the transport ends.
//
// SignalR connections (src/signalr/hub_connection.hpp) use the same Inbox and SendPipeline
// directly, because their inbox also carries ordered tasks and their overflow sends a hub Close
// message first.
//
// Threading: the members marked "any thread" are; everything else runs on `strand`. Throws
// only std::bad_alloc.

#include "push/inbox.hpp"
#include "push/record.hpp"
#include "push/send_counters.hpp"
#include "push/send_pipeline.hpp"
#include "push/sink.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <memory>
#include <string_view>

namespace scanhub::push {

/// Why a client that did not keep up was closed (a WebSocket close reason, a log line).
inline constexpr std::string_view kSlowClientReason =
    "the client did not keep up with the messages sent to it";

class Subscription : public std::enable_shared_from_this<Subscription> {
 public:
  /// `wire_format`: the index of its records' format in push::fan_out (e.g. a /ws text frame's
  /// JSON or an SSE event). Open at once: sends queue until attach().
  Subscription(boost::asio::any_io_executor strand, std::size_t wire_format,
               const SendPipeline::Limits& limits, SendCounters& counters);

  // Any thread: push::fan_out's subscriber (fan_out.hpp).
  std::size_t wire_format() const noexcept { return wire_format_; }
  const boost::asio::any_io_executor& executor() const noexcept { return strand_; }
  bool push_send(SharedRecord record, std::string_view conflation_key);
  void dispatch_drain();
  void post_drain();
  /// push_send and a drain: one send from any thread, in call order with the others.
  void post_send(SharedRecord record, std::string_view conflation_key = {});

  // The strand.
  /// Writes through `sink` from now on (what queued meanwhile first).
  void attach(std::shared_ptr<PushSink> sink);
  /// The transport ended: everything queued is dropped, the sink released, later sends dropped.
  void detach() noexcept;
  /// A record of the connection's own (a reply to the client), queued in order with the sends
  /// and written.
  void send(SharedRecord record, std::string_view conflation_key = {});
  /// The sink's pending write ended.
  void on_send_complete(bool ok);
  /// Stops taking sends; what is queued goes out, then `last` (may be null), then the sink
  /// closes with `reason` (static storage).
  void close(SharedRecord last, std::string_view reason);
  /// Drops the transport now (the sink's abort(); its end then detaches).
  void abort();
  /// A write has been in flight for `timeout` or longer at `now`: the client stopped reading.
  /// A close cannot reach such a client, so the owner's timer aborts it (as SignalR's
  /// transport_send_timeout does); the subscription has no timer of its own.
  bool stalled(SendPipeline::Clock::time_point now,
               SendPipeline::Clock::duration timeout) const noexcept {
    return pipeline_.writing() && now - pipeline_.write_started() >= timeout;
  }
  const SendPipeline& pipeline() const noexcept { return pipeline_; }
  /// Closes as a client that did not keep up: what is queued is dropped, the sink closes with
  /// kSlowClientReason once the write in flight ended. The pipeline calls it when the outbox
  /// overflows (and counts it); an owner whose send timeout tripped calls it too (and counts).
  void close_slow_client();

 private:
  void drain();

  boost::asio::any_io_executor strand_;
  std::size_t wire_format_;
  Inbox inbox_;
  SendPipeline pipeline_;
  std::shared_ptr<PushSink> sink_;
};

}  // namespace scanhub::push
