#pragma once
// Runs the real scanhub binary (SCANHUB_BINARY) as a user would, for the CLI tests of issue 5.

#include "audio_fixtures.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <vector>

namespace scanhub::test {

struct ScanhubRun {
  int status = -1;  ///< exit status; -1 when it did not exit normally
  std::string out;  ///< stdout and stderr together
};

/// Runs scanhub with `args` (shell-quoted), killed after 60 s.
inline ScanhubRun run_scanhub(const std::vector<std::string>& args) {
  std::string command = std::string("timeout 60 ") + SCANHUB_BINARY;
  for (const auto& arg : args) command += " " + shell_quote(arg);
  command += " 2>&1 </dev/null";
  ScanhubRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return run;
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) run.out.append(buffer, n);
  const int status = ::pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

}  // namespace scanhub::test
