#include "scan/asset_cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace scanhub::scan {

namespace fs = std::filesystem;
using crypto::FileError;
using crypto::make_file_error;

namespace {

constexpr std::string_view kIncoming = ".incoming";
constexpr auto kStaleTemporaryAge = std::chrono::hours(1);

std::error_code last_error() noexcept {
  return {errno, std::generic_category()};
}

class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() noexcept {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_ = -1;
};

// The file being written. An O_TMPFILE inode has no name, so dropping it frees it; a named
// temporary (fallback) is unlinked here on every path out, success included (by then the
// final name is a second link to the same inode).
struct TemporaryFile {
  UniqueFd fd;
  std::optional<fs::path> name;

  TemporaryFile() = default;
  TemporaryFile(TemporaryFile&&) = default;
  TemporaryFile& operator=(TemporaryFile&&) = delete;
  ~TemporaryFile() noexcept {
    if (name) ::unlink(name->c_str());
  }
};

std::expected<void, FileError> write_all(int fd, std::span<const std::byte> data,
                                         const fs::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(make_file_error(path, last_error(), "write"));
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

std::expected<void, FileError> sync_directory(const fs::path& directory) {
  const UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    return std::unexpected(make_file_error(directory, last_error(), "sync directory"));
  }
  return {};
}

// mkdir that treats "already there" as success; reports whether it created the directory.
std::expected<bool, FileError> make_directory(const fs::path& directory) {
  if (::mkdir(directory.c_str(), 0755) == 0) return true;
  if (errno == EEXIST) return false;
  return std::unexpected(make_file_error(directory, last_error(), "create directory"));
}

// Gives the complete temporary the name `name` (never replacing one): link() for a named
// temporary, linkat() through /proc for an O_TMPFILE inode. False with errno set on failure.
bool link_temporary(const TemporaryFile& temporary, const fs::path& name) {
  if (temporary.name) return ::link(temporary.name->c_str(), name.c_str()) == 0;
  const std::string proc_path = "/proc/self/fd/" + std::to_string(temporary.fd.get());
  return ::linkat(AT_FDCWD, proc_path.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0;
}

bool has_size(const fs::path& path, std::uint64_t size) {
  struct stat status {};
  return ::stat(path.c_str(), &status) == 0 && static_cast<std::uint64_t>(status.st_size) == size;
}

std::optional<fs::path> find_in(const fs::path& directory, const std::string& hex) {
  DIR* dir = ::opendir(directory.c_str());
  if (!dir) return std::nullopt;
  std::optional<fs::path> found;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name(entry->d_name);
    if (name.starts_with(hex) && (name.size() == hex.size() || name[hex.size()] == '.')) {
      found = directory / name;
      break;
    }
  }
  ::closedir(dir);
  return found;
}

}  // namespace

AssetCache::AssetCache(fs::path root, AssetCacheOptions options)
    : root_(std::move(root)), options_(options) {
  fs::create_directories(root_);
  // Temporaries of the named fallback left by a crash. Only old ones: another process may be
  // writing into the same cache right now, and a file being written has a fresh mtime.
  std::error_code ec;
  const auto cutoff = fs::file_time_type::clock::now() - kStaleTemporaryAge;
  for (const auto& entry : fs::directory_iterator(root_ / kIncoming, ec)) {
    std::error_code entry_ec;
    if (entry.is_regular_file(entry_ec) && entry.last_write_time(entry_ec) < cutoff && !entry_ec) {
      fs::remove(entry.path(), entry_ec);
    }
  }
}

std::string AssetCache::cache_extension(const fs::path& source) {
  const std::string extension = source.extension().string();
  if (extension.size() < 2 || extension.size() > 11) return {};
  std::string out = ".";
  for (char c : std::string_view(extension).substr(1)) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return {};
    out += c;
  }
  return out;
}

fs::path AssetCache::directory_for(const crypto::Sha256Digest& sha256) const {
  const std::string hex = crypto::to_hex(sha256);
  return root_ / hex.substr(0, 2) / hex.substr(2, 2);
}

std::optional<fs::path> AssetCache::find(const crypto::Sha256Digest& sha256) const {
  return find_in(directory_for(sha256), crypto::to_hex(sha256));
}

std::mutex& AssetCache::stripe_for(const crypto::Sha256Digest& sha256) const noexcept {
  return stripes_[sha256[0] % stripes_.size()];
}

std::expected<StoredAsset, FileError> AssetCache::store(const fs::path& source) {
  // O_NONBLOCK so that a FIFO among the assets cannot block the worker; no effect on files.
  const UniqueFd input(::open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (input.get() < 0) return std::unexpected(make_file_error(source, last_error(), "open"));
  struct stat status {};
  if (::fstat(input.get(), &status) != 0)
    return std::unexpected(make_file_error(source, last_error(), "stat"));
  if (S_ISDIR(status.st_mode)) {
    return std::unexpected(
        make_file_error(source, std::make_error_code(std::errc::is_a_directory), "cache"));
  }
  if (!S_ISREG(status.st_mode)) {
    FileError error =
        make_file_error(source, std::make_error_code(std::errc::invalid_argument), "cache");
    error.message = "cannot cache \"" + source.string() + "\": not a regular file";
    return std::unexpected(std::move(error));
  }

  const int input_fd = input.get();
  return store_filled(
      [&](int fd, const fs::path& label, crypto::Sha256& hasher,
          std::uint64_t& size) -> std::expected<void, FileError> {
        const std::span<std::byte> buffer =
            crypto::thread_read_buffer(std::max<std::size_t>(options_.buffer_size, 4096));
        // Reflink (btrfs, xfs): the clone shares the source's blocks, costs no copy and is a
        // snapshot, so hashing the clone hashes exactly what is cached. Elsewhere (ext4:
        // EOPNOTSUPP) or across filesystems (EXDEV) read once, hashing and writing the same
        // buffer. copy_file_range is not used: it would copy bytes the hasher never saw if the
        // source changed in between, and on ext4 it is a kernel-side copy of the same cost as
        // write().
        const bool cloned = options_.use_reflink && ::ioctl(fd, FICLONE, input_fd) == 0;
        if (cloned) {
          (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
          for (;;) {
            const ssize_t n = ::pread(fd, buffer.data(), buffer.size(), static_cast<off_t>(size));
            if (n == 0) break;
            if (n < 0) {
              if (errno == EINTR) continue;
              return std::unexpected(make_file_error(label, last_error(), "read back"));
            }
            hasher.update(buffer.first(static_cast<std::size_t>(n)));
            size += static_cast<std::uint64_t>(n);
          }
          return {};
        }
        (void)::posix_fadvise(input_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        for (;;) {
          const ssize_t n = ::read(input_fd, buffer.data(), buffer.size());
          if (n == 0) break;
          if (n < 0) {
            if (errno == EINTR) continue;
            return std::unexpected(make_file_error(source, last_error(), "read"));
          }
          const auto chunk = buffer.first(static_cast<std::size_t>(n));
          hasher.update(chunk);
          if (auto written = write_all(fd, chunk, label); !written) {
            return std::unexpected(std::move(written.error()));
          }
          size += static_cast<std::uint64_t>(n);
        }
        return {};
      },
      cache_extension(source));
}

std::expected<StoredAsset, FileError> AssetCache::store_bytes(std::span<const std::byte> bytes,
                                                              const std::string& extension) {
  return store_filled(
      [&](int fd, const fs::path& temporary_label, crypto::Sha256& hasher,
          std::uint64_t& size) -> std::expected<void, FileError> {
        hasher.update(bytes);
        if (auto written = write_all(fd, bytes, temporary_label); !written) {
          return std::unexpected(std::move(written.error()));
        }
        size = bytes.size();
        return {};
      },
      extension);
}

std::expected<StoredAsset, FileError> AssetCache::store_filled(const FillFn& fill,
                                                               const std::string& extension) {
  // The file to fill: unnamed in ROOT where the filesystem allows (ext4, xfs, btrfs, tmpfs).
  TemporaryFile temporary;
  fs::path temporary_label = root_;  // what errors about the temporary name
  if (options_.use_tmpfile && tmpfile_supported_.load(std::memory_order_relaxed)) {
    temporary.fd = UniqueFd(::open(root_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0644));
    if (temporary.fd.get() < 0) {
      if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
        return std::unexpected(make_file_error(root_, last_error(), "create a file in"));
      }
      tmpfile_supported_.store(false, std::memory_order_relaxed);
    }
  }
  if (temporary.fd.get() < 0) {
    const fs::path incoming = root_ / kIncoming;
    if (auto made = make_directory(incoming); !made)
      return std::unexpected(std::move(made.error()));
    std::string pattern = (incoming / "asset-XXXXXX").string();
    temporary.fd = UniqueFd(::mkostemp(pattern.data(), O_CLOEXEC));
    if (temporary.fd.get() < 0)
      return std::unexpected(make_file_error(incoming, last_error(), "create a file in"));
    temporary.name = pattern;
    temporary_label = pattern;
    (void)::fchmod(temporary.fd.get(), 0644);  // mkostemp makes 0600; cached files are served
  }

  crypto::Sha256 hasher;
  std::uint64_t size = 0;
  if (auto filled = fill(temporary.fd.get(), temporary_label, hasher, size); !filled) {
    return std::unexpected(std::move(filled.error()));
  }

  StoredAsset stored;
  stored.sha256 = hasher.finish();
  stored.sha256_hex = crypto::to_hex(stored.sha256);
  stored.size = size;
  const fs::path directory = directory_for(stored.sha256);
  const auto deduplicated = [&](fs::path existing) {
    stored.relative_path = existing.lexically_relative(root_);
    stored.path = std::move(existing);
    stored.outcome = AssetStoreOutcome::deduplicated;
    return stored;  // the temporary is dropped unsynced: its pages are freed, never written
  };
  if (auto existing = find_in(directory, stored.sha256_hex); existing && has_size(*existing, size))
    return deduplicated(std::move(*existing));

  // Data first, name second: synced before the link so the name never points at blocks that
  // a power loss could leave unwritten. Done outside the stripe lock (it can take milliseconds).
  if (options_.sync && ::fdatasync(temporary.fd.get()) != 0) {
    return std::unexpected(make_file_error(temporary_label, last_error(), "sync"));
  }
  const fs::path parent = directory.parent_path();
  auto made_parent = make_directory(parent);
  if (!made_parent) return std::unexpected(std::move(made_parent.error()));
  auto made_directory = make_directory(directory);
  if (!made_directory) return std::unexpected(std::move(made_directory.error()));
  if (options_.sync) {
    if (*made_parent) {
      if (auto synced = sync_directory(root_); !synced)
        return std::unexpected(std::move(synced.error()));
    }
    if (*made_directory) {
      if (auto synced = sync_directory(parent); !synced)
        return std::unexpected(std::move(synced.error()));
    }
  }

  fs::path target = directory / (stored.sha256_hex + extension);
  stored.outcome = AssetStoreOutcome::newly_stored;
  {
    // Within the process the lock makes "not cached yet" and the link one step, so the same
    // bytes under two extensions become one file. Across processes linkat's EEXIST still
    // stops two writers of the same name.
    const std::lock_guard lock(stripe_for(stored.sha256));
    std::optional<fs::path> damaged;
    if (auto existing = find_in(directory, stored.sha256_hex)) {
      if (has_size(*existing, size)) return deduplicated(std::move(*existing));
      damaged = std::move(*existing);
    }
    if (options_.before_link_for_test) options_.before_link_for_test();
    if (damaged) {
      // A cached file of the wrong size cannot hold these bytes (truncated by a disk error or
      // by hand): replace it atomically, rename() of a complete file over it, never returning
      // it as a duplicate.
      target = *damaged;
      if (!temporary.name) {
        if (auto made = make_directory(root_ / kIncoming); !made)
          return std::unexpected(std::move(made.error()));
        static std::atomic<unsigned> repairs{0};
        const fs::path staging = root_ / kIncoming /
                                 ("repair-" + std::to_string(::getpid()) + "-" +
                                  std::to_string(repairs.fetch_add(1)) + "-" + stored.sha256_hex);
        if (!link_temporary(temporary, staging))
          return std::unexpected(make_file_error(staging, last_error(), "link"));
        temporary.name = staging;  // removed by the guard if the rename fails
      }
      if (::rename(temporary.name->c_str(), target.c_str()) != 0)
        return std::unexpected(make_file_error(target, last_error(), "replace"));
      stored.outcome = AssetStoreOutcome::repaired;
    } else if (!link_temporary(temporary, target)) {
      if (errno == EEXIST) return deduplicated(target);
      return std::unexpected(make_file_error(target, last_error(), "link"));
    }
  }
  // The name is durable before the caller records it in the database.
  if (options_.sync) {
    if (auto synced = sync_directory(directory); !synced)
      return std::unexpected(std::move(synced.error()));
  }
  stored.relative_path = target.lexically_relative(root_);
  stored.path = target;
  return stored;
}

std::expected<AssetVerification, FileError> AssetCache::verify(
    const crypto::Sha256Digest& sha256) const {
  AssetVerification verification;
  verification.path = find(sha256);
  if (!verification.path) return verification;
  auto digest = crypto::hash_file(*verification.path, {.buffer_size = options_.buffer_size});
  if (!digest) return std::unexpected(std::move(digest.error()));
  verification.actual = digest->sha256;
  verification.status =
      digest->sha256 == sha256 ? AssetVerifyStatus::intact : AssetVerifyStatus::corrupt;
  return verification;
}

}  // namespace scanhub::scan
