#pragma once
// Child processes for queue-bench: a timed run to completion (node running the BullMQ peer) and
// the redis-server daemon it talks to. Programs start with posix_spawnp (argv as a vector, no
// shell), stdin from /dev/null, stdout and stderr to files. Used from the benchmark's one thread.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace scanhub::bench {

class ProcessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Finished {
  int exit_code = 0;             ///< exit status, or 128 + signal number
  double cpu_seconds = 0;        ///< the child's user + system CPU (wait4 rusage)
  std::string out;               ///< its stdout
  std::string err;               ///< its stderr
};

/// Runs argv to completion; kills it (SIGKILL) after `timeout`. Throws ProcessError when it
/// cannot be started or waited for.
Finished run_to_completion(const std::vector<std::string>& argv,
                           const std::filesystem::path& capture_dir,
                           std::chrono::seconds timeout);

/// redis-server on a free loopback port, with `extra` arguments (e.g. --save "" --appendonly no),
/// its files in `dir`. The destructor stops it (SIGTERM, then SIGKILL after 5 s).
class RedisServer {
 public:
  RedisServer(const std::string& program, const std::filesystem::path& dir,
              const std::vector<std::string>& extra);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const noexcept { return port_; }
  /// Sends one inline command and returns the first reply line ("+OK", "+PONG", ...).
  std::string command(const std::string& line);
  /// The server's user + system CPU so far, from /proc/PID/stat.
  double cpu_seconds() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace scanhub::bench
