#pragma once
// Answers a /ws client's message (events/client_message.hpp): ping -> pong, resync ->
// resyncData (rate-limited per connection), startLibraryScan / cancelLibraryScan -> ack, and
// anything refused -> error. The transport sends the one Message returned to that client only.
//
// Threads: handle_client_text and handle_command call ScanCommands, which reads the database and
// (start, cancel) waits for a write of milliseconds: call them off the network threads (post to
// a blocking pool, answer on the connection's strand), never from the Store's writer thread.
// The TokenBucket is the connection's: one call at a time per connection. Never throw: a
// command's exception becomes an INTERNAL_ERROR error message.

#include "core/library.hpp"
#include "core/scan.hpp"
#include "events/client_message.hpp"
#include "events/message.hpp"
#include "events/rate_limiter.hpp"

#include <expected>
#include <string>
#include <vector>

namespace scanhub::scan {
class ScanService;
}
namespace scanhub::store {
class Store;
}
namespace scanhub::progress {
class ProgressTracker;
}

namespace scanhub::events {

/// Why a command was refused: an error_code and a message for people.
struct CommandError {
  std::string code;
  std::string message;
};

/// What the socket may ask of scanhub. An interface, so the protocol is tested without scans.
class ScanCommands {
 public:
  virtual ~ScanCommands() = default;

  struct Started {
    core::ScanId id = 0;
    bool already_running = false;  ///< a scan of this library was running: its id
  };

  /// Every library.
  virtual std::vector<core::Library> libraries() = 0;
  /// The running scans and the most recent ended ones, newest first.
  virtual std::vector<core::ScanSnapshot> scans() = 0;
  /// NOT_FOUND for an unknown library, CONFLICT when another scan holds it.
  virtual std::expected<Started, CommandError> start_library_scan(core::LibraryId id) = 0;
  /// NOT_FOUND when scan `id` is not running.
  virtual std::expected<void, CommandError> cancel_scan(core::ScanId id) = 0;
};

/// The answer to `message`. `resync_limit` is the connection's bucket (kResyncBurst,
/// kResyncPerSecond): a resync without a token gets RATE_LIMITED with the wait in its text.
Message handle_command(const ClientMessage& message, ScanCommands& commands, TokenBucket& resync_limit,
                       core::TimePoint now) noexcept;

/// Parses `text` and answers it (an error message for what parse_client_message refuses).
Message handle_client_text(std::string_view text, ScanCommands& commands, TokenBucket& resync_limit,
                           core::TimePoint now) noexcept;

/// The error message for a refused client message.
Message error_message(const ClientError& error, core::TimePoint now);

/// ScanCommands over scanhub's services: libraries and scans from the store (running scans
/// as the tracker has them now, with their live counts), scans started with trigger manual.
class ServiceCommands final : public ScanCommands {
 public:
  /// Every argument must outlive this. `recent` = how many scans resync lists at most.
  ServiceCommands(store::Store& store, progress::ProgressTracker& tracker, scan::ScanService& scans,
                  int recent = 20) noexcept
      : store_(store), tracker_(tracker), scans_(scans), recent_(recent) {}

  std::vector<core::Library> libraries() override;
  std::vector<core::ScanSnapshot> scans() override;
  std::expected<Started, CommandError> start_library_scan(core::LibraryId id) override;
  std::expected<void, CommandError> cancel_scan(core::ScanId id) override;

 private:
  store::Store& store_;
  progress::ProgressTracker& tracker_;
  scan::ScanService& scans_;
  int recent_;
};

}  // namespace scanhub::events
