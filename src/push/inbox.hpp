#pragma once
// The thread-crossing half of a connection's send pipeline: sends (and ordered tasks) posted
// from any thread wait here until the connection's strand takes them, all at once, in call
// order. A burst of sends costs one drain per connection, not one strand post per message.
//
// The protocol, for a connection with a strand:
//   any thread:  if (inbox.push(record, key)) schedule one drain on the strand;
//                if (!inbox.push_task(task)) post the task to the strand itself;
//   the strand:  SendPipeline::drain(inbox.take(), ...) (send_pipeline.hpp).
// A task pushed while sends wait for their drain runs in the drain, after them; with nothing
// waiting, the caller posts it and a later send's drain queues behind that post. Either way it
// never overtakes a send made before it on the same thread.
//
// Threading: push and push_task from any thread (one mutex, held for an append); take on the
// strand only. Throws only std::bad_alloc.

#include "push/record.hpp"

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::push {

class Inbox {
 public:
  struct Entry {
    SharedRecord record;         ///< a send; empty for a task
    std::string key;             ///< the send's conflation key (Outbox)
    std::function<void()> task;  ///< work to run in order with the sends
  };

  /// Appends a send. True when the caller must schedule a drain (none is scheduled yet); the
  /// record leaves in call order relative to every other push, whenever that drain runs.
  bool push(SharedRecord record, std::string_view key) {
    std::lock_guard lock(mutex_);
    entries_.push_back(Entry{std::move(record), std::string(key), {}});
    if (drain_scheduled_) return false;  // the scheduled drain takes this one too
    drain_scheduled_ = true;
    return true;
  }

  /// Appends `task` (moved from) behind sends waiting for their drain and returns true; false,
  /// `task` untouched, when no drain is scheduled: the caller posts it to the strand.
  bool push_task(std::function<void()>& task) {
    std::lock_guard lock(mutex_);
    if (!drain_scheduled_) return false;
    entries_.push_back(Entry{{}, {}, std::move(task)});
    return true;
  }

  /// Strand only: everything pushed so far, in order; the next push schedules a new drain. The
  /// vector is the inbox's second buffer (swapped, so steady traffic allocates none per
  /// message); the caller empties it before the next take (SendPipeline::drain does).
  std::vector<Entry>& take() {
    std::lock_guard lock(mutex_);
    taken_.swap(entries_);
    drain_scheduled_ = false;
    return taken_;
  }

 private:
  std::mutex mutex_;
  std::vector<Entry> entries_;    // guarded by mutex_
  bool drain_scheduled_ = false;  // guarded by mutex_
  std::vector<Entry> taken_;      // the strand's
};

}  // namespace scanhub::push
