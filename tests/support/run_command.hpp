#pragma once
// Runs a program as a user would from a shell, for tests of command-line behaviour: its exit
// code, stdout and stderr apart. Bounded: the command is killed after `timeout_seconds`.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace scanhub::test {

struct CommandResult {
  int exit_code = -1;  ///< -1 when it did not exit normally (killed by the timeout)
  std::string out;
  std::string err;
};

/// `command` is a shell command line (quote its arguments with shell_quoted). stderr goes
/// through a file in `scratch` (a directory the caller owns).
inline CommandResult run_command(const std::string& command, const std::filesystem::path& scratch,
                                 int timeout_seconds = 60) {
  const auto err_file = scratch / "stderr.txt";
  const std::string line = "timeout " + std::to_string(timeout_seconds) + " " + command + " 2> '" +
                           err_file.string() + "' < /dev/null";
  CommandResult run;
  FILE* pipe = ::popen(line.c_str(), "r");
  if (!pipe) return run;
  std::array<char, 4096> buffer{};
  while (const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) run.out.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_file);
  std::stringstream text;
  text << in.rdbuf();
  run.err = text.str();
  return run;
}

/// `text` in single quotes for /bin/sh.
inline std::string shell_quoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace scanhub::test
