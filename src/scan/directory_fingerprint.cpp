#include "scan/directory_fingerprint.hpp"

#include "lib/crypto/sha256.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <vector>

namespace scanhub::scan {

namespace {

struct Entry {
  std::string name;
  char kind = 'f';             // 'd' directory, 'f' anything else, 'x' cannot be followed
  std::int64_t size = 0;       // bytes; errno for 'x'
  std::int64_t mtime_ns = 0;
};

void append_int(std::string& out, std::int64_t value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

}  // namespace

std::expected<std::string, std::error_code> directory_fingerprint(const std::filesystem::path& directory) {
  DIR* dir = ::opendir(directory.c_str());
  if (!dir) return std::unexpected(std::error_code(errno, std::generic_category()));
  const int fd = ::dirfd(dir);
  std::vector<Entry> entries;
  errno = 0;
  while (const dirent* d = ::readdir(dir)) {
    if (d->d_name[0] == '.') {
      errno = 0;
      continue;
    }
    Entry entry{d->d_name};
    struct stat st {};
    if (::fstatat(fd, d->d_name, &st, 0) != 0) {
      entry.kind = 'x';
      entry.size = errno;
    } else if (S_ISDIR(st.st_mode)) {
      entry.kind = 'd';
    } else {
      entry.size = st.st_size;
      entry.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    }
    entries.push_back(std::move(entry));
    errno = 0;
  }
  const int read_error = errno;
  ::closedir(dir);
  if (read_error != 0) return std::unexpected(std::error_code(read_error, std::generic_category()));

  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  std::string bytes;
  bytes.reserve(entries.size() * 48);
  for (const Entry& e : entries) {
    bytes += e.name;
    bytes += '\0';
    bytes += e.kind;
    if (e.kind != 'd') {
      append_int(bytes, e.size);
      append_int(bytes, e.mtime_ns);
    }
  }
  return crypto::to_hex(crypto::sha256(bytes));
}

}  // namespace scanhub::scan
