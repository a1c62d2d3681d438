// `scanhub user` and `scanhub apikey` as an operator runs them (issue 16 item 2 and API keys):
// passwords from stdin when it is not a terminal, refusals in one line, the key printed once and
// stored only as its hash. Real binary, real database file.

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

using namespace scanhub;
using test::shell_quoted;

namespace {

class UserCommandTest : public ::testing::Test {
 protected:
  // `stdin_text` piped into the command (run_command itself gives /dev/null).
  test::CommandResult run(const std::string& arguments, const std::string& stdin_text = {}) {
    const std::string line = "printf %s " + shell_quoted(stdin_text) + " | " + SCANHUB_BINARY + " " +
                             arguments + " --db " + shell_quoted(db_.string());
    return test::run_command("sh -c " + shell_quoted(line), dir_.path());
  }
  std::string database_bytes() const {
    std::ifstream in(db_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  test::TempDir dir_;
  std::filesystem::path db_ = dir_ / "data" / "scanhub.db";
};

TEST_F(UserCommandTest, AddsListsAndRemovesUsers) {
  auto added = run("user add Ada --admin", "correct horse battery\n");
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(added.out, "Added user Ada, an admin, (id 1).\n");
  ASSERT_EQ(run("user add bob", "another one\n").exit_code, 0);
  // The password itself is nowhere in the file, only its Argon2id hash.
  EXPECT_EQ(database_bytes().find("correct horse battery"), std::string::npos);
  EXPECT_NE(database_bytes().find("$argon2id$"), std::string::npos);

  const auto listed = run("user list");
  ASSERT_EQ(listed.exit_code, 0);
  EXPECT_NE(listed.out.find("1\tAda\tadmin\t"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("2\tbob\tuser\t"), std::string::npos) << listed.out;

  const auto removed = run("user remove ADA");
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  const auto again = run("user remove ada");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err, "scanhub user remove: there is no user ada\n");
}

TEST_F(UserCommandTest, RefusesAnEmptyPasswordAndATakenName) {
  const auto empty = run("user add ada", "\n");
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_EQ(empty.err, "scanhub user add: the password is empty; type one at the prompt or give one line on stdin\n");
  ASSERT_EQ(run("user add ada", "pw\n").exit_code, 0);
  const auto taken = run("user add ADA", "pw\n");
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_EQ(taken.err, "scanhub user add: there is already a user ADA\n");
  const auto password = run("user password Ada", "new password\n");
  EXPECT_EQ(password.exit_code, 0) << password.err;
  EXPECT_EQ(password.out, "Changed the password of Ada.\n");
}

TEST_F(UserCommandTest, PrintsAnApiKeyOnceAndRevokesIt) {
  ASSERT_EQ(run("user add ada", "pw\n").exit_code, 0);
  const auto created = run("apikey create reporter --user ada");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_EQ(created.out.size(), 4u + 43u + 1u) << created.out;
  EXPECT_TRUE(created.out.starts_with("shk_"));
  const std::string key = created.out.substr(0, created.out.size() - 1);
  EXPECT_EQ(database_bytes().find(key), std::string::npos);

  const auto listed = run("apikey list");
  EXPECT_EQ(listed.out.find(key), std::string::npos);
  EXPECT_NE(listed.out.find("reporter\tuser ada\t-\t"), std::string::npos) << listed.out;

  EXPECT_EQ(run("apikey create Reporter").exit_code, 1);
  const auto unknown_user = run("apikey create other --user nobody");
  EXPECT_EQ(unknown_user.exit_code, 1);
  EXPECT_EQ(unknown_user.err, "scanhub apikey create: there is no user nobody\n");

  EXPECT_EQ(run("apikey revoke reporter").out, "Revoked API key reporter.\n");
  EXPECT_EQ(run("apikey revoke reporter").exit_code, 1);
}

}  // namespace

namespace {

TEST_F(UserCommandTest, ServeRefusesABadJwtKeyInOneLine) {
  std::ofstream(dir_ / "short.key") << "too short\n";
  const auto run_serve = [&](const std::string& key) {
    return test::run_command(std::string(SCANHUB_BINARY) + " serve --port 0 --no-watch --db " +
                                 shell_quoted(db_.string()) + " --jwt-key " + shell_quoted(key),
                             dir_.path(), 30);
  };
  const auto missing = run_serve((dir_ / "missing.pem").string());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "scanhub: " + (dir_ / "missing.pem").string() + ": no such key file\n");
  const auto short_key = run_serve((dir_ / "short.key").string());
  EXPECT_EQ(short_key.exit_code, 1);
  EXPECT_EQ(short_key.err, "scanhub: " + (dir_ / "short.key").string() +
                               ": an HS secret must be at least 32 bytes (it has 9)\n");
}

}  // namespace
