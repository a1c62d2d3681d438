#include "queue/storage_gate.hpp"

#include "queue/retry.hpp"

namespace scanhub::queue {

std::string_view to_string(StorageStatus::State state) noexcept {
  switch (state) {
    case StorageStatus::State::ok: return "ok";
    case StorageStatus::State::paused: return "paused";
    case StorageStatus::State::damaged: return "damaged";
  }
  return "ok";
}

std::chrono::milliseconds StorageGate::delay(int streak) const noexcept {
  return RetryPolicy{backoff_.base, backoff_.max, 0.0}.delay(streak, 0.0);
}

StorageGate::Change StorageGate::on_fault(sqlite::Fault fault, const std::string& reason,
                                          core::TimePoint now) {
  if (fault == sqlite::Fault::none) return Change::none;
  if (fault == sqlite::Fault::corrupt) {
    if (damaged_) return Change::none;
    damaged_ = Damage{reason, now};
    return Change::damaged;
  }
  if (paused_) {
    reason_ = reason;
    // A write that was under way when the pause began fails too; only a retry (due now or
    // later) lengthens the wait.
    if (now < retry_at_) return Change::none;
    ++streak_;
    wait_ = delay(streak_);
    retry_at_ = now + wait_;
    return Change::retry_failed;
  }
  const bool same_streak = resumed_at_ && now - *resumed_at_ < backoff_.max;
  streak_ = same_streak ? streak_ + 1 : 1;
  paused_ = true;
  reason_ = reason;
  since_ = now;
  last_line_ = now;
  wait_ = delay(streak_);
  retry_at_ = now + wait_;
  return Change::paused;
}

StorageGate::Change StorageGate::on_success(core::TimePoint now) {
  // A write that was under way when the pause began may still get through (it needed no new
  // page): only a write made when the retry was due says that storage is back.
  if (!paused_ || now < retry_at_) return Change::none;
  paused_ = false;
  resumed_at_ = now;
  since_ = now;
  return Change::resumed;
}

bool StorageGate::reminder_due(core::TimePoint now) noexcept {
  if (!paused_ || now - last_line_ < backoff_.reminder) return false;
  last_line_ = now;
  return true;
}

StorageStatus StorageGate::status() const {
  StorageStatus status;
  if (paused_) {
    status.state = StorageStatus::State::paused;
    status.reason = reason_;
    status.since = since_;
    status.retry_at = retry_at_;
  } else if (damaged_) {
    status.state = StorageStatus::State::damaged;
    status.reason = damaged_->reason;
    status.since = damaged_->since;
  } else {
    status.since = since_;
  }
  return status;
}

}  // namespace scanhub::queue
