#include "auth/server_key.hpp"

#include "auth/base64url.hpp"
#include "lib/crypto/random.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace scanhub::auth {

namespace {

constexpr std::size_t kKeyBytes = 32;

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw std::runtime_error("server key " + path.string() + ": " + what);
}

class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() noexcept {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

std::vector<std::uint8_t> read_key(const std::filesystem::path& path) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) fail(path, std::strerror(errno));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) fail(path, std::strerror(errno));
  if (!S_ISREG(info.st_mode)) fail(path, "not a regular file");
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    fail(path, "other users may read it (chmod 600 it, or delete it to make a new one)");
  }
  char buffer[256];
  const ssize_t size = ::read(fd.get(), buffer, sizeof buffer);
  if (size < 0) fail(path, std::strerror(errno));
  std::string_view text(buffer, static_cast<std::size_t>(size));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  auto key = base64url_decode(text);
  if (!key || key->size() != kKeyBytes) fail(path, "not a scanhub server key (delete it to make a new one)");
  return std::move(*key);
}

}  // namespace

std::filesystem::path server_key_path(const std::filesystem::path& database) {
  return database.parent_path() / "auth.key";
}

std::vector<std::uint8_t> load_or_create_server_key(const std::filesystem::path& path) {
  const auto key = crypto::random_bytes(kKeyBytes);
  const std::string text = base64url_encode(key) + "\n";
  {
    const Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
      if (errno == EEXIST) return read_key(path);
      fail(path, std::string("cannot be created: ") + std::strerror(errno));
    }
    // The umask may have taken bits away, never added: 0600 or less. Written then synced, so a
    // crash does not leave an empty key that the next start refuses.
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) || ::fsync(fd.get()) != 0) {
      const std::string reason = std::strerror(errno);
      ::unlink(path.c_str());
      fail(path, "cannot be written: " + reason);
    }
  }
  return key;
}

}  // namespace scanhub::auth
