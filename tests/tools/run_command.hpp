#pragma once
// Running a program from the tools tests: no shell (paths hold spaces, '#', '%', emoji and
// non-UTF-8 bytes), stdin from /dev/null, stdout and stderr captured through files in a
// scratch directory, so concurrent runs need no pipes. Used by make_library_test and
// movie_library_test.

#include <filesystem>
#include <string>
#include <vector>

namespace scanhub::tests {

struct RunResult {
  int exit_code = -1;  ///< the exit status; 128 + signal when killed; -1 when it did not start
  std::string out;     ///< everything written to stdout
  std::string err;     ///< everything written to stderr
};

/// The file's bytes; empty when it cannot be read.
std::string read_file(const std::filesystem::path& path);

/// Runs `argv` (argv[0] looked up in PATH) and waits for it; `scratch` must exist.
RunResult run(const std::vector<std::string>& argv, const std::filesystem::path& scratch);

}  // namespace scanhub::tests
