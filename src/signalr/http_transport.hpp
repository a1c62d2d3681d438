#pragma once
// The half-transports of TransportProtocols.md that ride on plain HTTP requests: the
// server-to-client half (Server-Sent Events or Long Polling, the subclasses) paired with the
// client-to-server "HTTP Post" half implemented here. Internal to src/signalr; the HTTP layer
// reaches it through http_transports.hpp.
//
// Source: TransportProtocols.md "HTTP Post (Client-to-Server only)": the body is one or more
// complete records; 200 once processed; a second POST while one is outstanding is 409 (the
// connection stays open); a terminated connection is 404.
//
// Threading: owned by shared_ptr (the HubEndpoint's token map and pending operations); every
// member runs on `executor()` (the connection's strand). Replies go out through ReplyHandler,
// which the HTTP layer makes safe to call from that strand. No exception escapes.

#include "signalr/hub.hpp"
#include "signalr/hub_host.hpp"
#include "signalr/transport.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <string>

namespace scanhub::signalr {

class HubConnection;
class HubEndpoint;

/// Answers one HTTP request. Called exactly once, from the connection's strand.
using ReplyHandler = std::function<void(HttpReply)>;

class HttpTransport : public Transport, public std::enable_shared_from_this<HttpTransport> {
 public:
  HttpTransport(HubEndpoint& endpoint, TransportKind kind, std::string token,
                boost::asio::any_io_executor strand);
  ~HttpTransport() override;

  TransportKind kind() const noexcept { return kind_; }
  const boost::asio::any_io_executor& executor() const noexcept { return strand_; }

  /// POST {hub}?id=: hands `body` to the connection. Replies 200 when it was processed (later,
  /// when the connection applies back-pressure), 409 while another POST is held, 404 when the
  /// connection has ended.
  void on_post(std::string body, ReplyHandler reply);
  /// GET {hub}?id= without an event stream. Long Polling overrides; SSE replies 400.
  virtual void on_poll(ReplyHandler reply);
  /// DELETE {hub}?id=. Long Polling overrides; SSE replies 400.
  virtual void on_delete(ReplyHandler reply);

  void resume_receive() override;

 protected:
  /// Creates the HubConnection and starts it with this transport (registers the token first,
  /// so a POST racing the start finds the transport).
  void start_connection(CallerContext caller);
  /// The transport ended: answers a held POST, tells the connection (once). Posted by
  /// subclasses so HubConnection never sees its transport end inside its own call.
  void finish();
  void post_finish();
  bool finished() const noexcept { return finished_; }

  HubEndpoint& endpoint_;
  const std::string token_;
  boost::asio::any_io_executor strand_;
  std::shared_ptr<HubConnection> connection_;

 private:
  const TransportKind kind_;
  ReplyHandler held_post_;  // a POST waiting for resume_receive (back-pressure)
  bool finished_ = false;
};

/// A 4xx/5xx reply with `{"error": message}`.
HttpReply transport_error(unsigned status, std::string_view message);

}  // namespace scanhub::signalr
