#pragma once
// `scanhub serve`: the HTTP API, the SignalR hubs, Metarr's event socket /ws and event stream
// /api/events (seeds 002 and 003) and the page at /, until SIGINT or SIGTERM; then a graceful
// stop (hub clients get a Close with allowReconnect, /ws clients a Close 1001).

#include "auth/service_authenticator.hpp"
#include "embed/embedding_enricher.hpp"
#include "live/surface.hpp"
#include "media/read_limits.hpp"
#include "signalr/hub_options.hpp"
#include "store/store.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scanhub::app {

struct ServeCommandOptions {
  /// IP address or host name to listen on; beyond loopback serve refuses to start without
  /// `auth` unless `allow_anonymous` says so (then with a warning).
  std::string address = "127.0.0.1";
  /// `--auth` (config `auth = on`): every API route, hub and event stream requires a valid
  /// token or API key (seed 004's EnableAuth); `/healthz`, `/api/auth/config`,
  /// `/api/auth/login` and the static files stay open. Off: every caller is the anonymous
  /// admin. Becomes authentication.required.
  bool auth = false;
  /// `--allow-anonymous`: listen beyond loopback without `auth`.
  bool allow_anonymous = false;
  /// `--library-root` (repeatable): with `auth`, POST /api/libraries adds libraries only under
  /// these directories (links resolved; issue 16 item 6). Each must exist.
  std::vector<std::string> library_roots;
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
  /// Who may call (issue 16): the identity provider's key, issuer and audience, the lifetime
  /// of local users' tokens; `required` is `--auth` (app/auth_setup.hpp).
  auth::AuthOptions authentication;
  unsigned directory_delay_ms_for_test = 0;  ///< see ScanServiceOptions
};

/// Returns the process exit code: 0 after a clean stop, 1 when it could not start (the
/// database, a library, a library root, the authenticator, the address, or listening beyond
/// loopback without `auth` nor `allow_anonymous`: one line on stderr says which).
int run_serve_command(const ServeCommandOptions& options);

}  // namespace scanhub::app
