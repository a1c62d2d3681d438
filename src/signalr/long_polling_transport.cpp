// The Long Polling transport (TransportProtocols.md "Long Polling"): each GET takes what the
// connection has queued (one batch of whole records) or waits for it; client-to-server traffic
// comes by POST (http_transport.hpp); DELETE ends the connection.
//
// Mapping onto Transport: send() is the one write in flight. With a poll waiting it is answered
// at once; otherwise the batch is held until the next poll, and HubConnection's outbox (bounds,
// conflation) keeps filling meanwhile exactly as behind a slow WebSocket. The send completes
// when the batch is handed to a poll's response.
#include "signalr/http_transports.hpp"
#include "signalr/hub_connection.hpp"
#include "signalr/hub_endpoint.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

namespace scanhub::signalr {
namespace asio = boost::asio;

namespace {

constexpr std::string_view kPollContentType = "application/octet-stream";

HttpReply no_content() { return {204, {}, {}}; }

class LongPollingTransport final : public HttpTransport {
 public:
  LongPollingTransport(HubEndpoint& endpoint, std::string token, asio::any_io_executor strand)
      : HttpTransport(endpoint, TransportKind::kLongPolling, std::move(token), strand),
        timer_(strand) {}

  /// The first poll: start the connection, answer empty at once.
  void run(CallerContext caller, ReplyHandler first_poll) {
    start_connection(std::move(caller));
    first_poll(HttpReply{200, {}, std::string(kPollContentType)});
  }

  void on_poll(ReplyHandler reply) override {
    if (finished() || closed_) {
      reply(no_content());
      return;
    }
    if (waiting_) {
      // TransportProtocols.md: a new poll replaces the outstanding one, which ends with 204.
      timer_.cancel();
      std::exchange(waiting_, nullptr)(no_content());
    }
    if (!held_.empty()) {
      deliver(std::move(reply));
      return;
    }
    waiting_ = std::move(reply);
    timer_.expires_after(endpoint_.options().long_poll_timeout);
    timer_.async_wait([self = std::static_pointer_cast<LongPollingTransport>(shared_from_this())](
                          boost::system::error_code ec) {
      if (!ec) self->on_poll_timeout();
    });
  }

  void on_delete(ReplyHandler reply) override {
    reply(HttpReply{202, {}, {}});
    end();
  }

  push::SendStatus send(const std::vector<push::SharedRecord>& records) override {
    if (finished() || closed_) return push::SendStatus::kPending;
    held_ = records;  // shares the immutable records; HubConnection keeps its copy alive too
    if (waiting_) {
      timer_.cancel();
      deliver(std::exchange(waiting_, nullptr));
    }
    return push::SendStatus::kPending;
  }

  void close(std::string_view /*reason*/) override { end(); }
  void abort() override { end(); }

 private:
  void deliver(ReplyHandler reply) {
    std::size_t size = 0;
    for (const auto& record : held_) size += record->size();
    std::string body;
    body.reserve(size);
    for (const auto& record : held_) body += *record;
    held_.clear();
    reply(HttpReply{200, std::move(body), std::string(kPollContentType)});
    // Reported on the next turn: HubConnection may be inside send() right now.
    asio::post(strand_, [self = shared_from_this(), connection = connection_] {
      if (connection) connection->on_send_complete(true);
    });
  }

  void on_poll_timeout() {
    if (auto reply = std::exchange(waiting_, nullptr)) {
      reply(HttpReply{200, {}, std::string(kPollContentType)});  // "poll again"
    }
  }

  // The connection is over: a waiting poll learns it with 204, and so do later polls (the
  // endpoint remembers the token).
  void end() {
    if (closed_) return;
    closed_ = true;
    held_.clear();
    timer_.cancel();
    if (auto reply = std::exchange(waiting_, nullptr)) reply(no_content());
    post_finish();
  }

  asio::steady_timer timer_;
  ReplyHandler waiting_;              // the outstanding poll, if any
  std::vector<push::SharedRecord> held_;    // the send in flight, waiting for a poll
  bool closed_ = false;
};

}  // namespace

void long_poll(const HubRoute& route, TransportRequest params, asio::any_io_executor io,
               ReplyHandler reply) {
  HubEndpoint& endpoint = *route.endpoint;
  if (!params.id) {
    reply(transport_error(400, "Connection ID required"));
    return;
  }
  auto existing = endpoint.find_http_transport(*params.id);
  if (existing) {
    auto transport = std::move(*existing);
    if (transport->kind() != TransportKind::kLongPolling) {
      reply(transport_error(400, "Cannot change transports mid-connection."));
      return;
    }
    asio::post(transport->executor(), [transport, reply = std::move(reply)]() mutable {
      transport->on_poll(std::move(reply));
    });
    return;
  }
  switch (existing.error()) {
    case HubEndpoint::FindError::kClosed:
      reply(no_content());
      return;
    case HubEndpoint::FindError::kWebSocket:
      reply(transport_error(400, "Cannot change transports mid-connection."));
      return;
    case HubEndpoint::FindError::kNotFound:
    case HubEndpoint::FindError::kNotReady:
      break;  // a negotiated connection's first poll claims it below
  }
  auto claim = endpoint.claim(params.id, TransportKind::kLongPolling);
  if (!claim) {
    switch (claim.error()) {
      case HubEndpoint::ClaimError::kNotFound:
        reply(transport_error(404, "No Connection with that ID."));
        return;
      case HubEndpoint::ClaimError::kConflict:
        // Claimed by a transport that is still starting (a racing first poll or SSE request).
        reply(transport_error(409, "The connection already has a transport."));
        return;
      case HubEndpoint::ClaimError::kStopping:
        reply(transport_error(503, "The server is shutting down."));
        return;
    }
  }
  auto strand = asio::make_strand(io);
  auto transport = std::make_shared<LongPollingTransport>(endpoint, claim->token, strand);
  CallerContext caller{std::move(claim->connection_id), std::move(params.access_token),
                       std::move(params.user)};
  asio::post(strand, [transport, caller = std::move(caller), reply = std::move(reply)]() mutable {
    transport->run(std::move(caller), std::move(reply));
  });
}

}  // namespace scanhub::signalr
