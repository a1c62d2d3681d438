#include "events/commands.hpp"

#include "events/server_messages.hpp"
#include "progress/tracker.hpp"
#include "scan/scan_service.hpp"
#include "store/store.hpp"

#include <boost/json/object.hpp>

#include <exception>

namespace scanhub::events {

namespace {

struct Answer {
  const ClientMessage& message;
  ScanCommands& commands;
  TokenBucket& resync_limit;
  core::TimePoint now;

  Message refused(const CommandError& e) const {
    return error(type_name(message.command), e.message, e.code, message.request_id, now);
  }

  Message operator()(const Ping&) const { return pong(message.request_id, now); }

  Message operator()(const Resync& r) const {
    if (!resync_limit.try_take()) {
      const auto wait = resync_limit.retry_after();
      return refused({std::string(error_code::kRateLimited),
                      "too many resync requests: try again in " + std::to_string(wait.count()) + " ms"});
    }
    std::vector<core::Library> libraries;
    std::vector<core::ScanSnapshot> scans;
    if (r.scope != ResyncScope::scans) libraries = commands.libraries();
    if (r.scope != ResyncScope::libraries) scans = commands.scans();
    return resync_data(r.scope, libraries, scans, message.request_id, now);
  }

  Message operator()(const StartLibraryScan& s) const {
    auto started = commands.start_library_scan(s.library_id);
    if (!started) return refused(started.error());
    const std::string text = started->already_running
                                 ? "scan " + std::to_string(started->id) + " of library " +
                                       std::to_string(s.library_id) + " is already running"
                                 : "scan " + std::to_string(started->id) + " of library " +
                                       std::to_string(s.library_id) + " started";
    return ack("startLibraryScan", true, text, message.request_id, now,
               {{"scanId", started->id}, {"libraryId", s.library_id},
                {"alreadyRunning", started->already_running}});
  }

  Message operator()(const CancelLibraryScan& c) const {
    auto cancelled = commands.cancel_scan(c.scan_id);
    if (!cancelled) return refused(cancelled.error());
    return ack("cancelLibraryScan", true, "scan " + std::to_string(c.scan_id) + " cancelled",
               message.request_id, now, {{"scanId", c.scan_id}});
  }
};

Message internal_error(std::string_view original_type, const boost::json::value& request_id,
                       std::string_view what, core::TimePoint now) noexcept {
  try {
    return error(original_type, std::string("scanhub could not answer: ") + std::string(what),
                 error_code::kInternal, request_id, now);
  } catch (...) {
    return Message{};  // out of memory: an empty message, which the transport drops
  }
}

}  // namespace

Message error_message(const ClientError& e, core::TimePoint now) {
  return error(e.original_type, e.message, e.code, e.request_id, now);
}

Message handle_command(const ClientMessage& message, ScanCommands& commands, TokenBucket& resync_limit,
                       core::TimePoint now) noexcept {
  try {
    return std::visit(Answer{message, commands, resync_limit, now}, message.command);
  } catch (const std::exception& e) {
    return internal_error(type_name(message.command), message.request_id, e.what(), now);
  } catch (...) {
    return internal_error(type_name(message.command), message.request_id, "unknown error", now);
  }
}

Message handle_client_text(std::string_view text, ScanCommands& commands, TokenBucket& resync_limit,
                           core::TimePoint now) noexcept {
  auto parsed = parse_client_message(text);
  if (!parsed) {
    try {
      return error_message(parsed.error(), now);
    } catch (...) {
      return internal_error({}, nullptr, "out of memory", now);
    }
  }
  return handle_command(*parsed, commands, resync_limit, now);
}

std::vector<core::Library> ServiceCommands::libraries() {
  return store_.read([](store::Connection& c) { return c.libraries.list(); });
}

std::vector<core::ScanSnapshot> ServiceCommands::scans() {
  auto scans = store_.read([&](store::Connection& c) { return c.scans.list(recent_); });
  // A running scan as the tracker has it: its counts move between commits' reads.
  for (auto& scan : scans) {
    if (core::is_terminal(scan.status)) continue;
    if (auto live = tracker_.snapshot(scan.id)) scan = *live;
  }
  return scans;
}

std::expected<ScanCommands::Started, CommandError> ServiceCommands::start_library_scan(core::LibraryId id) {
  const auto library = store_.read([&](store::Connection& c) { return c.libraries.get(id); });
  if (!library) {
    return std::unexpected(CommandError{std::string(error_code::kNotFound), "no library " + std::to_string(id)});
  }
  try {
    const auto started = scans_.start({*library}, core::ScanTrigger::manual);
    return Started{started.id, started.already_running};
  } catch (const scan::ScanConflict& e) {
    return std::unexpected(CommandError{std::string(error_code::kConflict), e.what()});
  }
}

std::expected<void, CommandError> ServiceCommands::cancel_scan(core::ScanId id) {
  if (!scans_.cancel(id)) {
    return std::unexpected(
        CommandError{std::string(error_code::kNotFound), "scan " + std::to_string(id) + " is not running"});
  }
  return {};
}

}  // namespace scanhub::events
