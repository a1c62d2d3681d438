#include "live/sse_session.hpp"

#include "http/authorize.hpp"

#include "events/sse.hpp"
#include "push/event_stream.hpp"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <optional>

namespace scanhub::live {
namespace asio = boost::asio;

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;
constexpr std::string_view kKeepAliveKey = "keep-alive";

// A comment line (ignored by EventSource), conflated with an unsent one.
const push::SharedRecord& keep_alive_record() {
  static const push::SharedRecord record = push::make_record(": keep-alive\n\n");
  return record;
}

std::string response_head(const std::vector<std::pair<std::string, std::string>>& cors_headers) {
  std::string head =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream; charset=utf-8\r\n"
      "Cache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\n"  // proxies must not buffer the stream
      "Connection: close\r\n"      // no length: the body ends when the connection does
      "Server: scanhub\r\n";
  for (const auto& [name, value] : cors_headers) {
    // The CORS policy's own values (cors.hpp): an allowed origin, never the raw header.
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  // A reconnecting EventSource waits `retry` ms (HTML "Server-sent events" 9.2.6).
  head += "\r\nretry: 1000\n\n";
  return head;
}

}  // namespace

SseSession::SseSession(asio::any_io_executor strand, StreamContext& context,
                       http::ConnectionLease lease, const auth::Principal& user)
    : context_(context),
      strand_(std::move(strand)),
      lease_(std::move(lease)),
      subscription_(std::make_shared<push::Subscription>(strand_, kSseFormat,
                                                         context.options.limits,
                                                         context.counters.send)),
      timer_(strand_),
      token_expires_(http::steady_expiry(user)) {}

void SseSession::start(Socket&& socket, StreamContext& context, const StreamParams& params,
                       const std::vector<std::pair<std::string, std::string>>& cors_headers,
                       http::ConnectionLease lease, const auth::Principal& user) {
  auto session =
      std::make_shared<SseSession>(socket.get_executor(), context, std::move(lease), user);
  context.registry.add(session);
  context.counters.accepted.fetch_add(1, kRelaxed);

  // The history and the subscription at one point of the feed's order (the feed appends and
  // delivers under the bus lock): what the history gives ends where the live records begin.
  // A user who is not an admin gets only the job events they may see, live and replayed.
  std::optional<events::EventFilter> filter = params.filter;
  if (auto viewer = viewer_filter(user)) {
    if (!filter) filter.emplace();
    filter->viewer = std::move(viewer->viewer);
  }
  std::vector<events::SharedRecord> replay;
  std::optional<events::TooOld> too_old;
  context.bus.run_exclusive([&] {
    if (params.last_event_id) {
      const auto id = events::parse_last_event_id(*params.last_event_id);
      // An id that is not a number of ours: answered as one the history cannot serve (an id
      // above every sequence given out gets TooOld with the oldest kept).
      auto records = context.history.since(id.value_or(std::numeric_limits<std::uint64_t>::max()),
                                           filter.value_or(events::EventFilter{}));
      if (records) {
        replay = std::move(*records);
      } else {
        too_old = records.error();
      }
    }
    context.broadcaster.add(session->subscription_, std::move(filter));
  });

  std::string head = response_head(cors_headers);
  for (const auto& record : replay) head += events::sse_event(*record);
  if (too_old) {
    const events::Message hint = events::resync_hint(*too_old, core::Clock::now());
    head += events::sse_event(*events::make_record(hint, 0));
  }
  session->next_keep_alive_ = Clock::now() + context.options.keep_alive_interval;
  push::EventStream::start(std::move(socket), std::move(head), session->subscription_,
                           [session] { session->on_closed(); });
  session->schedule();
}

void SseSession::shutdown() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->closed_ || self->closing_) return;
    self->closing_ = true;
    self->closing_since_ = Clock::now();
    self->subscription_->close(nullptr, kShutdownReason);  // what is queued, then the end
    self->schedule();
  });
}

void SseSession::abort_now() {
  asio::post(strand_, [self = shared_from_this()] { self->subscription_->abort(); });
}

void SseSession::on_closed() {
  // The stream ended (the client went away, a close, an abort) and detached the subscription.
  if (closed_) return;
  closed_ = true;
  timer_.cancel();
  context_.broadcaster.remove(subscription_.get());
  context_.registry.remove(this);
  lease_.release();
}

void SseSession::schedule() {
  if (closed_) return;
  const auto& options = context_.options;
  Clock::time_point when =
      closing_ ? closing_since_ + options.close_timeout : std::min(next_keep_alive_, token_expires_);
  if (!closing_ && subscription_->pipeline().writing()) {
    when = std::min(when, subscription_->pipeline().write_started() + options.send_timeout);
  }
  timer_.expires_at(when);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->on_timer();
  });
}

void SseSession::on_timer() {
  if (closed_) return;
  const auto now = Clock::now();
  const auto& options = context_.options;
  if (!closing_ && subscription_->pipeline().mode() != push::SendPipeline::Mode::kOpen) {
    closing_ = true;  // closed as a slow client by its pipeline (the outbox overflowed)
    closing_since_ = now;
  }
  if (closing_) {
    if (now >= closing_since_ + options.close_timeout) {
      subscription_->abort();
      return;
    }
  } else if (now >= token_expires_) {
    // The caller's token expired: the stream ends after what is queued. EventSource's
    // reconnect then meets 401 and stops; a client with a new token starts again.
    spdlog::debug("events: closing an /api/events stream: its access token expired");
    closing_ = true;
    closing_since_ = now;
    subscription_->close(nullptr, kTokenExpiredReason);
  } else if (subscription_->stalled(now, options.send_timeout)) {
    context_.counters.send.slow_clients_closed.fetch_add(1, kRelaxed);
    spdlog::warn("events: closing an /api/events stream: a write did not complete in {} ms",
                 options.send_timeout.count());
    closing_ = true;
    closing_since_ = now;
    subscription_->close_slow_client();
  } else if (now >= next_keep_alive_) {
    subscription_->send(keep_alive_record(), kKeepAliveKey);
    next_keep_alive_ = now + options.keep_alive_interval;
  }
  schedule();
}

}  // namespace scanhub::live
