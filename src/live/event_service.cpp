#include "live/event_service.hpp"

#include "http/json_response.hpp"
#include "live/event_socket.hpp"
#include "live/sse_session.hpp"
#include "live/stream_params.hpp"
#include "push/websocket_handshake.hpp"

#include <boost/beast/http/field.hpp>

#include <fmt/format.h>

#include <atomic>
#include <random>

namespace scanhub::live {
namespace beast_http = boost::beast::http;

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

std::string random_server_id() {
  std::random_device random;
  return fmt::format("scanhub-{:08x}{:08x}", random(), random());
}

http::Response refusal(http::Status status, std::string_view message) {
  return http::error_response(status, message);
}

http::Response method_not_allowed(std::string_view path) {
  http::Response response = refusal(http::Status::method_not_allowed,
                                    fmt::format("{} takes GET only.", path));
  response.set(beast_http::field::allow, "GET");
  return response;
}

// What both endpoints do on the server's stop: refuse new clients, then say goodbye to (or
// drop) the ones they have.
class LiveEndpoint : public http::StreamEndpoint {
 public:
  explicit LiveEndpoint(ConnectionRegistry& registry) : registry_(registry) {}

  void stop() override {
    stopping_.store(true, kRelaxed);
    for (auto& connection : registry_.snapshot()) connection->shutdown();
  }

  void abort_all() override {
    for (auto& connection : registry_.snapshot()) connection->abort_now();
  }

 protected:
  bool stopping() const noexcept { return stopping_.load(kRelaxed); }

 private:
  ConnectionRegistry& registry_;
  std::atomic<bool> stopping_{false};
};

// GET /ws: the WebSocket upgrade.
class SocketEndpoint final : public LiveEndpoint {
 public:
  explicit SocketEndpoint(SocketContext& context)
      : LiveEndpoint(context.registry), context_(context) {}

  std::optional<http::Response> accept(http::StreamRequest&& request,
                                       boost::beast::tcp_stream& stream) override {
    if (request.request.method() != http::Verb::get) return method_not_allowed("/ws");
    auto upgrade = push::websocket_upgrade_response(request.request);
    if (!upgrade) {
      http::Response response =
          refusal(static_cast<http::Status>(upgrade.error().status), upgrade.error().message);
      if (upgrade.error().status == 426) response.set(beast_http::field::sec_websocket_version, "13");
      return response;
    }
    if (stopping()) {
      return refusal(http::Status::service_unavailable, "The server is shutting down.");
    }
    auto socket = std::make_shared<EventSocket>(stream.release_socket(), context_,
                                                std::move(request.lease),
                                                std::move(request.user));
    context_.registry.add(socket);
    context_.counters.accepted.fetch_add(1, kRelaxed);
    socket->run(std::move(*upgrade));
    return std::nullopt;
  }

 private:
  SocketContext& context_;
};

// GET /api/events: the Server-Sent Events stream.
class StreamEndpointImpl final : public LiveEndpoint {
 public:
  explicit StreamEndpointImpl(StreamContext& context)
      : LiveEndpoint(context.registry), context_(context) {}

  std::optional<http::Response> accept(http::StreamRequest&& request,
                                       boost::beast::tcp_stream& stream) override {
    if (request.request.method() != http::Verb::get) return method_not_allowed("/api/events");
    auto params = parse_stream_params(request.query, request.request["Last-Event-ID"]);
    if (!params) return refusal(http::Status::bad_request, params.error());
    if (stopping()) {
      return refusal(http::Status::service_unavailable, "The server is shutting down.");
    }
    SseSession::start(stream.release_socket(), context_, *params, request.cors_headers,
                      std::move(request.lease), request.user);
    return std::nullopt;
  }

 private:
  StreamContext& context_;
};

boost::json::object surface_stats(const SurfaceCounters& counters, std::size_t connections) {
  boost::json::object out;
  out["connections"] = connections;
  out["accepted"] = counters.accepted.load(kRelaxed);
  out["messagesSent"] = counters.send.messages_sent.load();
  out["messagesConflated"] = counters.send.messages_conflated.load(kRelaxed);
  out["slowClientsClosed"] = counters.send.slow_clients_closed.load(kRelaxed);
  return out;
}

}  // namespace

EventService::EventService(progress::EventBus& bus, events::ScanCommands& commands,
                           events::EventFeedOptions feed_options, EventSurfaceOptions options,
                           EventHistoryOptions history)
    : options_(std::move(options)),
      bus_(bus),
      history_(history.max_records, history.max_bytes),
      broadcaster_(std::make_shared<EventBroadcaster>()),
      commands_pool_(std::max(1u, options_.command_threads)) {
  if (options_.server_id.empty()) options_.server_id = random_server_id();
  if (options_.server_version.empty()) options_.server_version = SCANHUB_VERSION;
  socket_context_ = std::make_unique<SocketContext>(SocketContext{
      options_, *broadcaster_, bus_, commands, commands_pool_.get_executor(), socket_counters_,
      sockets_, options_.server_id, options_.server_version});
  stream_context_ = std::make_unique<StreamContext>(
      StreamContext{options_, *broadcaster_, bus_, history_, stream_counters_, streams_});
  socket_endpoint_ = std::make_shared<SocketEndpoint>(*socket_context_);
  stream_endpoint_ = std::make_shared<StreamEndpointImpl>(*stream_context_);
  feed_ = std::make_unique<events::EventFeed>(bus_, history_, std::move(feed_options));
  feed_->add_sink(broadcaster_);
}

EventService::~EventService() {
  feed_.reset();           // nothing more is delivered
  commands_pool_.join();   // commands still running finish (they refer to the contexts)
}

boost::json::object EventService::stats() const {
  boost::json::object ws = surface_stats(socket_counters_, sockets_.size());
  ws["clientsTimedOut"] = socket_counters_.clients_timed_out.load(kRelaxed);
  ws["clientMessages"] = socket_counters_.commands.load(kRelaxed);
  boost::json::object history;
  history["records"] = history_.size();
  history["bytes"] = history_.bytes();
  history["lastEventId"] = history_.last_sequence();
  return {{"ws", std::move(ws)},
          {"sse", surface_stats(stream_counters_, streams_.size())},
          {"history", std::move(history)}};
}

void EventService::publish(const events::Message& message) {
  bus_.run_exclusive([&] {
    events::SharedRecord record = events::make_record(message, history_.next_sequence());
    history_.append(record);
    broadcaster_->deliver(record);
  });
}

void add_event_routes(http::Router& router, EventService& service) {
  router.add_stream("/ws", service.socket_endpoint());
  router.add_stream("/api/events", service.stream_endpoint());
  router.add(http::Verb::get, "/api/events/stats",
             [&service](const http::Request&, const http::PathParams&) {
               return http::json_response(http::Status::ok, service.stats());
             });
}

}  // namespace scanhub::live
