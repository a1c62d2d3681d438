#include "scan/worker_pool.hpp"

#include <spdlog/spdlog.h>

namespace scanhub::scan {

WorkerPool::WorkerPool(unsigned threads, std::size_t queue_limit) : queue_limit_(queue_limit) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void WorkerPool::post(std::function<void()> task) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return queue_.size() < queue_limit_; });
  queue_.push_back(std::move(task));
  lock.unlock();
  changed_.notify_all();
}

void WorkerPool::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    changed_.notify_all();
    try {
      task();
    } catch (const std::exception& e) {
      spdlog::error("worker: task threw: {}", e.what());
    }
  }
}

}  // namespace scanhub::scan
