#pragma once
// `scanhub serve`: the HTTP API, the SignalR hubs, Metarr's event socket /ws and event stream
// /api/events (seeds 002 and 003) and the page at /, until SIGINT or SIGTERM; then a graceful
// stop (hub clients get a Close with allowReconnect, /ws clients a Close 1001).

#include "embed/embedding_enricher.hpp"
#include "live/surface.hpp"
#include "media/read_limits.hpp"
#include "signalr/hub_options.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scanhub::app {

struct ServeCommandOptions {
  /// IP address or host name to listen on; beyond loopback a warning says anyone who can reach
  /// the port can drive scanhub (no authentication yet).
  std::string address = "127.0.0.1";
  std::uint16_t port = 5031;  ///< 0: any free port (printed)
  std::vector<std::string> libraries;  ///< registered as music libraries at start
  std::vector<std::string> movie_libraries;  ///< registered as movie libraries at start
  /// The audio-embedding enricher of music scans' enriching phase (issue 5), on by default
  /// with the built-in model and seed 000's limits; nullopt (`--no-embeddings`) turns it off.
  /// GET /api/tracks/{id}/similar searches this model's vectors.
  std::optional<embed::EmbeddingOptions> embeddings = embed::EmbeddingOptions{};
  std::string database;
  bool scan_on_start = false;  ///< scan every library once the server listens
  /// Watch every music library with inotify and scan changed directories (issue 4; the
  /// scans' trigger is seed 001's FileSystemEvent). `--no-watch` turns it off.
  bool watch = true;
  unsigned threads = 2;        ///< network threads
  unsigned workers = 0;        ///< tag-reading threads; 0 = one per core
  /// How long reading one file may take (scan::ScanServiceOptions::file_time_budget).
  std::chrono::milliseconds file_time_budget = media::kDefaultFileTimeBudget;
  /// A job interrupted by this many deaths of the process fails for good at the next start
  /// (queue::QueueOptions::max_stalled, whose default this is; BullMQ's maxStalledCount).
  int max_stalled = 5;
  unsigned progress_interval_ms = 100;
  std::string web_root;        ///< development: serve web/ from disk
  std::vector<std::string> cors_origins;  ///< browser origins allowed, with credentials (CORS)
  /// Host names requests may name besides IP addresses and localhost ("*": any); see
  /// http/request_policy.hpp.
  std::vector<std::string> allowed_hosts;
  /// Connections at once (0: the descriptor limit less a reserve; http/open_files.hpp).
  std::size_t max_connections = 0;
  /// SignalR settings of every hub (ASP.NET Core's defaults unless set; seed 004 sets its own
  /// in config/seed004.ini).
  signalr::HubOptions hub;
  /// Seed 004's EnableDetailedErrors on /hubs/job-progress: an unexpected error's text reaches
  /// the client (hubs::JobProgressHubOptions::detailed_errors). Off by default.
  bool detailed_errors = false;
  /// The /ws event socket and the /api/events stream (Metarr's protocol; live/surface.hpp).
  live::EventSurfaceOptions events;
  unsigned directory_delay_ms_for_test = 0;  ///< see ScanServiceOptions
};

/// Returns the process exit code: 0 after a clean stop, 1 when it could not start.
int run_serve_command(const ServeCommandOptions& options);

}  // namespace scanhub::app
