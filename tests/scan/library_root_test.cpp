#include "scan/library_root.hpp"
#include "support/temp_dir.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace scanhub;
namespace fs = std::filesystem;

namespace {

std::string reason_for(const std::string& path) {
  const auto root = scan::check_library_root(path);
  if (root) return "accepted as " + *root;
  return root.error();
}

// reason_for(path) as a user without privileges: root reads every directory, so when the tests
// run as root (CI does) the check runs in a child process that became `nobody` (uid and gid
// 65534) first.
std::string reason_as_unprivileged(const std::string& path) {
  if (::geteuid() != 0) return reason_for(path);
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return "pipe failed";
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(pipe_fds[0]);
    std::string reason = (::setgroups(0, nullptr) == 0 && ::setgid(65534) == 0 && ::setuid(65534) == 0)
                             ? reason_for(path)
                             : "could not become nobody";
    const char* data = reason.data();
    std::size_t left = reason.size();
    while (left > 0) {
      const ssize_t n = ::write(pipe_fds[1], data, left);
      if (n <= 0) break;
      data += n;
      left -= static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string reason;
  char buffer[512];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) reason.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  return reason;
}

}  // namespace

// The system's own trees: each refused with a reason naming what it is.
TEST(LibraryRoot, RefusesTheWholeSystemAndItsPseudoFileSystems) {
  struct Case {
    const char* path;
    const char* reason;
  };
  const Case cases[] = {
      {"/", "/ cannot be a library"},
      {"/proc", "is on a proc file system"},
      {"/proc/self/root", "/ cannot be a library"},  // resolved first: it is /
      {"/sys/class", "is on a sysfs file system"},
      {"/dev", "is a system directory (under /dev)"},
      {"/run", "is a system directory (under /run)"},
  };
  for (const Case& c : cases) {
    const std::string reason = reason_for(c.path);
    EXPECT_NE(reason.find(c.reason), std::string::npos) << c.path << ": " << reason;
  }
}

TEST(LibraryRoot, ALinkToASystemDirectoryIsRefusedAndExplained) {
  test::TempDir dir;
  fs::create_directory_symlink("/proc", dir / "media");
  const std::string reason = reason_for((dir / "media").string());
  EXPECT_NE(reason.find((dir / "media").string() + " (/proc) is on a proc file system"),
            std::string::npos)
      << reason;
}

TEST(LibraryRoot, SaysWhyAPathIsNoDirectory) {
  test::TempDir dir;
  std::ofstream(dir / "file").put('x');
  fs::create_symlink("b", dir / "a");
  fs::create_symlink("a", dir / "b");
  const std::string missing = (dir / "missing").string();
  EXPECT_EQ(reason_for(missing), "no such directory: " + missing);
  const std::string file = (dir / "file").string();
  EXPECT_EQ(reason_for(file), "not a directory: " + file);
  const std::string loop = (dir / "a").string();
  EXPECT_EQ(reason_for(loop),
            "symbolic link loop: " + loop + " (a link in the path leads back to itself)");
  EXPECT_NE(reason_for(loop + "/music").find("symbolic link loop"), std::string::npos);
}

TEST(LibraryRoot, AcceptsADirectoryAsItsCanonicalPath) {
  test::TempDir dir;
  fs::create_directories(dir / "Music/Jazz");
  fs::create_directory_symlink(dir / "Music", dir / "link");
  const std::string canonical = fs::canonical(dir / "Music").string();
  EXPECT_EQ(scan::check_library_root((dir / "Music/").string()), canonical);
  EXPECT_EQ(scan::check_library_root((dir / "link").string()), canonical);
  EXPECT_EQ(scan::check_library_root((dir / "Music/Jazz/..").string()), canonical);
}

TEST(LibraryRoot, SaysWhenItCannotBeRead) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);  // mkdtemp's 0700 would hide `closed` from nobody
  fs::create_directories(dir / "closed");
  ::chmod((dir / "closed").c_str(), 0);
  const std::string closed = (dir / "closed").string();
  EXPECT_EQ(reason_as_unprivileged(closed), "permission denied: " + closed);
  ::chmod((dir / "closed").c_str(), 0755);
}
