#pragma once
// Child processes for the benchmark: timed runs to completion and one long-lived daemon.
//
// Programs are started with posix_spawnp (argv as a vector, no shell), stdin from /dev/null and
// stdout/stderr redirected to files, so the timed region holds no pipe traffic of ours: only the
// spawn, the child's life and wait4. Called from the benchmark's one thread.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace scanhub::bench {

/// A child could not be started, waited for or stopped. what() is one line.
class ProcessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TimedRun {
  int exit_code = 0;                 ///< exit status, or 128 + signal number
  std::chrono::nanoseconds wall{0};  ///< posix_spawnp to wait4's return, steady clock
  long max_rss_kb = 0;               ///< the child's peak RSS (wait4 rusage ru_maxrss), KiB
  std::chrono::nanoseconds cpu{0};   ///< the child's user + system CPU time (wait4 rusage)
  double machine_busy_seconds = 0;   ///< busy CPU-seconds of the whole machine meanwhile
  std::string out;                   ///< everything the child wrote to stdout
  std::string err;                   ///< everything the child wrote to stderr
};

/// Runs argv (argv[0] looked up in PATH) to completion. `capture_dir` receives the stdout and
/// stderr files (overwritten on every call). Throws ProcessError only when the child cannot be
/// started or waited for; a non-zero exit is reported in exit_code.
TimedRun run_timed(const std::vector<std::string>& argv, const std::filesystem::path& capture_dir);

/// Installs SIGINT, SIGTERM and SIGHUP handlers that SIGKILL the running ChildProcess (if any)
/// and then die of the signal, so a benchmark stopped from outside leaves no daemon behind.
/// Call once, early in main.
void kill_daemon_on_fatal_signals() noexcept;

/// A daemon started as our child (never detached); one at a time. The destructor kills it (SIGKILL)
/// if it is still running, so an exception never leaves it behind; call stop() for a clean
/// shutdown.
class ChildProcess {
 public:
  /// Starts argv with stdout and stderr appended to `log_file`. Throws ProcessError.
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log_file);
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const noexcept { return pid_; }

  /// True once the child has exited (reaped here; exit_code() then holds its status).
  bool has_exited();
  int exit_code() const noexcept { return exit_code_; }

  /// SIGTERM, then waits up to `grace`; SIGKILL after that. Returns the exit code (128 + signal
  /// when killed). Throws ProcessError when the child had to be killed.
  int stop(std::chrono::milliseconds grace);

 private:
  pid_t pid_ = -1;  ///< -1 once reaped
  int exit_code_ = 0;
};

}  // namespace scanhub::bench
