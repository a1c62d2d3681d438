#include "mpd_peer.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

namespace scanhub::bench {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A string in MPD's configuration syntax: double quotes, with '"' and '\' escaped.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

struct ConfigPaths {
  fs::path music;
  fs::path database;
  fs::path runtime;  // log, pid, state and socket
};

void write_config(const fs::path& file, const ConfigPaths& paths) {
  std::ofstream out(file, std::ios::trunc);
  out << "music_directory " << quoted(paths.music.string()) << "\n"
      << "db_file " << quoted(paths.database.string()) << "\n"
      << "log_file " << quoted((paths.runtime / "mpd.log").string()) << "\n"
      << "log_level \"warning\"\n"
      << "pid_file " << quoted((paths.runtime / "mpd.pid").string()) << "\n"
      << "state_file " << quoted((paths.runtime / "mpd.state").string()) << "\n"
      << "bind_to_address " << quoted((paths.runtime / "mpd.socket").string()) << "\n"
      << "auto_update \"no\"\n"
      << "zeroconf_enabled \"no\"\n"
      << "audio_output {\n  type \"null\"\n  name \"benchmark\"\n  mixer_type \"none\"\n}\n";
  if (!out) throw ProcessError("cannot write " + file.string());
}

// True when MPD accepted a connection on `socket` and sent its "OK MPD x.y.z" greeting, which it
// does only once its event loop runs, that is after the database is loaded.
bool greets(const fs::path& socket, std::chrono::milliseconds timeout) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = socket.string();
  if (path.size() >= sizeof(address.sun_path)) {
    throw ProcessError("socket path too long for a unix socket: " + path);
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ProcessError(std::string("socket: ") + std::strerror(errno));
  bool ok = false;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
    pollfd poll_fd{fd, POLLIN, 0};
    char greeting[64] = {};
    if (::poll(&poll_fd, 1, static_cast<int>(timeout.count())) == 1) {
      const ssize_t n = ::read(fd, greeting, sizeof(greeting) - 1);
      ok = n > 0 && std::string_view(greeting, static_cast<std::size_t>(n)).starts_with("OK MPD");
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

MpdPeer::MpdPeer(MpdOptions options)
    : options_(std::move(options)),
      socket_(options_.runtime_dir / "mpd.socket"),
      log_(options_.runtime_dir / "mpd.log"),
      database_(options_.runtime_dir / "mpd.db"),
      empty_database_(options_.runtime_dir / "mpd-empty.db"),
      config_(options_.runtime_dir / "mpd.conf") {
  const TimedRun version = run_timed({options_.mpd, "--version"}, options_.runtime_dir);
  if (version.exit_code != 0) {
    throw ProcessError(options_.mpd + " --version failed (is MPD installed? scripts/install-deps)");
  }
  version_ = version.out.substr(0, version.out.find('\n'));

  // The empty template: MPD finds no db_file, updates the empty directory and saves the result.
  const fs::path empty_music = options_.runtime_dir / "empty-music";
  fs::create_directories(empty_music);
  fs::remove(empty_database_);
  const fs::path empty_config = options_.runtime_dir / "mpd-empty.conf";
  write_config(empty_config, {empty_music, empty_database_, options_.runtime_dir});
  start(empty_config);
  mpc_or_throw({"update", "--wait"});  // waits for the start-up update too
  stop();
  if (!fs::exists(empty_database_)) {
    throw VerificationError("MPD saved no empty database at " + empty_database_.string() +
                            "; its log:\n" + log_tail());
  }
  write_config(config_, {options_.library, database_, options_.runtime_dir});
}

MpdPeer::~MpdPeer() {
  try {
    stop();
  } catch (const std::exception&) {
    // The ChildProcess destructor has killed it; nothing more to do while unwinding.
  }
}

void MpdPeer::start(const fs::path& config) {
  stop();
  fs::remove(socket_);
  daemon_.emplace(std::vector<std::string>{options_.mpd, "--no-daemon", config.string()}, log_);
  wait_until_ready(config);
}

void MpdPeer::wait_until_ready(const fs::path& config) {
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (daemon_->has_exited()) {
      throw VerificationError("mpd " + config.string() + " exited with " +
                              std::to_string(daemon_->exit_code()) + "; its log:\n" + log_tail());
    }
    if (fs::exists(socket_) && greets(socket_, 1000ms)) return;
    std::this_thread::sleep_for(20ms);
  }
  throw VerificationError("mpd did not answer on " + socket_.string() + " within " +
                          std::to_string(options_.start_timeout.count()) + " s; its log:\n" +
                          log_tail());
}

void MpdPeer::stop() {
  if (!daemon_) return;
  const int code = daemon_->stop(10s);
  daemon_.reset();
  if (code != 0) {
    throw VerificationError("mpd exited with " + std::to_string(code) + " on SIGTERM; its log:\n" +
                            log_tail());
  }
}

Measurement MpdPeer::full_update() {
  stop();
  fs::copy_file(empty_database_, database_, fs::copy_options::overwrite_existing);
  start(config_);
  const int before = songs();
  if (before != 0 || updating()) {
    throw VerificationError("MPD full update: the daemon did not start empty and idle (" +
                            std::to_string(before) + " songs)");
  }
  return timed_update("MPD full update");
}

Measurement MpdPeer::no_change_update() {
  if (!daemon_) throw VerificationError("MPD no-change update without a daemon: full update first");
  return timed_update("MPD no-change update");
}

Measurement MpdPeer::timed_update(const char* name) {
  if (options_.gate != nullptr) options_.gate->wait();
  const auto cpu_before = daemon_cpu();
  const TimedRun run = run_timed({options_.mpc, "--host", socket_.string(), "update", "--wait"},
                                 options_.runtime_dir);
  const auto cpu = daemon_cpu() - cpu_before + run.cpu;
  if (run.exit_code != 0) {
    throw VerificationError(std::string(name) + ": mpc exit " + std::to_string(run.exit_code) +
                            ": " + run.err);
  }
  const long hwm = vm_hwm_kb();
  const int found = songs();
  if (found != options_.expected_tracks || updating()) {
    throw VerificationError(std::string(name) + ": MPD has " + std::to_string(found) +
                            " songs, expected " + std::to_string(options_.expected_tracks) +
                            "; its log:\n" + log_tail());
  }
  return {run.wall, hwm, found, cpu, background_cores(run.machine_busy_seconds, cpu, run.wall)};
}

int MpdPeer::songs() {
  std::istringstream stats(mpc_or_throw({"stats"}));
  for (std::string line; std::getline(stats, line);) {
    if (line.starts_with("Songs:")) return std::stoi(line.substr(6));
  }
  throw VerificationError("`mpc stats` printed no Songs line");
}

bool MpdPeer::updating() {
  return mpc_or_throw({"status"}).find("Updating DB") != std::string::npos;
}

std::string MpdPeer::mpc_or_throw(const std::vector<std::string>& args) {
  std::vector<std::string> argv{options_.mpc, "--host", socket_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const TimedRun run = run_timed(argv, options_.runtime_dir);
  if (run.exit_code != 0) {
    throw VerificationError("mpc " + args.front() + " failed (exit " +
                            std::to_string(run.exit_code) + "): " + run.err);
  }
  return run.out;
}

long MpdPeer::vm_hwm_kb() const { return daemon_ ? bench::vm_hwm_kb(daemon_->pid()) : 0; }

std::chrono::nanoseconds MpdPeer::daemon_cpu() const {
  return daemon_ ? process_cpu(daemon_->pid()) : std::chrono::nanoseconds{};
}

std::string MpdPeer::log_tail() const { return file_tail(log_); }

}  // namespace scanhub::bench
