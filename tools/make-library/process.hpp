// Child processes (ffmpeg, ffprobe) without a shell.
//
// Arguments go to posix_spawnp as a vector, so names with spaces, quotes or non-ASCII bytes
// reach the program unchanged. Safe to call from several threads at once: pipes are created
// close-on-exec so one child never inherits another's pipe ends.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace scanhub::make_library {

/// Spawning failed, or a tool exited non-zero. what() is one line.
class ProcessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ProcessResult {
  int exit_code = 0;  ///< exit status, or 128 + signal number
  std::string out;    ///< everything the child wrote to stdout
  std::string err;    ///< everything the child wrote to stderr
};

/// Runs argv[0] (looked up in PATH) with stdin from /dev/null and waits for it.
/// Throws ProcessError only when the process cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv);

/// Runs `ffmpeg -nostdin -hide_banner -loglevel error -y ARGS...`.
/// Throws ProcessError("ffmpeg failed (exit N): <first stderr line>") on a non-zero exit.
void run_ffmpeg_or_throw(const std::vector<std::string>& args);

/// Returns the container duration in seconds that ffprobe reports for `path`.
/// Throws ProcessError when ffprobe fails or prints no duration.
double probe_duration_seconds_or_throw(const std::string& path);

/// ffmpeg and ffprobe treat "name:" prefixes as protocols; "file:" pins a path to a file.
inline std::string ffmpeg_url(const std::string& path) {
  return "file:" + path;
}

}  // namespace scanhub::make_library
