#pragma once
// The process's descriptor limit (RLIMIT_NOFILE) and the connection cap derived from it.
// Every connection costs a descriptor; so do the database, media files being read and the
// library watcher. The cap keeps connections below the limit with a reserve for the rest, so
// a flood of idle connections gets 503s instead of starving everything of descriptors (Linux's
// default soft limit, 1,024, is far below its usual hard limit).
//
// Threading: raise_open_file_limit() once at start-up, before threads open descriptors; the
// rest are pure or read-only, any thread. Nothing throws.

#include <cstddef>
#include <cstdint>

namespace scanhub::http {

/// Descriptors kept out of the connection cap for the database (writer and readers, WAL),
/// media files, the asset cache and the watcher.
inline constexpr std::size_t kDescriptorReserve = 128;

struct OpenFileLimit {
  std::uint64_t soft = 0;  ///< now in force; 0 when unknown
  std::uint64_t hard = 0;  ///< the ceiling the soft limit may be raised to
  bool raised = false;     ///< raise_open_file_limit() changed the soft limit
};

/// The current limits (getrlimit). RLIM_INFINITY reads as UINT64_MAX.
OpenFileLimit open_file_limit() noexcept;

/// Raises the soft limit to the hard one (capped at what the kernel accepts, nr_open), so the
/// process may hold as many descriptors as it is allowed to. On failure the limits stay.
OpenFileLimit raise_open_file_limit() noexcept;

/// The cap for a soft descriptor limit: the limit less kDescriptorReserve, or half the limit
/// when that leaves less than half; at least 1. A limit of 0 (unknown) counts as 1,024.
std::size_t default_max_connections(std::uint64_t soft_limit) noexcept;

/// `requested` (0: the default) for a soft limit: never above the limit less the reserve
/// (half the limit when small), so connections cannot take every descriptor.
std::size_t effective_max_connections(std::size_t requested, std::uint64_t soft_limit) noexcept;

}  // namespace scanhub::http
