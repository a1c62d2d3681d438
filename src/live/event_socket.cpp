#include "live/event_socket.hpp"

#include "http/authorize.hpp"

#include "events/server_messages.hpp"
#include "push/websocket_frame.hpp"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <variant>

namespace scanhub::live {
namespace asio = boost::asio;

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
}  // namespace

EventSocket::EventSocket(Socket&& socket, SocketContext& context, http::ConnectionLease lease,
                         auth::Principal user)
    : push::WebSocket(std::move(socket), events::kMaxClientMessage),
      context_(context),
      lease_(std::move(lease)),
      user_(std::move(user)),
      token_expires_(http::steady_expiry(user_)),
      subscription_(std::make_shared<push::Subscription>(push::WebSocket::get_executor(),
                                                         kWebSocketFormat,
                                                         context.options.limits,
                                                         context.counters.send)),
      timer_(push::WebSocket::get_executor()),
      resync_limit_(events::kResyncBurst, events::kResyncPerSecond) {}

EventSocket::~EventSocket() = default;

std::shared_ptr<EventSocket> EventSocket::self() {
  return std::static_pointer_cast<EventSocket>(shared_from_this());
}

void EventSocket::run(std::string upgrade_response) { start(std::move(upgrade_response)); }

// ---- Any thread -------------------------------------------------------------------------------

void EventSocket::shutdown() {
  asio::post(push::WebSocket::get_executor(), [self = self()] {
    if (self->closed_) return;
    if (!self->opened_) {
      self->push::WebSocket::abort();  // nothing to say goodbye on yet
      return;
    }
    self->begin_close(kGoingAway, kShutdownReason);
  });
}

void EventSocket::abort_now() {
  asio::post(push::WebSocket::get_executor(), [self = self()] { self->push::WebSocket::abort(); });
}

// ---- The WebSocket's hooks --------------------------------------------------------------------

void EventSocket::on_websocket_open() {
  opened_ = true;
  const auto now = Clock::now();
  last_receive_ = now;
  next_ping_ = now + context_.options.ping_interval;
  // The PushSink of this object, sharing its ownership.
  subscription_->attach(std::shared_ptr<push::PushSink>(self(), static_cast<push::PushSink*>(this)));
  // The welcome and the joining at one point of the feed's order (it delivers under the bus
  // lock): no record comes before the welcome, and none published after a client read the
  // welcome is missed. (The welcome may leave at once, on the idle fast path: joining after
  // the lock was let go let a message published in between pass this socket by.)
  context_.bus.run_exclusive([&] {
    reply(events::welcome(context_.server_id, context_.server_version, core::Clock::now()));
    context_.broadcaster.add(subscription_, viewer_filter(user_));
  });
  schedule();
}

bool EventSocket::on_websocket_data(std::string_view bytes, bool text, bool end) {
  last_receive_ = Clock::now();
  if (!text) {
    receiving_binary_ = true;  // not buffered: it is refused whole
  } else {
    message_.append(bytes);  // at most kMaxClientMessage: the reader closes with 1009 beyond
  }
  if (!end) return true;
  pending_.push_back(ClientText{std::move(message_), receiving_binary_});
  message_.clear();
  receiving_binary_ = false;
  pump();
  return !busy_;  // read on only once the answers are queued
}

void EventSocket::on_websocket_sent() { subscription_->on_send_complete(true); }

void EventSocket::on_websocket_pong() { last_receive_ = Clock::now(); }

void EventSocket::on_websocket_closed() {
  if (closed_) return;
  closed_ = true;
  timer_.cancel();
  context_.broadcaster.remove(subscription_.get());
  subscription_->detach();  // breaks the subscription <-> socket cycle
  pending_.clear();
  std::string().swap(message_);
  context_.registry.remove(this);
  lease_.release();
}

// ---- push::PushSink ---------------------------------------------------------------------------

push::SendStatus EventSocket::send(const std::vector<push::SharedRecord>& frames) {
  const push::SendStatus status = send_frames(frames);
  if (status == push::SendStatus::kPending && !closed_) {
    // The socket is full: check on it when the send timeout is due (the timer is not moved
    // for writes that leave at once, the common case).
    arm_timer(Clock::now() + context_.options.send_timeout);
  }
  return status;
}

void EventSocket::close(std::string_view reason) {
  // The pipeline wrote what it had to and asks for the close: a slow client's (it overflowed),
  // or the one begin_close() asked for.
  const std::uint16_t code = reason == push::kSlowClientReason ? kPolicyViolation : close_code_;
  if (!closing_) {
    closing_ = true;
    closing_since_ = Clock::now();
    arm_timer(closing_since_ + context_.options.close_timeout);
  }
  push::WebSocket::close(code, reason);
}

void EventSocket::abort() { push::WebSocket::abort(); }

// ---- Client messages --------------------------------------------------------------------------

void EventSocket::reply(const events::Message& message) {
  if (message.type.empty()) return;  // out of memory while building it
  subscription_->send(push::make_record(push::websocket_frame(events::serialize(message))));
}

void EventSocket::pump() {
  while (!busy_ && !closing_ && !closed_ && !pending_.empty()) {
    ClientText item = std::move(pending_.front());
    pending_.pop_front();
    context_.counters.commands.fetch_add(1, kRelaxed);
    const core::TimePoint now = core::Clock::now();
    if (item.binary) {
      reply(events::error({}, "scanhub reads JSON text messages; a binary message is not read",
                          events::error_code::kBinary, nullptr, now));
      continue;
    }
    auto parsed = events::parse_client_message(item.text);
    if (!parsed) {
      reply(events::error_message(parsed.error(), now));
      continue;
    }
    // Starting and cancelling scans is the admin's (issue 16's roles).
    const bool scan_command = std::holds_alternative<events::StartLibraryScan>(parsed->command) ||
                              std::holds_alternative<events::CancelLibraryScan>(parsed->command);
    if (scan_command && !user_.admin) {
      reply(events::error(events::type_name(parsed->command), "This requires the admin role.",
                          events::error_code::kForbidden, parsed->request_id, now));
      continue;
    }
    // What needs no database is answered here: a ping, and a resync the limit refuses (its
    // RATE_LIMITED error is all a flood gets).
    const bool ping = std::holds_alternative<events::Ping>(parsed->command);
    const bool limited = std::holds_alternative<events::Resync>(parsed->command) &&
                         resync_limit_.retry_after().count() > 0;
    if (ping || limited) {
      reply(events::handle_command(*parsed, context_.commands, resync_limit_, now));
      continue;
    }
    // The rest reads or writes the database: on the command pool. This socket's bucket is
    // touched there and nowhere else until the answer is back (busy_).
    busy_ = true;
    asio::post(context_.command_pool,
               [self = self(), strand = push::WebSocket::get_executor(),
                message = std::move(*parsed)]() mutable {
                 auto answer = events::handle_command(message, self->context_.commands,
                                                      self->resync_limit_, core::Clock::now());
                 asio::post(strand, [self = std::move(self), answer = std::move(answer)] {
                   self->on_command_done(answer);
                 });
               });
  }
}

void EventSocket::on_command_done(const events::Message& answer) {
  busy_ = false;
  if (closed_) return;
  reply(answer);
  pump();
  if (!busy_) resume_reading();
}

// ---- Closing and deadlines --------------------------------------------------------------------

void EventSocket::begin_close(std::uint16_t code, std::string_view reason) {
  if (closing_ || closed_) return;
  closing_ = true;
  close_code_ = code;
  closing_since_ = Clock::now();
  arm_timer(closing_since_ + context_.options.close_timeout);
  subscription_->close(nullptr, reason);  // what is queued, then close(reason) above
}

void EventSocket::arm_timer(Clock::time_point when) {
  if (closed_ || when >= timer_due_) return;  // the wait armed already comes first
  timer_due_ = when;
  timer_.expires_at(when);  // cancels the previous wait, whose handler sees operation_aborted
  timer_.async_wait([self = self()](boost::system::error_code ec) {
    if (!ec) self->on_timer();
  });
}

void EventSocket::schedule() {
  timer_due_ = Clock::time_point::max();
  const auto& options = context_.options;
  if (closing_) {
    arm_timer(closing_since_ + options.close_timeout);
    return;
  }
  Clock::time_point when = std::min(next_ping_, last_receive_ + options.ping_interval +
                                                    options.client_timeout_grace);
  when = std::min(when, token_expires_);
  if (subscription_->pipeline().writing()) {
    when = std::min(when, subscription_->pipeline().write_started() + options.send_timeout);
  }
  arm_timer(when);
}

void EventSocket::on_timer() {
  if (closed_) return;
  const auto now = Clock::now();
  const auto& options = context_.options;
  if (!closing_ && subscription_->pipeline().mode() != push::SendPipeline::Mode::kOpen) {
    // The pipeline closed it as a slow client (its outbox overflowed) while a write was stuck:
    // the close cannot go out before that write; give it the close timeout.
    closing_ = true;
    closing_since_ = now;
  }
  if (closing_) {
    if (now >= closing_since_ + options.close_timeout) {
      spdlog::debug("events: /ws client did not finish closing in {} ms; dropped",
                    options.close_timeout.count());
      push::WebSocket::abort();
      return;
    }
  } else if (now >= token_expires_) {
    spdlog::debug("events: closing a /ws client: its access token expired");
    begin_close(kPolicyViolation, kTokenExpiredReason);
    return;  // begin_close armed the timer
  } else if (subscription_->stalled(now, options.send_timeout)) {
    // It took nothing for send_timeout: a client that stopped reading (SignalR's
    // TransportSendTimeout). Its queue is dropped; the close follows what is in flight.
    context_.counters.send.slow_clients_closed.fetch_add(1, kRelaxed);
    spdlog::warn("events: closing a /ws client: a write did not complete in {} ms",
                 options.send_timeout.count());
    closing_ = true;
    closing_since_ = now;
    subscription_->close_slow_client();
  } else if (now >= last_receive_ + options.ping_interval + options.client_timeout_grace) {
    context_.counters.clients_timed_out.fetch_add(1, kRelaxed);
    spdlog::debug("events: closing a silent /ws client");
    begin_close(kPolicyViolation, kSilentReason);
    return;  // begin_close armed the timer
  } else if (now >= next_ping_) {
    send_ping();
    next_ping_ = now + options.ping_interval;
  }
  schedule();
}

}  // namespace scanhub::live
