#include "server_process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace scanhub::bench {

namespace {

std::string errno_text(int error) { return std::strerror(error); }

int exit_code_of(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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

}  // namespace

std::uint64_t raise_open_files_limit(std::uint64_t wanted) noexcept {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur >= wanted) return limit.rlim_cur;
  rlimit raised{wanted, std::max<rlim_t>(wanted, limit.rlim_max)};
  if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {  // not root: as far as the hard limit goes
    raised = {limit.rlim_max, limit.rlim_max};
    ::setrlimit(RLIMIT_NOFILE, &raised);
  }
  ::getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

ServerProcess::ServerProcess(const std::vector<std::string>& argv,
                             const std::filesystem::path& log_file,
                             std::chrono::milliseconds ready_timeout) {
  if (argv.empty()) throw ServerError("no server command");
  int in_pipe[2];
  int out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0) {
    throw ServerError("pipe2: " + errno_text(errno));
  }
  SpawnActions actions;
  ::posix_spawn_file_actions_adddup2(actions.get(), in_pipe[0], STDIN_FILENO);
  ::posix_spawn_file_actions_adddup2(actions.get(), out_pipe[1], STDOUT_FILENO);
  ::posix_spawn_file_actions_addopen(actions.get(), STDERR_FILENO, log_file.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int rc = ::posix_spawnp(&pid_, args[0], actions.get(), nullptr, args.data(), environ);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  if (rc != 0) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    pid_ = -1;
    throw ServerError("cannot start " + argv[0] + ": " + errno_text(rc));
  }
  stdin_ = in_pipe[1];

  // "ready <port>\n" on stdout; nothing else is read from it.
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{out_pipe[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      ::close(out_pipe[0]);
      stop(std::chrono::seconds(1));
      throw ServerError(argv.back() + " did not say ready in time (log: " + log_file.string() + ")");
    }
    char buffer[256];
    const ssize_t n = ::read(out_pipe[0], buffer, sizeof buffer);
    if (n <= 0) {
      ::close(out_pipe[0]);
      stop(std::chrono::seconds(1));
      throw ServerError(argv.back() + " exited before it was ready (log: " + log_file.string() + ")");
    }
    line.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(out_pipe[0]);
  unsigned port = 0;
  if (!line.starts_with("ready ") ||
      std::from_chars(line.data() + 6, line.data() + line.size(), port).ec != std::errc() ||
      port == 0 || port > 65535) {
    stop(std::chrono::seconds(1));
    throw ServerError(argv.back() + " said '" + line.substr(0, line.find('\n')) + "', not ready <port>");
  }
  port_ = static_cast<std::uint16_t>(port);
}

ServerProcess::~ServerProcess() {
  try {
    stop();
  } catch (...) {
  }
}

void ServerProcess::write(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(stdin_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw ServerError("writing to the server (pid " + std::to_string(pid_) +
                        "): " + errno_text(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::chrono::nanoseconds ServerProcess::cpu_time() const {
  const std::string dir = "/proc/" + std::to_string(pid_) + "/task";
  DIR* tasks = ::opendir(dir.c_str());
  if (!tasks) throw ServerError("server " + std::to_string(pid_) + " is gone");
  std::int64_t total = 0;
  while (const dirent* entry = ::readdir(tasks)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream in(dir + "/" + entry->d_name + "/schedstat");
    std::int64_t on_cpu = 0;
    if (in >> on_cpu) total += on_cpu;
  }
  ::closedir(tasks);
  return std::chrono::nanoseconds(total);
}

long ServerProcess::rss_kb() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) {
      std::istringstream fields(line.substr(6));
      long kb = 0;
      fields >> kb;
      return kb;
    }
  }
  throw ServerError("no VmRSS for server " + std::to_string(pid_));
}

int ServerProcess::stop(std::chrono::milliseconds grace) {
  if (stdin_ >= 0) {
    ::close(stdin_);
    stdin_ = -1;
  }
  if (pid_ < 0) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  for (;;) {
    const pid_t rc = ::waitpid(pid_, &status, WNOHANG);
    if (rc == pid_) break;
    if (rc < 0 && errno != EINTR) {
      pid_ = -1;
      return exit_code_ = 128;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  return exit_code_ = exit_code_of(status);
}

}  // namespace scanhub::bench
