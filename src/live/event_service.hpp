#pragma once
// Metarr's event surfaces of one `scanhub serve` (seeds 002 and 003; README "Event socket and
// stream"): the EventFeed over the EventBus with its EventHistory, the broadcaster that fans
// each record out to the clients, the pool that runs their commands, and the two stream
// endpoints:
//   GET /ws              the event socket (event_socket.hpp)
//   GET /api/events      the event stream, Server-Sent Events (sse_session.hpp)
//   GET /api/events/stats  counters of both (JSON)
//
// Usage (src/app):
//   events::ServiceCommands commands(store, tracker, scans);
//   live::EventService service(bus, commands, {.library_lookup = events::store_library_lookup(store)});
//   live::add_event_routes(router, service);   // before the server starts
//   ... the server runs; Server::stop() closes the connections (StreamEndpoint::stop) ...
// Destroy the service after the io_context's handlers are done (like a HubHost) and before the
// bus and `commands`.
//
// Threading: construct and add routes before serving; stats() from any thread.

#include "events/commands.hpp"
#include "events/feed.hpp"
#include "events/history.hpp"
#include "http/router.hpp"
#include "live/broadcaster.hpp"
#include "live/surface.hpp"
#include "progress/event_bus.hpp"

#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>

#include <memory>

namespace scanhub::live {

struct SocketContext;
struct StreamContext;

struct EventHistoryOptions {
  std::size_t max_records = events::EventHistory::kDefaultRecords;
  std::size_t max_bytes = events::EventHistory::kDefaultBytes;
};

class EventService {
 public:
  /// Subscribes the feed to `bus`. `commands` answers the /ws clients' resync and scan
  /// commands (on the service's command pool). Throws std::system_error when the pool's
  /// threads cannot start.
  EventService(progress::EventBus& bus, events::ScanCommands& commands,
               events::EventFeedOptions feed_options = {}, EventSurfaceOptions options = {},
               EventHistoryOptions history = {});
  /// Unsubscribes the feed, then waits for commands still running.
  ~EventService();
  EventService(const EventService&) = delete;
  EventService& operator=(const EventService&) = delete;

  std::shared_ptr<http::StreamEndpoint> socket_endpoint() const { return socket_endpoint_; }
  std::shared_ptr<http::StreamEndpoint> stream_endpoint() const { return stream_endpoint_; }

  /// {ws: {connections, accepted, messagesSent, messagesConflated, slowClientsClosed,
  ///  clientsTimedOut, clientMessages}, sse: {connections, accepted, messagesSent,
  ///  messagesConflated, slowClientsClosed}, history: {records, bytes, lastEventId}}.
  boost::json::object stats() const;

  /// Sends `message` (one of the caller's, e.g. a benchmark's) to the clients as the feed sends
  /// its own: the next sequence, the history, every /ws socket and every stream it matches, in
  /// the one order of the bus. Any thread but a bus listener's. Throws std::bad_alloc.
  void publish(const events::Message& message);

  const events::EventHistory& history() const noexcept { return history_; }
  const EventSurfaceOptions& options() const noexcept { return options_; }

 private:
  EventSurfaceOptions options_;
  progress::EventBus& bus_;
  events::EventHistory history_;
  std::shared_ptr<EventBroadcaster> broadcaster_;
  SurfaceCounters socket_counters_;
  SurfaceCounters stream_counters_;
  ConnectionRegistry sockets_;
  ConnectionRegistry streams_;
  boost::asio::thread_pool commands_pool_;
  std::unique_ptr<SocketContext> socket_context_;
  std::unique_ptr<StreamContext> stream_context_;
  std::shared_ptr<http::StreamEndpoint> socket_endpoint_;
  std::shared_ptr<http::StreamEndpoint> stream_endpoint_;
  std::unique_ptr<events::EventFeed> feed_;  // last: destroyed first, so nothing is delivered
};

/// Registers /ws and /api/events as stream paths of `router`, and GET /api/events/stats.
/// `service` must outlive the router's use.
void add_event_routes(http::Router& router, EventService& service);

}  // namespace scanhub::live
