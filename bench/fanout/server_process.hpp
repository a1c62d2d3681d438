#pragma once
// A server under test, run as our child with pipes: the trigger interface of bench/fanout
// (stdout "ready <port>", stdin "msg <json>" lines, EOF to stop; see scanhub_server.cpp) and
// its resource use from /proc.
//
// Called from the benchmark's one thread. Throws ServerError when the server cannot be started,
// does not say it is ready in time, or dies.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::bench {

class ServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Raises RLIMIT_NOFILE (soft and, as root, hard) to at least `wanted` for this process and the
/// children it starts afterwards. Returns the soft limit now in force.
std::uint64_t raise_open_files_limit(std::uint64_t wanted) noexcept;

class ServerProcess {
 public:
  /// Starts argv[0] (looked up in PATH) with stderr appended to `log_file`, and waits up to
  /// `ready_timeout` for its "ready <port>" line.
  ServerProcess(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
                std::chrono::milliseconds ready_timeout = std::chrono::seconds(30));
  ~ServerProcess();  // stop(), errors ignored
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  pid_t pid() const noexcept { return pid_; }

  /// Writes `bytes` (whole lines) to the server's stdin; blocks while the pipe is full.
  void write(std::string_view bytes);

  /// CPU time of the server so far: user + system of every live thread, from
  /// /proc/PID/task/*/schedstat (ns resolution; /proc/PID/stat counts 10 ms ticks).
  std::chrono::nanoseconds cpu_time() const;
  /// Resident set size now (VmRSS), KiB.
  long rss_kb() const;

  /// Closes stdin (the server stops), waits up to `grace`, then SIGKILL. Returns the exit code
  /// (128 + signal when killed). Idempotent.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int exit_code_ = 0;
  std::uint16_t port_ = 0;
};

}  // namespace scanhub::bench
