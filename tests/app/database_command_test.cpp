// The database file as an operator meets it (issue 14): `scanhub db check`, the start-up
// quick_check that refuses a file damaged in the middle, and one line naming the path and the
// cause in words (never an SQL statement) for a database that cannot be opened. Real binary,
// real files; read-only cases drop root's permission override (CAP_DAC_OVERRIDE) with setpriv,
// since root writes anywhere.

#include "support/damaged_file.hpp"
#include "support/library_fixture.hpp"
#include "support/run_command.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>

using namespace scanhub;
using test::shell_quoted;

namespace {

std::string command_line(const std::string& arguments) { return std::string(SCANHUB_BINARY) + " " + arguments; }

int lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

class DatabaseCommandTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    library_dir_ = new test::TempDir();
    test::make_library(library_dir_->path() / "library", 300, 12, false);
  }
  static void TearDownTestSuite() { delete library_dir_; }

  static std::string library() { return shell_quoted((library_dir_->path() / "library").string()); }

  /// A database made by `scanhub scan` of the library.
  std::filesystem::path scanned_database() {
    const auto db = dir_ / "scanhub.db";
    const auto run = test::run_command(command_line("scan " + library() + " --no-embeddings --db " +
                                               shell_quoted(db.string())), dir_.path());
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return db;
  }

  static test::TempDir* library_dir_;
  test::TempDir dir_;
};

test::TempDir* DatabaseCommandTest::library_dir_ = nullptr;

}  // namespace

TEST_F(DatabaseCommandTest, DbCheckSaysOkAndExitsZeroOnAHealthyDatabase) {
  const auto db = scanned_database();
  const auto run = test::run_command(command_line("db check --db " + shell_quoted(db.string())), dir_.path());
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(run.out.starts_with(db.string() + ": ok (integrity_check and foreign_key_check")) << run.out;
  EXPECT_EQ(run.err, "");
}

TEST_F(DatabaseCommandTest, ADatabaseDamagedInTheMiddleIsRefusedAtStartAndDbCheckReportsIt) {
  const auto db = scanned_database();
  test::damage_middle_pages(db);
  const std::string quoted = shell_quoted(db.string());

  // serve and scan refuse to start: one line with the path, the first problem, what to do.
  const std::string refusal = "scanhub: the database " + db.string() + " is damaged (quick_check: ";
  const std::string advice = "): run `scanhub db check --db " + db.string() +
                             "` for the full report, and restore a backup\n";
  for (const std::string& command : {command_line("serve --port 0 --no-watch --db " + quoted),
                                     command_line("scan " + library() + " --no-embeddings --db " + quoted)}) {
    SCOPED_TRACE(command);
    const auto run = test::run_command(command, dir_.path());
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    EXPECT_TRUE(run.err.starts_with(refusal)) << run.err;
    EXPECT_TRUE(run.err.ends_with(advice)) << run.err;
    EXPECT_EQ(lines(run.err), 1) << run.err;
    EXPECT_EQ(run.out.find("serving"), std::string::npos) << run.out;
  }

  const auto check = test::run_command(command_line("db check --db " + quoted), dir_.path());
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  EXPECT_TRUE(check.out.starts_with(db.string() + ": damaged, ")) << check.out;
  EXPECT_GE(lines(check.out), 3) << "the heading, at least one problem, what to do:\n" << check.out;
  EXPECT_NE(check.out.find("Restore a backup of " + db.string()), std::string::npos) << check.out;
}

TEST_F(DatabaseCommandTest, DbCheckOfAMissingOrForeignFileExitsOne) {
  const auto missing = test::run_command(command_line("db check --db " + shell_quoted((dir_ / "nope.db").string())), dir_.path());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "scanhub db check: no database at " + (dir_ / "nope.db").string() + "\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "nope.db")) << "checking creates nothing";

  std::ofstream(dir_ / "notes.txt") << "shopping list: bread, milk, a new disk for the music";
  const auto foreign = test::run_command(command_line("db check --db " + shell_quoted((dir_ / "notes.txt").string())), dir_.path());
  EXPECT_EQ(foreign.exit_code, 1) << foreign.out << foreign.err;
  EXPECT_NE((foreign.out + foreign.err).find("not a database"), std::string::npos) << foreign.out << foreign.err;
}

TEST_F(DatabaseCommandTest, ADatabaseThatCannotBeOpenedIsOneLineNamingThePathAndTheCause) {
  // As root every file is writable: drop the override so permissions count, as for any user.
  const std::string as_user = ::geteuid() == 0 ? "setpriv --bounding-set=-dac_override,-dac_read_search " : "";
  if (!as_user.empty()) {
    ASSERT_EQ(std::system("setpriv --version > /dev/null 2>&1"), 0)
        << "setpriv (util-linux) is needed to test read-only files as root";
  }
  const auto healthy = scanned_database();
  std::filesystem::create_directories(dir_ / "read-only-file");
  std::filesystem::copy_file(healthy, dir_ / "read-only-file" / "scanhub.db");
  std::filesystem::permissions(dir_ / "read-only-file" / "scanhub.db", std::filesystem::perms::owner_read |
                               std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  std::filesystem::create_directories(dir_ / "read-only-dir");
  std::filesystem::copy_file(healthy, dir_ / "read-only-dir" / "scanhub.db");
  std::filesystem::permissions(dir_ / "read-only-dir", std::filesystem::perms::owner_read |
                               std::filesystem::perms::owner_exec);
  std::filesystem::create_directories(dir_ / "a-directory.db");
  std::ofstream(dir_ / "notes.db") << "shopping list: bread, milk, a new disk for the music";

  const struct {
    std::filesystem::path db;
    std::string message;
  } cases[] = {
      {dir_ / "read-only-file" / "scanhub.db", "the file is read-only (no write permission)"},
      {dir_ / "read-only-dir" / "scanhub.db",
       "its directory " + (dir_ / "read-only-dir").string() +
           " is not writable (SQLite keeps scanhub.db-wal and scanhub.db-shm beside the file)"},
      {dir_ / "a-directory.db", "it is a directory, not a database file"},
      {dir_ / "notes.db", "the file is not a SQLite database (or its first page is damaged)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.db.string());
    for (const std::string& command : {"scan " + library() + " --no-embeddings", std::string("serve --port 0 --no-watch")}) {
      const auto run = test::run_command(as_user + command_line(command + " --db " + shell_quoted(c.db.string())), dir_.path());
      EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
      EXPECT_EQ(run.err, "scanhub: cannot open the database " + c.db.string() + ": " + c.message + "\n");
    }
  }

  // A missing directory is made; one that cannot be made is named, with why.
  const auto missing = dir_ / "read-only-dir" / "new" / "scanhub.db";
  const auto run = test::run_command(as_user + command_line("scan " + library() + " --no-embeddings --db " +
                                                       shell_quoted(missing.string())), dir_.path());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "scanhub: cannot create the database directory " + missing.parent_path().string() +
                         ": Permission denied\n");
  std::filesystem::permissions(dir_ / "read-only-dir", std::filesystem::perms::owner_all);  // for TempDir's removal
}

TEST_F(DatabaseCommandTest, OnAReadOnlyFileSystemServeSaysSoAndDbCheckStillReadsIt) {
  const auto healthy = scanned_database();
  const auto mnt = dir_ / "read-only-fs";
  std::filesystem::create_directories(mnt);
  const std::string quoted_mnt = shell_quoted(mnt.string());
  ASSERT_EQ(std::system(("mount -t tmpfs -o size=4m tmpfs " + quoted_mnt + " 2>/dev/null").c_str()), 0)
      << "this test mounts a tmpfs: run it as root (CI does)";
  struct Unmount {
    std::string path;
    ~Unmount() { std::system(("umount " + path + " || umount -l " + path).c_str()); }
  } unmount{quoted_mnt};
  std::filesystem::copy_file(healthy, mnt / "scanhub.db");
  ASSERT_EQ(std::system(("mount -o remount,ro " + quoted_mnt).c_str()), 0);
  const std::string db = shell_quoted((mnt / "scanhub.db").string());

  const auto serve = test::run_command(command_line("serve --port 0 --no-watch --db " + db), dir_.path());
  EXPECT_EQ(serve.exit_code, 1);
  EXPECT_EQ(serve.err, "scanhub: cannot open the database " + (mnt / "scanhub.db").string() +
                           ": it is on a read-only file system\n");
  // A WAL database is read without its -shm file there (nothing can change it).
  const auto check = test::run_command(command_line("db check --db " + db), dir_.path());
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_TRUE(check.out.starts_with((mnt / "scanhub.db").string() + ": ok")) << check.out;
}
