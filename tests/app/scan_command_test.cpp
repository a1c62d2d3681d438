// `scanhub scan` as a user runs it: exit codes, one-line errors, the summary, --json.

#include "support/library_fixture.hpp"
#include "support/run_command.hpp"

#include <boost/json.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace scanhub;

namespace {

using test::CommandResult;

// `scanhub ARGUMENTS` (already quoted for the shell); the scans here take seconds.
CommandResult run_scanhub(const std::string& arguments, const test::TempDir& dir) {
  return test::run_command(std::string(SCANHUB_BINARY) + " " + arguments, dir.path(), 120);
}

std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

}  // namespace

TEST(ScanCommand, AMissingPathIsAOneLineError) {
  test::TempDir dir;
  const CommandResult run = run_scanhub("scan " + quoted(dir / "nope") + " --db " + quoted(dir / "db"), dir);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "scanhub: no such directory: " + (dir / "nope").string() + "\n");
}

TEST(ScanCommand, AFileIsNotALibrary) {
  test::TempDir dir;
  std::ofstream(dir / "file.mp3").put('x');
  const CommandResult run = run_scanhub("scan " + quoted(dir / "file.mp3") + " --db " + quoted(dir / "db"), dir);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("not a directory"), std::string::npos) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1);
}

TEST(ScanCommand, AnUnwritableDatabaseIsAOneLineError) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "library");
  // Root ignores permissions, so use places no one can write: a file as a directory, /proc.
  std::ofstream(dir / "plain").put('x');
  for (const std::string& db : std::vector<std::string>{(dir / "plain" / "scanhub.db").string(), "/proc/scanhub/x.db"}) {
    const CommandResult run = run_scanhub("scan " + quoted(dir / "library") + " --db '" + db + "'", dir);
    EXPECT_EQ(run.exit_code, 1) << db;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_NE(run.err.find("database"), std::string::npos) << run.err;
  }
  // A directory where the database file should be.
  std::filesystem::create_directories(dir / "isdir.db");
  const CommandResult run = run_scanhub("scan " + quoted(dir / "library") + " --db " + quoted(dir / "isdir.db"), dir);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "scanhub: cannot open the database " + (dir / "isdir.db").string() +
                         ": it is a directory, not a database file\n");
}

TEST(ScanCommand, CompletesWithPerFileErrorsAndPrintsASummary) {
  test::TempDir dir;
  const auto manifest = test::make_library(dir / "library", 30, 2);
  const CommandResult run = run_scanhub("scan " + quoted(dir / "library") + " --db " + quoted(dir / "db"), dir);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("completed"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("30 found, 30 new, 0 updated, 0 removed"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("errors:      " + std::to_string(manifest.error_paths.size())), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("Bad/"), std::string::npos) << "first error reasons are listed";
  EXPECT_NE(run.out.find("discovering"), std::string::npos) << "durations per phase";
}

TEST(ScanCommand, JsonPrintsTheHubsEventsOnePerLine) {
  test::TempDir dir;
  const auto manifest = test::make_library(dir / "library", 30, 2);
  const CommandResult run = run_scanhub("scan " + quoted(dir / "library") + " --json --db " + quoted(dir / "db"), dir);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::istringstream lines(run.out);
  std::string line;
  std::vector<std::string> targets;
  boost::json::object summary;
  while (std::getline(lines, line)) {
    boost::system::error_code ec;
    const auto value = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    const auto& o = value.as_object();
    targets.emplace_back(o.at("target").as_string());
    if (targets.back() == "ScanCompleted") summary = o.at("arguments").as_array().at(1).as_object();
  }
  ASSERT_GE(targets.size(), 3u);
  EXPECT_EQ(targets.front(), "ScanProgress");
  EXPECT_EQ(targets[targets.size() - 2], "IndexingCompleted");
  EXPECT_EQ(targets.back(), "ScanCompleted");
  EXPECT_EQ(summary.at("totalTracksIndexed").as_int64(), static_cast<std::int64_t>(manifest.tracks.size()));
  EXPECT_EQ(summary.at("errorsCount").as_int64(), static_cast<std::int64_t>(manifest.error_paths.size()));
  EXPECT_EQ(summary.at("totalDirectoriesScanned").as_int64(), manifest.directories_with_audio);
  EXPECT_TRUE(summary.at("indexingDuration").as_string().starts_with("PT"));
}

// A name holding escape sequences (retitle the window, clear the screen, red text) is printed
// as text: no control byte of it reaches the terminal, in the summary, its error listing or a
// one-line error.
TEST(ScanCommand, ControlCharactersInNamesAreEscaped) {
  test::TempDir dir;
  const auto root = dir / "lib\x1b[31m";
  std::filesystem::create_directories(root);
  std::ofstream(root / "\x1b]0;pwned\x07\x1b[2Jevil.mp3") << "not audio";
  const CommandResult run =
      run_scanhub("scan " + quoted(root) + " --db " + quoted(dir / "db"), dir);
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find('\x07'), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Scanning " + (dir / "lib").string() + "\\x1b[31m"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("\\x1b]0;pwned\\x07\\x1b[2Jevil.mp3: "), std::string::npos) << run.out;

  const CommandResult missing =
      run_scanhub("scan " + quoted(dir / "gone\x1b[2J") + " --db " + quoted(dir / "db"), dir);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "scanhub: no such directory: " + (dir / "gone").string() + "\\x1b[2J\n");
}
