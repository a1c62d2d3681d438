#include "embed/external_model.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <thread>
#include <utility>

extern char** environ;

namespace scanhub::embed {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kStderrKept = 2048;
constexpr std::chrono::milliseconds kPollSlice{50};  // how often `stop` is looked at

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const noexcept { return fd_; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read, write;
};

Pipe make_pipe() {
  std::array<int, 2> fds{};
  // O_CLOEXEC: a process another thread spawns at the same time must not inherit our ends.
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    throw ExternalModelError(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  Pipe pipe;
  pipe.read = Fd(fds[0]);
  pipe.write = Fd(fds[1]);
  return pipe;
}

std::string describe_command(const std::vector<std::string>& command) {
  std::string text;
  for (const auto& arg : command) {
    if (!text.empty()) text += ' ';
    text += arg;
  }
  return text;
}

// The child's stderr as one line for an error message.
std::string stderr_excerpt(const std::string& text) {
  std::string line;
  for (const char c : text) {
    line += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line.empty() ? "" : ": " + line;
}

// Kills the child's whole process group (it is its own group leader) and reaps the child.
void kill_and_reap(pid_t pid) noexcept {
  ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

std::vector<float> parse_vector_json(std::string_view text, std::size_t max_dimension) {
  const auto excerpt = [&] {
    std::string head(text.substr(0, 80));
    for (char& c : head) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return head + (text.size() > 80 ? "..." : "");
  };
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(text, ec);
  if (ec) {
    throw ExternalModelError("printed no JSON (" + ec.message() + "): \"" + excerpt() + "\"");
  }
  if (!value.is_array())
    throw ExternalModelError("printed JSON that is not an array: \"" + excerpt() + "\"");
  const auto& array = value.as_array();
  if (array.empty()) throw ExternalModelError("printed an empty array");
  if (array.size() > max_dimension) {
    throw ExternalModelError("printed " + std::to_string(array.size()) + " numbers, more than " +
                             std::to_string(max_dimension));
  }
  std::vector<float> vector;
  vector.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    const auto& element = array[i];
    if (!element.is_number()) {
      throw ExternalModelError("element " + std::to_string(i) + " of the array is not a number");
    }
    const double number = element.to_number<double>();
    const auto f = static_cast<float>(number);
    if (!std::isfinite(f)) {
      throw ExternalModelError("element " + std::to_string(i) +
                               " of the array is not a finite float");
    }
    vector.push_back(f);
  }
  return vector;
}

std::vector<float> run_external_model(const ExternalModelOptions& options,
                                      const std::filesystem::path& file, std::stop_token stop) {
  if (options.command.empty())
    throw ExternalModelError("no command configured for model " + options.model);
  const std::string what =
      "model " + options.model + " (" + describe_command(options.command) + ")";

  std::vector<std::string> args = options.command;
  args.push_back(file.string());
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  Pipe out = make_pipe();
  Pipe err = make_pipe();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own process group, so a timeout kills what it started too (a script's children).
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t no_signals, default_signals;
  sigemptyset(&no_signals);
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    throw ExternalModelError(what + " could not be started: " + std::strerror(spawned));
  }
  out.write.reset();
  err.write.reset();

  const auto deadline = Clock::now() + options.timeout;
  std::string output, errors;
  bool out_open = true, err_open = true;
  std::array<char, 65536> buffer{};
  const auto fail = [&](const std::string& reason) -> std::vector<float> {
    kill_and_reap(pid);
    throw ExternalModelError(what + " " + reason + stderr_excerpt(errors));
  };
  const auto timeout_text = [&] {
    return "timed out after " + std::to_string(options.timeout.count()) + " ms and was killed";
  };

  while (out_open || err_open) {
    if (stop.stop_requested()) return fail("was stopped (the job was cancelled)");
    const auto now = Clock::now();
    if (now >= deadline) return fail(timeout_text());
    const auto wait = std::min<Clock::duration>(deadline - now, kPollSlice);
    std::array<pollfd, 2> fds{pollfd{out_open ? out.read.get() : -1, POLLIN, 0},
                              pollfd{err_open ? err.read.get() : -1, POLLIN, 0}};
    const int ready =
        ::poll(fds.data(), fds.size(),
               static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return fail(std::string("could not be read: ") + std::strerror(errno));
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
        continue;
      }
      if (i == 0) {
        output.append(buffer.data(), static_cast<std::size_t>(n));
        if (output.size() > options.max_output_bytes) {
          return fail("printed more than " + std::to_string(options.max_output_bytes) + " bytes");
        }
      } else {
        errors.append(buffer.data(), static_cast<std::size_t>(n));
        if (errors.size() > 2 * kStderrKept) errors.erase(0, errors.size() - kStderrKept);
      }
    }
  }
  if (errors.size() > kStderrKept) errors.erase(0, errors.size() - kStderrKept);

  // Both pipes closed; the process may still be running (it closed them itself). Wait for it
  // without reaping (WNOWAIT), so its process group id cannot be reused before we kill what it
  // left behind in the group.
  for (;;) {
    siginfo_t info{};
    const int rc = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
    if (rc == 0 && info.si_pid == pid) break;
    if (rc < 0 && errno != EINTR) {
      return fail(std::string("could not be waited for: ") + std::strerror(errno));
    }
    if (stop.stop_requested()) return fail("was stopped (the job was cancelled)");
    if (Clock::now() >= deadline) return fail(timeout_text());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    throw ExternalModelError(what + " was killed by signal " + std::to_string(WTERMSIG(status)) +
                             stderr_excerpt(errors));
  }
  if (WEXITSTATUS(status) != 0) {
    throw ExternalModelError(what + " exited with status " + std::to_string(WEXITSTATUS(status)) +
                             stderr_excerpt(errors));
  }
  try {
    return parse_vector_json(output, options.max_dimension);
  } catch (const ExternalModelError& e) {
    throw ExternalModelError(what + " " + e.what());
  }
}

std::vector<std::string> split_command_line(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::exchange(word, {}));
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      const auto end = line.find('\'', i + 1);
      if (end == std::string_view::npos) {
        throw std::invalid_argument("unterminated ' in command: " + std::string(line));
      }
      word.append(line.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i >= line.size()) {
          throw std::invalid_argument("unterminated \" in command: " + std::string(line));
        }
        if (line[i] == '"') break;
        if (line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) ++i;
        word += line[i];
      }
    } else if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) throw std::invalid_argument("the command is empty");
  return words;
}

}  // namespace scanhub::embed
