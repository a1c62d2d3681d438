#pragma once
// Music Player Daemon, the peer: `mpd --no-daemon CONF` as our child, listening on a unix socket
// in the runtime directory only (no TCP), driven and timed with `mpc update --wait`.
//
// MPD starts an update by itself when its db_file is missing (and then saves that file). So that
// each timed full update is exactly one update from nothing, the constructor has MPD build an
// empty database once (music_directory = an empty directory) and every full update starts a new
// daemon on a copy of it: MPD loads it, starts no update, and reports 0 songs until we ask.
// auto_update is off, so nothing but our `mpc update` ever updates. Log level "warning", as
// scanhub's default, so neither side pays for a line per track.

#include "child_process.hpp"
#include "measurement.hpp"
#include "system_load.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace scanhub::bench {

struct MpdOptions {
  std::string mpd = "mpd";  ///< looked up in PATH unless a path
  std::string mpc = "mpc";
  std::filesystem::path library;      ///< music_directory
  std::filesystem::path runtime_dir;  ///< config, socket, database, log (short path: sun_path)
  int expected_tracks = 0;
  std::chrono::seconds start_timeout{30};
  const QuietGate* gate = nullptr;  ///< waited on before each timed run; must outlive us
};

class MpdPeer {
 public:
  /// Writes the configurations and builds the empty database template (starts and stops MPD
  /// once). Throws ProcessError or VerificationError, with MPD's log, when MPD does not come up.
  explicit MpdPeer(MpdOptions options);
  MpdPeer(const MpdPeer&) = delete;
  MpdPeer& operator=(const MpdPeer&) = delete;
  ~MpdPeer();  ///< kills a daemon still running

  /// Restarts MPD on a fresh copy of the empty database, checks it reports 0 songs and no update
  /// running, then times `mpc update --wait` (spawn to exit). peak_rss_kb is the daemon's VmHWM
  /// (since its start); cpu is the daemon's CPU time during the run (/proc/PID/stat, clock ticks)
  /// plus mpc's. Throws VerificationError unless MPD then has `expected_tracks` songs.
  Measurement full_update();

  /// Times `mpc update --wait` again on the daemon full_update() left running (the database is
  /// in its memory; files are compared by mtime). Same checks.
  Measurement no_change_update();

  /// Stops the daemon cleanly (SIGTERM, then waits); does nothing when none runs.
  void stop();

  /// "Music Player Daemon 0.23.12" (first line of `mpd --version`).
  std::string version() const { return version_; }

 private:
  void start(const std::filesystem::path& config);
  void wait_until_ready(const std::filesystem::path& config);
  Measurement timed_update(const char* name);
  int songs();
  bool updating();
  std::string mpc_or_throw(const std::vector<std::string>& args);
  long vm_hwm_kb() const;
  std::chrono::nanoseconds daemon_cpu() const;
  std::string log_tail() const;

  MpdOptions options_;
  std::filesystem::path socket_;
  std::filesystem::path log_;
  std::filesystem::path database_;
  std::filesystem::path empty_database_;
  std::filesystem::path config_;
  std::string version_;
  std::optional<ChildProcess> daemon_;
};

}  // namespace scanhub::bench
