#include "scan/walker.hpp"
#include "support/temp_dir.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>

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
  std::vector<std::string> links_skipped;
};

Walked walk(const fs::path& root, std::function<void(const std::string&)> on_enter = {},
            bool follow_symlinks = false) {
  Walked out;
  std::atomic<bool> cancelled{false};
  scan::WalkCallbacks callbacks;
  callbacks.on_enter = std::move(on_enter);
  callbacks.on_directory = [&](scan::DirectoryWork&& w) { out.directories.push_back(std::move(w)); };
  callbacks.on_error = [&](scan::WalkError&& e) { out.errors.push_back(std::move(e)); };
  callbacks.on_link_skipped = [&](const std::string& path) { out.links_skipped.push_back(path); };
  scan::walk_library(root, cancelled, callbacks, scan::LinkRule(root.string(), follow_symlinks));
  return out;
}

// directory -> files, as the walk found them.
std::map<std::string, std::vector<std::string>> by_directory(const Walked& w) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& d : w.directories) out[d.directory] = d.files;
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

// A library next to other files: links inside it are followed as before, links out of it
// (to a directory, to an audio file) are not, unless the library follows symlinks.
class WalkerLinks : public ::testing::Test {
 protected:
  void SetUp() override {
    touch(dir_ / "lib/A/01.mp3");
    touch(dir_ / "lib/B/02.mp3");
    fs::create_symlink("../B/02.mp3", dir_ / "lib/A/inside.mp3");
    touch(dir_ / "outside/x.mp3");
    touch(dir_ / "outside/notes.txt");
    touch(dir_ / "outside/Album/y.mp3");
    fs::create_symlink(dir_ / "outside/x.mp3", dir_ / "lib/A/outside.mp3");
    fs::create_symlink(dir_ / "outside/notes.txt", dir_ / "lib/A/notes.txt");  // never used
    fs::create_directory_symlink(dir_ / "outside/Album", dir_ / "lib/Out");
    fs::create_directory_symlink("/", dir_ / "lib/Everything");
  }

  test::TempDir dir_;
  using Files = std::map<std::string, std::vector<std::string>>;
};

TEST_F(WalkerLinks, ALinkOutOfTheLibraryIsNotFollowedAndIsCounted) {
  const Walked w = walk(dir_ / "lib");
  EXPECT_EQ(by_directory(w), (Files{{"A", {"01.mp3", "inside.mp3"}}, {"B", {"02.mp3"}}}));
  std::vector<std::string> skipped = w.links_skipped;
  std::sort(skipped.begin(), skipped.end());
  EXPECT_EQ(skipped, (std::vector<std::string>{"A/outside.mp3", "Everything", "Out"}));
  EXPECT_TRUE(w.errors.empty());
  const auto listed =
      scan::list_audio_files(dir_ / "lib/A", scan::LinkRule((dir_ / "lib").string(), false));
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, (std::vector<std::string>{"01.mp3", "inside.mp3"}));
}

TEST_F(WalkerLinks, ALibraryThatFollowsSymlinksFollowsThemOut) {
  fs::remove(dir_ / "lib/Everything");  // followed, it would walk the whole disk
  const Walked w = walk(dir_ / "lib", {}, /*follow_symlinks=*/true);
  EXPECT_EQ(by_directory(w), (Files{{"A", {"01.mp3", "inside.mp3", "outside.mp3"}},
                                    {"B", {"02.mp3"}},
                                    {"Out", {"y.mp3"}}}));
  EXPECT_TRUE(w.links_skipped.empty());
  const auto listed =
      scan::list_audio_files(dir_ / "lib/A", scan::LinkRule((dir_ / "lib").string(), true));
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, (std::vector<std::string>{"01.mp3", "inside.mp3", "outside.mp3"}));
}

TEST_F(WalkerLinks, TheRootMayItselfBeReachedThroughALink) {
  fs::create_directory_symlink(dir_ / "lib", dir_ / "via");
  const Walked w = walk(dir_ / "via");
  EXPECT_EQ(by_directory(w), (Files{{"A", {"01.mp3", "inside.mp3"}}, {"B", {"02.mp3"}}}));
  EXPECT_EQ(w.links_skipped.size(), 3u);
}

// The per-directory units' question: behind which link out of the library a file lies.
TEST_F(WalkerLinks, RefusedLinkNamesTheLinkOutOnAFilesWay) {
  fs::create_directory_symlink("../Out", dir_ / "lib/A/via-inside");  // inside, then out
  const scan::LinkRule rule((dir_ / "lib").string(), false);
  const std::string lib = (dir_ / "lib").string();
  EXPECT_EQ(rule.refused_link(lib + "/A", "01.mp3"), std::nullopt);
  EXPECT_EQ(rule.refused_link(lib + "/A", "inside.mp3"), std::nullopt);
  EXPECT_EQ(rule.refused_link(lib + "/A", "outside.mp3"), "outside.mp3");
  EXPECT_EQ(rule.refused_link(lib, "A/outside.mp3"), "A/outside.mp3");
  EXPECT_EQ(rule.refused_link(lib, "Out/y.mp3"), "Out");
  EXPECT_EQ(rule.refused_link(lib + "/A", "via-inside/y.mp3"), "via-inside");
  EXPECT_EQ(rule.refused_link(lib + "/A", "gone.jpg"), std::nullopt) << "nothing to open";
  const scan::LinkRule follows(lib, true);
  EXPECT_EQ(follows.refused_link(lib, "Out/y.mp3"), std::nullopt);
  EXPECT_EQ(follows.refused_link(lib + "/A", "outside.mp3"), std::nullopt);
}

TEST_F(WalkerLinks, ALinkLoopInsideTheLibraryIsStillReported) {
  fs::create_directory_symlink("..", dir_ / "lib/A/up");
  const Walked w = walk(dir_ / "lib");
  ASSERT_EQ(w.errors.size(), 1u);
  EXPECT_EQ(w.errors[0].path, "A/up");
  EXPECT_NE(w.errors[0].reason.find("symbolic link loop"), std::string::npos);
}
