#include "scan/walker.hpp"
#include "support/temp_dir.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>

using namespace scanhub;
namespace fs = std::filesystem;

namespace {

void touch(const fs::path& path) {
  fs::create_directories(path.parent_path());
  std::ofstream(path).put('x');
}

struct Walked {
  std::vector<scan::DirectoryWork> directories;
  std::vector<scan::WalkError> errors;
};

Walked walk(const fs::path& root, std::function<void(const std::string&)> on_enter = {}) {
  Walked out;
  std::atomic<bool> cancelled{false};
  scan::WalkCallbacks callbacks;
  callbacks.on_enter = std::move(on_enter);
  callbacks.on_directory = [&](scan::DirectoryWork&& w) { out.directories.push_back(std::move(w)); };
  callbacks.on_error = [&](scan::WalkError&& e) { out.errors.push_back(std::move(e)); };
  scan::walk_library(root, cancelled, callbacks);
  return out;
}

}  // namespace

TEST(Walker, ListsAudioDirectoriesAndSkipsHiddenAndIgnored) {
  test::TempDir dir;
  touch(dir / "A/Album/01.mp3");
  touch(dir / "A/Album/cover.jpg");
  touch(dir / "A/Album/.hidden.mp3");
  touch(dir / "A/Album/02.FLAC");
  touch(dir / ".hidden/x.mp3");
  touch(dir / "Ignored/x.mp3");
  touch(dir / "Ignored/.scanignore");
  touch(dir / "Ignored/Deeper/y.mp3");
  touch(dir / "NoAudio/readme.txt");
  touch(dir / "root.ogg");
  const Walked w = walk(dir.path());
  ASSERT_EQ(w.directories.size(), 2u);
  EXPECT_EQ(w.directories[0].directory, "");
  EXPECT_EQ(w.directories[0].files, std::vector<std::string>{"root.ogg"});
  EXPECT_EQ(w.directories[1].directory, "A/Album");
  EXPECT_EQ(w.directories[1].files, (std::vector<std::string>{"01.mp3", "02.FLAC"}));
  EXPECT_TRUE(w.errors.empty());
}

TEST(Walker, ReportsASymlinkLoopOnceAndFinishes) {
  test::TempDir dir;
  touch(dir / "A/01.mp3");
  fs::create_directory_symlink("..", dir / "A/up");
  fs::create_directory_symlink("../A", dir / "A/self");
  const Walked w = walk(dir.path());
  ASSERT_EQ(w.directories.size(), 1u);
  ASSERT_EQ(w.errors.size(), 2u);
  for (const auto& e : w.errors) EXPECT_NE(e.reason.find("symbolic link loop"), std::string::npos);
}

TEST(Walker, ADirectoryRemovedMidWalkIsAnErrorNotAFailure) {
  test::TempDir dir;
  touch(dir / "A/01.mp3");
  touch(dir / "B/01.mp3");
  touch(dir / "C/01.mp3");
  // Children are visited in name order: while in A, B disappears.
  const Walked w = walk(dir.path(), [&](const std::string& entered) {
    if (entered == "A") fs::remove_all(dir / "B");
  });
  ASSERT_EQ(w.directories.size(), 2u);
  EXPECT_EQ(w.directories[0].directory, "A");
  EXPECT_EQ(w.directories[1].directory, "C");
  ASSERT_EQ(w.errors.size(), 1u);
  EXPECT_EQ(w.errors[0].path, "B");
  EXPECT_FALSE(w.errors[0].keep_contents);  // gone: its tracks may be removed
}

TEST(Walker, ListsAFifoAndADanglingLinkForTheDirectoryScanToReport) {
  test::TempDir dir;
  fs::create_directories(dir / "Bad");
  ASSERT_EQ(::mkfifo((dir / "Bad/pipe.mp3").c_str(), 0644), 0);
  fs::create_symlink("missing.flac", dir / "Bad/dangling.flac");
  const Walked w = walk(dir.path());
  ASSERT_EQ(w.directories.size(), 1u);
  EXPECT_EQ(w.directories[0].files, (std::vector<std::string>{"dangling.flac", "pipe.mp3"}));
}

TEST(Walker, AMissingRootThrows) {
  test::TempDir dir;
  EXPECT_THROW(walk(dir / "missing"), fs::filesystem_error);
  touch(dir / "file");
  EXPECT_THROW(walk(dir / "file"), fs::filesystem_error);
}
