#include "child_process.hpp"

#include "system_load.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>
#include <utility>

extern char** environ;

namespace scanhub::bench {
namespace {

namespace fs = std::filesystem;

// The running ChildProcess, for the signal handler (lock-free, so async-signal-safe).
std::atomic<pid_t> g_daemon{-1};
static_assert(std::atomic<pid_t>::is_always_lock_free);

extern "C" void on_fatal_signal(int signal_number) {
  const pid_t daemon = g_daemon.load();
  if (daemon > 0) ::kill(daemon, SIGKILL);
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

// Owns posix_spawn_file_actions_t.
class SpawnActions {
 public:
  SpawnActions() { ::posix_spawn_file_actions_init(&actions_); }
  ~SpawnActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  posix_spawn_file_actions_t* get() noexcept { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

int exit_code_of(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Starts argv with stdin from /dev/null and stdout/stderr opened by the child itself; stderr shares
// stdout's file when both paths are equal.
pid_t spawn_or_throw(const std::vector<std::string>& argv, const std::string& out_path,
                     const std::string& err_path, int open_flags) {
  if (argv.empty()) throw ProcessError("spawn: empty argv");
  SpawnActions actions;
  ::posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(actions.get(), STDOUT_FILENO, out_path.c_str(), open_flags,
                                     0644);
  if (err_path == out_path) {
    ::posix_spawn_file_actions_adddup2(actions.get(), STDOUT_FILENO, STDERR_FILENO);
  } else {
    ::posix_spawn_file_actions_addopen(actions.get(), STDERR_FILENO, err_path.c_str(), open_flags,
                                       0644);
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], actions.get(), nullptr, args.data(), environ);
  if (rc != 0) throw ProcessError("cannot start " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

std::chrono::nanoseconds to_duration(const timeval& tv) {
  return std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TimedRun run_timed(const std::vector<std::string>& argv, const fs::path& capture_dir) {
  const std::string out_path = (capture_dir / "child.out").string();
  const std::string err_path = (capture_dir / "child.err").string();
  constexpr int kFlags = O_WRONLY | O_CREAT | O_TRUNC;

  const CpuSample machine_before = sample_cpu();
  const auto started = std::chrono::steady_clock::now();
  const pid_t pid = spawn_or_throw(argv, out_path, err_path, kFlags);
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) throw ProcessError(std::string("wait4: ") + std::strerror(errno));
  }
  const auto finished = std::chrono::steady_clock::now();
  const CpuSample machine_after = sample_cpu();

  TimedRun run;
  run.exit_code = exit_code_of(status);
  run.wall = finished - started;
  run.max_rss_kb = usage.ru_maxrss;
  run.cpu = to_duration(usage.ru_utime) + to_duration(usage.ru_stime);
  run.machine_busy_seconds = busy_seconds(machine_before, machine_after);
  run.out = read_file(out_path);
  run.err = read_file(err_path);
  return run;
}

void kill_daemon_on_fatal_signals() noexcept {
  for (const int signal_number : {SIGINT, SIGTERM, SIGHUP})
    ::signal(signal_number, on_fatal_signal);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const fs::path& log_file)
    : pid_(spawn_or_throw(argv, log_file.string(), log_file.string(),
                          O_WRONLY | O_CREAT | O_APPEND)) {
  g_daemon = pid_;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), exit_code_(other.exit_code_) {}

ChildProcess::~ChildProcess() {
  if (pid_ < 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_t expected = pid_;
  g_daemon.compare_exchange_strong(expected, -1);
}

bool ChildProcess::has_exited() {
  if (pid_ < 0) return true;
  int status = 0;
  const pid_t rc = ::waitpid(pid_, &status, WNOHANG);
  if (rc == 0) return false;
  if (rc < 0) throw ProcessError(std::string("waitpid: ") + std::strerror(errno));
  exit_code_ = exit_code_of(status);
  pid_t expected = pid_;
  g_daemon.compare_exchange_strong(expected, -1);
  pid_ = -1;
  return true;
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (has_exited()) return exit_code_;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (has_exited()) return exit_code_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const pid_t pid = pid_;
  ::kill(pid_, SIGKILL);
  while (!has_exited()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  throw ProcessError("process " + std::to_string(pid) + " ignored SIGTERM for " +
                     std::to_string(grace.count()) + " ms and was killed");
}

}  // namespace scanhub::bench
