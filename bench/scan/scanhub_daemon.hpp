#pragma once
// scanhub as a running server, timed like MPD (which is timed through `mpc update --wait`
// against its running daemon, so neither side's process start is in the figure):
// `scanhub serve --port 0 --library LIB --db DB --no-watch` as our child; a scan is
// POST /api/library/scan, timed from sending the request to the first GET /api/scans/{id}
// (polled every millisecond on one keep-alive loopback connection) that reports it ended.

#include "child_process.hpp"
#include "measurement.hpp"
#include "scanhub_subject.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace scanhub::bench {

class HttpConnection;

class ScanhubDaemon {
 public:
  explicit ScanhubDaemon(ScanhubOptions options);
  ScanhubDaemon(const ScanhubDaemon&) = delete;
  ScanhubDaemon& operator=(const ScanhubDaemon&) = delete;
  ~ScanhubDaemon();  ///< kills a server still running

  /// Restarts the server on an empty database and times one scan. peak_rss_kb is the server's
  /// VmHWM since its start; cpu the server's CPU time during the scan (/proc/PID/stat ticks).
  /// Throws VerificationError unless the scan completes with `expected_tracks` found, all new,
  /// no errors; ProcessError when the server cannot be started.
  Measurement full_scan();

  /// Times a scan on the server full_scan() left running: nothing new, updated or removed.
  Measurement rescan();

  /// Stops the server cleanly (SIGTERM, then waits); does nothing when none runs. Throws
  /// VerificationError when it does not exit 0.
  void stop();

 private:
  enum class Kind { full, rescan };
  Measurement timed_scan(Kind kind);
  void start();

  ScanhubOptions options_;
  std::filesystem::path database_;
  std::filesystem::path log_;
  std::optional<ChildProcess> server_;
  std::unique_ptr<HttpConnection> http_;
};

}  // namespace scanhub::bench
