// Runs independent work items on a few threads.
//
// parallel_for(count, threads, fn) calls fn(i) once for every i in [0, count), from up to
// `threads` threads (the caller's thread is one of them). Items are claimed in index order, so
// put the slowest items first. The first exception thrown by any fn stops further items from
// being claimed and is rethrown to the caller after every thread has finished.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace scanhub::make_library {

template <typename Fn>
void parallel_for(std::size_t count, unsigned threads, Fn&& fn) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;

  auto worker = [&] {
    while (!failed.load(std::memory_order_relaxed)) {
      const std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= count) return;
      try {
        fn(i);
      } catch (...) {
        const std::scoped_lock lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        failed = true;
      }
    }
  };

  std::vector<std::jthread> pool;
  const std::size_t extra = threads > 1 ? std::min<std::size_t>(threads - 1, count) : 0;
  pool.reserve(extra);
  for (std::size_t t = 0; t < extra; ++t) pool.emplace_back(worker);
  worker();
  pool.clear();  ///< joins
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace scanhub::make_library
