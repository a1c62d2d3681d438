#pragma once
// One client of `GET /api/events`: the same messages as the /ws socket as Server-Sent Events
// (HTML Living Standard, "Server-sent events"): `id:` = the record's per-process sequence,
// `event:` = its type, `data:` = its JSON (events/sse.hpp), written by a push::EventStream
// behind a push::Subscription (bounded outbox, progress conflated per key, lifecycle never
// dropped).
//
// Resume: with a Last-Event-ID (stream_params.hpp) the records after it that the filter
// matches come first, from the EventHistory, in the response's head; when the history no
// longer reaches back (or the id is not one of this process), a `resync` hint event (no id)
// comes instead. The history is read and the stream subscribed at one point of the feed's
// order (under the bus lock), so a resumed stream neither misses nor repeats a record.
//
// Deadlines, one timer: a comment line (": keep-alive") every keep_alive_interval; a write
// pending for send_timeout closes the stream as a slow client (counted); the caller's token
// expiring ends the stream (authentication on); a close that has not ended after close_timeout
// drops the socket. The client's going away ends it.
//
// Threading: start() on the socket's strand (the HTTP session's, which becomes the stream's);
// shutdown() and abort_now() from any thread; the rest on the strand. No exception escapes
// (std::bad_alloc aside).

#include "events/history.hpp"
#include "http/stream_route.hpp"
#include "live/broadcaster.hpp"
#include "live/stream_params.hpp"
#include "live/surface.hpp"
#include "progress/event_bus.hpp"
#include "push/subscription.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace scanhub::live {

/// What every stream refers to; owned by EventService, outlives every stream.
struct StreamContext {
  const EventSurfaceOptions& options;
  EventBroadcaster& broadcaster;
  progress::EventBus& bus;
  events::EventHistory& history;
  SurfaceCounters& counters;
  ConnectionRegistry& registry;
};

class SseSession final : public LiveConnection, public std::enable_shared_from_this<SseSession> {
 public:
  using Socket = boost::asio::ip::tcp::socket;

  /// Writes the 200 response (with `cors_headers`), the resumed records or the resync hint,
  /// then every record the feed sends that `params` wants, until the client goes away or the
  /// server stops.
  static void start(Socket&& socket, StreamContext& context, const StreamParams& params,
                    const std::vector<std::pair<std::string, std::string>>& cors_headers,
                    http::ConnectionLease lease,
                    const auth::Principal& user = auth::anonymous_principal());

  SseSession(boost::asio::any_io_executor strand, StreamContext& context,
             http::ConnectionLease lease, const auth::Principal& user);

  // LiveConnection: any thread.
  void shutdown() override;
  void abort_now() override;

 private:
  using Clock = std::chrono::steady_clock;

  void on_closed();
  void schedule();
  void on_timer();

  StreamContext& context_;
  boost::asio::any_io_executor strand_;
  http::ConnectionLease lease_;
  std::shared_ptr<push::Subscription> subscription_;
  boost::asio::steady_timer timer_;
  const Clock::time_point token_expires_;  // the caller's token expiry (max: never)
  Clock::time_point next_keep_alive_{};
  Clock::time_point closing_since_{};
  bool closing_ = false;
  bool closed_ = false;
};

}  // namespace scanhub::live
