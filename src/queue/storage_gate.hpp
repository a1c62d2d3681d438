#pragma once
// What the queue does while its database cannot be written (a full disk, an I/O error, a file
// that became read-only) or is found damaged: the state, the backoff and what gets logged.
// A pure state machine: every call takes the time, so tests drive it with a clock of their own.
//
// - A transient fault (sqlite::transient) pauses: no claims, one retry after `base`, each
//   failed retry doubling the wait up to `max`. Faults of writes already under way before the
//   retry was due do not lengthen it. The first write that succeeds once the retry is due
//   resumes (one that was under way before may get through a full disk by luck).
// - A fault within `max` of the last resumption continues the same streak (its wait keeps
//   doubling), so storage that fails every other write cannot make the queue flap quickly.
// - Damage (SQLITE_CORRUPT, SQLITE_NOTADB) is remembered until the process ends: waiting does
//   not mend a file. It does not pause the queue; the jobs that meet it fail (queue.hpp).
// - Log lines: one per change of state (paused, resumed, damaged), and while paused one
//   reminder every `reminder` (reminder_due), never one per failed write.
//
// Not thread-safe: the Queue guards it with its mutex.

#include "core/time.hpp"
#include "lib/sqlite/error.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace scanhub::queue {

struct StorageBackoff {
  std::chrono::milliseconds base{1000};      ///< wait before the first retry
  std::chrono::milliseconds max{60000};      ///< the wait never exceeds this
  std::chrono::milliseconds reminder{60000}; ///< while paused, one reminder line this often
};

/// The queue's storage state as /healthz and the dashboard show it.
struct StorageStatus {
  enum class State {
    ok,       ///< writes succeed
    paused,   ///< writes fail for a transient fault; retried with backoff
    damaged,  ///< the file was found damaged (sticky; restart after restoring a backup)
  };
  State state = State::ok;
  std::string reason;              ///< one line naming the database and the fault; empty when ok
  core::TimePoint since{};         ///< when this state began (ok: epoch when never faulted)
  std::optional<core::TimePoint> retry_at;  ///< paused: when the next retry is due
};

std::string_view to_string(StorageStatus::State state) noexcept;

class StorageGate {
 public:
  enum class Change {
    none,          ///< nothing to report
    paused,        ///< writes started failing: log it, stop claiming
    retry_failed,  ///< a retry failed: the wait doubled (retry_at moved); not logged
    resumed,       ///< a write succeeded again: log it, claim again
    damaged,       ///< damage found for the first time: log it
  };

  explicit StorageGate(StorageBackoff backoff = {}) noexcept : backoff_(backoff) {}

  /// A write failed at `now` for `fault` (not Fault::none), `reason` in words.
  Change on_fault(sqlite::Fault fault, const std::string& reason, core::TimePoint now);
  /// A write succeeded at `now` (ignored while paused before retry_at()).
  Change on_success(core::TimePoint now);

  bool paused() const noexcept { return paused_; }
  bool damaged() const noexcept { return damaged_.has_value(); }
  /// When paused: when the next retry is due.
  core::TimePoint retry_at() const noexcept { return retry_at_; }
  /// The wait that preceded retry_at() (0 when not paused).
  std::chrono::milliseconds wait() const noexcept { return paused_ ? wait_ : std::chrono::milliseconds(0); }
  /// Consecutive failures of this streak (the first pause is 1).
  int streak() const noexcept { return streak_; }
  /// True (once) when paused and `reminder` has passed since the last line about it.
  bool reminder_due(core::TimePoint now) noexcept;

  StorageStatus status() const;

 private:
  std::chrono::milliseconds delay(int streak) const noexcept;

  StorageBackoff backoff_;
  bool paused_ = false;
  std::string reason_;
  core::TimePoint since_{};
  core::TimePoint retry_at_{};
  core::TimePoint last_line_{};
  std::chrono::milliseconds wait_{0};
  int streak_ = 0;
  std::optional<core::TimePoint> resumed_at_;
  struct Damage {
    std::string reason;
    core::TimePoint since;
  };
  std::optional<Damage> damaged_;
};

}  // namespace scanhub::queue
