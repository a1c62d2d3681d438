#include "http/open_files.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <limits>

namespace scanhub::http {

namespace {

std::uint64_t to_u64(rlim_t value) noexcept {
  return value == RLIM_INFINITY ? std::numeric_limits<std::uint64_t>::max()
                                : static_cast<std::uint64_t>(value);
}

// Linux refuses a soft limit above fs.nr_open (1,048,576 by default) even when the hard limit
// is RLIM_INFINITY.
std::uint64_t kernel_ceiling() noexcept {
  std::uint64_t nr_open = 1 << 20;
  try {
    std::ifstream in("/proc/sys/fs/nr_open");
    std::uint64_t value = 0;
    if (in >> value && value > 0) nr_open = value;
  } catch (...) {
    // keep the default ceiling
  }
  return nr_open;
}

}  // namespace

OpenFileLimit open_file_limit() noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return {};
  return {to_u64(limit.rlim_cur), to_u64(limit.rlim_max), false};
}

OpenFileLimit raise_open_file_limit() noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return {};
  rlim_t target = limit.rlim_max;
  if (target == RLIM_INFINITY) target = static_cast<rlim_t>(kernel_ceiling());
  if (limit.rlim_cur != RLIM_INFINITY && target > limit.rlim_cur) {
    rlimit raised = limit;
    raised.rlim_cur = target;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      return {to_u64(raised.rlim_cur), to_u64(raised.rlim_max), true};
    }
  }
  return {to_u64(limit.rlim_cur), to_u64(limit.rlim_max), false};
}

std::size_t default_max_connections(std::uint64_t soft_limit) noexcept {
  if (soft_limit == 0) soft_limit = 1024;  // unknown: Linux's usual default
  const std::uint64_t limit =
      std::min<std::uint64_t>(soft_limit, std::numeric_limits<std::size_t>::max());
  const std::uint64_t cap =
      limit >= 2 * kDescriptorReserve ? limit - kDescriptorReserve : limit / 2;
  return static_cast<std::size_t>(std::max<std::uint64_t>(cap, 1));
}

std::size_t effective_max_connections(std::size_t requested, std::uint64_t soft_limit) noexcept {
  const std::size_t ceiling = default_max_connections(soft_limit);
  return requested == 0 ? ceiling : std::min(requested, ceiling);
}

}  // namespace scanhub::http
