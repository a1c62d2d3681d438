#include "scan/library_root.hpp"
#include "support/temp_dir.hpp"

#include <sys/stat.h>
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
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every directory";
  test::TempDir dir;
  fs::create_directories(dir / "closed");
  ::chmod((dir / "closed").c_str(), 0);
  const std::string closed = (dir / "closed").string();
  EXPECT_EQ(reason_for(closed), "permission denied: " + closed);
  ::chmod((dir / "closed").c_str(), 0755);
}
