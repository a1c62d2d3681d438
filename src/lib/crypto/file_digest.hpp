#pragma once
// The SHA-256 and size of a file, read with large sequential reads. Called by the cache-asset
// job (issue 4; seed 002 "Phase 3: Asset Caching") and by bench/hash, on worker threads (it
// blocks on disk; never call it on a network thread).

#include "lib/crypto/sha256.hpp"

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace scanhub::crypto {

/// A file that could not be read (or written, by the asset cache): an expected outcome for
/// user files, returned as a value, never thrown. `code` is the errno as a std::error_code
/// (std::errc::no_such_file_or_directory, permission_denied, is_a_directory, io_error, ...;
/// invalid_argument for something that is not a regular file, such as a FIFO or a device).
struct FileError {
  std::filesystem::path path;  ///< the file the failed operation was about
  std::error_code code;
  std::string
      message;  ///< one line for people and logs: `cannot read "/m/poster.jpg": Input/output error`
};

/// Builds a FileError whose message is `cannot <action> "<path>": <code's text>`.
FileError make_file_error(std::filesystem::path path, std::error_code code,
                          std::string_view action);

struct FileDigest {
  Sha256Digest sha256{};
  std::uint64_t size = 0;  ///< bytes hashed (the file's size, unless it changed while read)
};

/// Size of each read() (bytes). 256 KiB keeps the buffer in L2 cache, so OpenSSL reads what
/// read() just copied from cache, and the syscall count stays small (bench/hash measured
/// 64 KiB to 1 MiB; see BENCHMARKS.md, "Hash").
inline constexpr std::size_t kDefaultReadBufferSize = 256 * 1024;

struct HashOptions {
  std::size_t buffer_size = kDefaultReadBufferSize;  ///< bytes per read(); at least 4096
};

/// The calling thread's read buffer, at least `size` bytes, page-aligned, reused by every call on
/// this thread (hash_file and the asset cache's copy loop share it). Valid until the next call
/// on the same thread. Throws std::bad_alloc.
std::span<std::byte> thread_read_buffer(std::size_t size);

/// Opens `path` (following symlinks), checks that it is a regular file, advises the kernel that
/// it will be read sequentially (posix_fadvise, which doubles the readahead window) and hashes
/// it with read()s of `options.buffer_size` into a per-thread buffer (no allocation per call).
/// A FIFO does not block the call: it is opened non-blocking and refused as not regular.
/// Returns the digest and size, or a FileError: missing file, permission denied, a directory
/// (is_a_directory), not a regular file (invalid_argument), a read error (the kernel's errno,
/// e.g. io_error). Throws crypto::Error only if OpenSSL itself fails, std::bad_alloc on
/// exhaustion. Thread-safe (each thread uses its own buffer and hasher).
std::expected<FileDigest, FileError> hash_file(const std::filesystem::path& path,
                                               const HashOptions& options = {});

}  // namespace scanhub::crypto
