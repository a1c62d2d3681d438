#pragma once
// A fixed pool of threads for blocking media work (stat, tag reading), so it never runs on
// network threads. Tasks wait in a bounded queue: post() blocks when it is full, which slows
// the producer (the scan coordinator) to the pace of the disks. The persistent job queue of
// src/queue takes this role for jobs that must survive a restart.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace scanhub::scan {

class WorkerPool {
 public:
  /// `threads` 0 means one per core.
  explicit WorkerPool(unsigned threads = 0, std::size_t queue_limit = 4096);
  /// Runs every queued task, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Queues `task`; it must not throw (exceptions are logged and swallowed).
  void post(std::function<void()> task);
  unsigned size() const noexcept { return static_cast<unsigned>(threads_.size()); }

 private:
  void run();

  const std::size_t queue_limit_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace scanhub::scan
