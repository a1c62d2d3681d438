#include "lib/crypto/file_digest.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <new>

namespace scanhub::crypto {

namespace {

std::error_code last_error() noexcept {
  return {errno, std::generic_category()};
}

}  // namespace

// One read buffer per thread, grown on demand and reused for every file: a fresh 256 KiB
// allocation per call would be an mmap and 64 page faults each time (glibc's mmap threshold).
std::span<std::byte> thread_read_buffer(std::size_t size) {
  struct Buffer {
    std::unique_ptr<std::byte, decltype(&std::free)> data{nullptr, &std::free};
    std::size_t size = 0;
  };
  thread_local Buffer buffer;
  if (buffer.size < size) {
    // Page-aligned: the kernel copies whole pages from the page cache fastest to aligned memory.
    void* memory = std::aligned_alloc(4096, (size + 4095) / 4096 * 4096);
    if (!memory) throw std::bad_alloc();
    buffer.data.reset(static_cast<std::byte*>(memory));
    buffer.size = size;
  }
  return {buffer.data.get(), size};
}

namespace {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  ~FileDescriptor() noexcept {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

}  // namespace

FileError make_file_error(std::filesystem::path path, std::error_code code,
                          std::string_view action) {
  std::string message = "cannot ";
  message += action;
  message += " \"";
  message += path.string();
  message += "\": ";
  message += code.message();
  return FileError{std::move(path), code, std::move(message)};
}

std::expected<FileDigest, FileError> hash_file(const std::filesystem::path& path,
                                               const HashOptions& options) {
  // O_NONBLOCK only so that opening a FIFO returns at once; it has no effect on regular files.
  const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (file.get() < 0) return std::unexpected(make_file_error(path, last_error(), "open"));

  struct stat status {};
  if (::fstat(file.get(), &status) != 0)
    return std::unexpected(make_file_error(path, last_error(), "stat"));
  if (S_ISDIR(status.st_mode)) {
    return std::unexpected(
        make_file_error(path, std::make_error_code(std::errc::is_a_directory), "hash"));
  }
  if (!S_ISREG(status.st_mode)) {
    FileError error =
        make_file_error(path, std::make_error_code(std::errc::invalid_argument), "hash");
    error.message = "cannot hash \"" + path.string() + "\": not a regular file";
    return std::unexpected(std::move(error));
  }
  // Advice only: a failure (e.g. on a filesystem without readahead) changes nothing.
  (void)::posix_fadvise(file.get(), 0, 0, POSIX_FADV_SEQUENTIAL);

  const std::span<std::byte> buffer =
      thread_read_buffer(std::max<std::size_t>(options.buffer_size, 4096));
  Sha256 hasher;
  std::uint64_t size = 0;
  for (;;) {
    const ssize_t n = ::read(file.get(), buffer.data(), buffer.size());
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(make_file_error(path, last_error(), "read"));
    }
    hasher.update(buffer.first(static_cast<std::size_t>(n)));
    size += static_cast<std::uint64_t>(n);
  }
  return FileDigest{hasher.finish(), size};
}

}  // namespace scanhub::crypto
