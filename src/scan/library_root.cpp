#include "scan/library_root.hpp"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

namespace scanhub::scan {

namespace {

using Reason = std::unexpected<std::string>;

// Directories of the running system, not of media (the file-system hierarchy's virtual and
// runtime trees).
constexpr std::array<std::string_view, 4> kSystemDirectories{"/proc", "/sys", "/dev", "/run"};

// Pseudo and system file systems by their statfs f_type (linux/magic.h where it names them).
constexpr std::array<std::pair<unsigned long, std::string_view>, 18> kPseudoFileSystems{{
    {PROC_SUPER_MAGIC, "proc"},
    {SYSFS_MAGIC, "sysfs"},
    {DEVPTS_SUPER_MAGIC, "devpts"},
    {CGROUP_SUPER_MAGIC, "cgroup"},
    {CGROUP2_SUPER_MAGIC, "cgroup2"},
    {DEBUGFS_MAGIC, "debugfs"},
    {TRACEFS_MAGIC, "tracefs"},
    {SECURITYFS_MAGIC, "securityfs"},
    {BPF_FS_MAGIC, "bpf"},
    {PSTOREFS_MAGIC, "pstore"},
    {EFIVARFS_MAGIC, "efivarfs"},
    {SELINUX_MAGIC, "selinuxfs"},
    {SMACK_MAGIC, "smackfs"},
    {BINFMTFS_MAGIC, "binfmt_misc"},
    {NSFS_MAGIC, "nsfs"},
    {0x62656570UL, "configfs"},
    {0x65735543UL, "fusectl"},
    {0x19800202UL, "mqueue"},
}};

std::string describe_errno(int error, std::string_view path) {
  const std::string shown(path);
  switch (error) {
    case ENOENT:
      return "no such directory: " + shown;
    case ENOTDIR:
      return "not a directory: " + shown + " (a part of the path is a file)";
    case EACCES:
    case EPERM:
      return "permission denied: " + shown;
    case ELOOP:
      return "symbolic link loop: " + shown + " (a link in the path leads back to itself)";
    default:
      return "cannot use " + shown + ": " + std::strerror(error);
  }
}

bool is_under(std::string_view path, std::string_view directory) {
  return path == directory ||
         (path.size() > directory.size() && path.substr(0, directory.size()) == directory &&
          path[directory.size()] == '/');
}

}  // namespace

std::expected<std::string, std::string> check_library_root(std::string_view path) {
  if (path.empty()) return Reason("the library path is empty");
  const std::string requested(path);
  if (requested.find('\0') != std::string::npos) return Reason("the library path holds a NUL byte");

  std::unique_ptr<char, decltype(&std::free)> real(::realpath(requested.c_str(), nullptr),
                                                   &std::free);
  if (!real) return Reason(describe_errno(errno, requested));
  const std::string canonical(real.get());
  // Where a link took the path, say so: "/srv/x" alone would not explain why /proc is named.
  const std::string shown = canonical == requested ? requested : requested + " (" + canonical + ")";

  struct stat st {};
  if (::stat(canonical.c_str(), &st) != 0) return Reason(describe_errno(errno, shown));
  if (!S_ISDIR(st.st_mode)) return Reason("not a directory: " + shown);

  if (canonical == "/") {
    return Reason(
        "/ cannot be a library: it is the whole system; choose the directory that holds "
        "the media");
  }
  // The file system first: its reason says more than the path's ("proc" rather than "/proc").
  struct statfs fs {};
  if (::statfs(canonical.c_str(), &fs) != 0) return Reason(describe_errno(errno, shown));
  for (const auto& [magic, name] : kPseudoFileSystems) {
    if (static_cast<unsigned long>(fs.f_type) == magic) {
      return Reason(
          shown + " is on a " + std::string(name) +
          " file system (a view of the kernel, not stored files); it cannot be a library");
    }
  }
  for (std::string_view system : kSystemDirectories) {
    if (is_under(canonical, system)) {
      return Reason(shown + " is a system directory (under " + std::string(system) +
                    "), not a directory of media; it cannot be a library");
    }
  }
  // A directory is listed with read and searched with execute permission.
  if (::access(canonical.c_str(), R_OK | X_OK) != 0) return Reason(describe_errno(errno, shown));
  return canonical;
}

}  // namespace scanhub::scan
