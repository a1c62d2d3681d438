// Tests of the static file registry, content types, the on-disk override and the files
// embedded at build time (src/http/static_files.hpp, cmake/embed_files.cmake).
#include "http/static_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace scanhub::http {
namespace {

namespace fs = std::filesystem;

TEST(StaticFiles, FindsAndMapsRootToIndex) {
  StaticFiles files;
  files.add("/index.html", "text/html", "<h1>hi</h1>");
  files.add("/app.js", "text/javascript", "x");
  ASSERT_NE(files.find("/"), nullptr);
  EXPECT_EQ(files.find("/")->bytes, "<h1>hi</h1>");
  EXPECT_EQ(files.find("/app.js")->content_type, "text/javascript");
  EXPECT_EQ(files.find("/missing.js"), nullptr);
  EXPECT_THROW(files.add("relative", "x", ""), std::invalid_argument);
}

TEST(StaticFiles, ContentTypes) {
  EXPECT_EQ(content_type_for("/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("/a/b.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("/s.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("/i.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("/noext"), "application/octet-stream");
  EXPECT_EQ(content_type_for("/dir.d/noext"), "application/octet-stream");
}

TEST(StaticFiles, EmbedsTheSignalRClientByteForByte) {
  const StaticFiles files = embedded_static_files();
  const StaticFile* client = files.find("/lib/signalr.min.js");
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->content_type, "text/javascript; charset=utf-8");
  std::ifstream in(fs::path(SCANHUB_SOURCE_DIR) /
                       "node_modules/@microsoft/signalr/dist/browser/signalr.min.js",
                   std::ios::binary);
  ASSERT_TRUE(in);
  const std::string expected{std::istreambuf_iterator<char>(in), {}};
  EXPECT_EQ(client->bytes, expected);
}

TEST(StaticFiles, EmbedsEveryWebFile) {
  const StaticFiles files = embedded_static_files();
  const fs::path web = fs::path(SCANHUB_SOURCE_DIR) / "web";
  ASSERT_TRUE(fs::exists(web)) << "the dashboard sources are part of the repository";
  for (const auto& entry : fs::recursive_directory_iterator(web)) {
    if (!entry.is_regular_file() || entry.path().filename().string().starts_with(".")) continue;
    const std::string url = "/" + fs::relative(entry.path(), web).generic_string();
    const StaticFile* file = files.find(url);
    ASSERT_NE(file, nullptr) << url << " is not embedded (re-run cmake?)";
    EXPECT_EQ(file->bytes.size(), entry.file_size()) << url;
  }
}

class WebRoot : public testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("scanhub_web_root_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "_" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::create_directories(root_ / "css");
    write(root_ / "index.html", "home");
    write(root_ / "css" / "a.css", "body{}");
    write(root_.parent_path() / (root_.filename().string() + "_secret.txt"), "secret");
  }
  void TearDown() override {
    fs::remove_all(root_);
    fs::remove(root_.parent_path() / (root_.filename().string() + "_secret.txt"));
  }
  static void write(const fs::path& p, std::string_view text) { std::ofstream(p) << text; }
  fs::path root_;
};

TEST_F(WebRoot, ReadsFilesBelowTheRoot) {
  EXPECT_EQ(read_under_root(root_, "/"), "home");
  EXPECT_EQ(read_under_root(root_, "/css/a.css"), "body{}");
  EXPECT_FALSE(read_under_root(root_, "/missing"));
  EXPECT_FALSE(read_under_root(root_, "/css"));  // a directory
}

TEST_F(WebRoot, RefusesToLeaveTheRoot) {
  const std::string sibling = "/../" + root_.filename().string() + "_secret.txt";
  EXPECT_FALSE(read_under_root(root_, sibling));
  EXPECT_FALSE(read_under_root(root_, "/css/../../etc/passwd"));
  EXPECT_FALSE(read_under_root(root_, "/css\\a.css"));
  EXPECT_FALSE(read_under_root(root_, std::string("/index.html\0x", 13)));
  fs::create_symlink("/etc", root_ / "etc");
  EXPECT_FALSE(read_under_root(root_, "/etc/hostname"));
}

TEST(StaticFiles, DotSegments) {
  for (std::string_view path :
       {"/.git/config", "/.env", "/a/.cache/b", "/..", "/a/.", "/.well-known/x"}) {
    EXPECT_TRUE(has_dot_segment(path)) << path;
  }
  for (std::string_view path : {"/", "/index.html", "/js/app.min.js", "/a./b", "/a..b"}) {
    EXPECT_FALSE(has_dot_segment(path)) << path;
  }
}

TEST_F(WebRoot, NeverServesDotfiles) {
  fs::create_directories(root_ / ".git");
  write(root_ / ".git" / "config", "[core]");
  write(root_ / ".env", "SECRET=1");
  write(root_ / "css" / ".hidden.css", "x");
  EXPECT_FALSE(read_under_root(root_, "/.git/config"));
  EXPECT_FALSE(read_under_root(root_, "/.env"));
  EXPECT_FALSE(read_under_root(root_, "/css/.hidden.css"));
  // A plain name that is a symlink to a dotfile inside the root.
  fs::create_symlink(root_ / ".env", root_ / "env.txt");
  EXPECT_FALSE(read_under_root(root_, "/env.txt"));
  EXPECT_EQ(read_under_root(root_, "/css/a.css"), "body{}");
}

TEST_F(WebRoot, CheckAcceptsAFolderOfWebFiles) {
  const auto checked = check_web_root(root_ / "css" / "..");
  ASSERT_TRUE(checked) << checked.error();
  EXPECT_EQ(*checked, fs::canonical(root_));
}

TEST_F(WebRoot, CheckRefusesMissingFilesAndSystemDirectories) {
  EXPECT_EQ(check_web_root(root_ / "missing").error(), "no such directory");
  EXPECT_EQ(check_web_root(root_ / "index.html").error(), "not a directory");
  for (const char* path : {"/", "/etc", "/etc/ssl", "/proc", "/proc/self/root", "/proc/1",
                           "/sys/kernel", "/dev", "/usr", "/var", "/home", "/tmp", "/root"}) {
    if (!fs::is_directory(path)) continue;
    EXPECT_FALSE(check_web_root(path)) << path;
  }
  // Resolved before comparing: a link to / is /.
  fs::create_symlink("/", root_ / "slash");
  const auto through_link = check_web_root(root_ / "slash");
  ASSERT_FALSE(through_link);
  EXPECT_NE(through_link.error().find("/"), std::string::npos);
}

}  // namespace
}  // namespace scanhub::http
