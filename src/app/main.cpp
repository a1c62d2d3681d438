// scanhub: scans media libraries as multi-phase background jobs and pushes live progress to
// SignalR clients. This is the one place that knows every subsystem (see docs/ARCHITECTURE.md).

#include "app/auth_setup.hpp"
#include "app/db_command.hpp"
#include "app/scan_command.hpp"
#include "app/serve_command.hpp"
#include "app/setup.hpp"
#include "app/similar_command.hpp"
#include "app/user_command.hpp"
#include "embed/embedding_enricher.hpp"
#include "embed/external_model.hpp"
#include "http/cors.hpp"
#include "http/request_policy.hpp"
#include "http/static_files.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>

namespace {

double seconds_of(std::chrono::milliseconds duration) { return duration.count() / 1000.0; }

std::chrono::milliseconds milliseconds_of(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0 + 0.5));
}

// The audio-embedding options of `scan` and `serve` (issue 5; seed 000's limits and its
// Essentia CLI as an external model).
struct EmbeddingFlags {
  bool enabled = true;
  double min_seconds = 60.0;   // seed 000: "case < 60"
  double max_seconds = 900.0;  // seed 000: "case > 60 * 15"
  std::string command;
  std::string model;
  double timeout_seconds = 120.0;
};

void add_embedding_options(CLI::App& command, EmbeddingFlags& flags) {
  const std::string group = "Audio embeddings (music libraries)";
  command
      .add_flag("--embeddings,!--no-embeddings", flags.enabled,
                "Compute an audio embedding per music track after indexing (on by default)")
      ->capture_default_str()->group(group);
  command
      .add_option("--embedding-min-seconds", flags.min_seconds,
                  "Tracks shorter than this are skipped and counted as skipped")
      ->check(CLI::NonNegativeNumber)->capture_default_str()->group(group);
  command
      .add_option("--embedding-max-seconds", flags.max_seconds,
                  "Tracks longer than this are skipped and counted as skipped")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(group);
  auto* external = command.add_option(
      "--embedding-command", flags.command,
      "External model instead of the built-in mel-statistics one: CMD [ARGS] is run with each "
      "track's path appended and prints a JSON array of numbers; 10 run at once");
  auto* model = command.add_option("--embedding-model", flags.model,
                                   "Name the external model's vectors are stored under");
  external->needs(model)->group(group);
  model->needs(external)->group(group);
  command
      .add_option("--embedding-timeout", flags.timeout_seconds,
                  "Seconds the external model may take per track before it is killed")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(group);
}

// nullopt when embeddings are off. Throws std::invalid_argument for a command line that does
// not split into words (an unterminated quote).
std::optional<scanhub::embed::EmbeddingOptions> embedding_options(const EmbeddingFlags& flags) {
  if (!flags.enabled) return std::nullopt;
  scanhub::embed::EmbeddingOptions options;
  options.min_duration = milliseconds_of(flags.min_seconds);
  options.max_duration = milliseconds_of(flags.max_seconds);
  if (!flags.command.empty()) {
    scanhub::embed::ExternalModelOptions external;
    external.model = flags.model;
    external.command = scanhub::embed::split_command_line(flags.command);
    external.timeout = milliseconds_of(flags.timeout_seconds);
    options.external = std::move(external);
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"scanhub: library scans with live progress over SignalR"};
  cli.require_subcommand(1);
  cli.fallthrough();  // before the subcommands exist, so they inherit it (see --config below)
  std::string log_level = "warn";
  cli.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();

  scanhub::app::ScanCommandOptions scan_options;
  scan_options.database = scanhub::app::kDefaultDatabase;
  auto* scan = cli.add_subcommand("scan", "Scan PATH as a library and print a summary");
  scan->add_option("path", scan_options.path, "Library directory")->required();
  scan->add_option("--type", scan_options.type, "Library type: music or movie (Kodi layout)")
      ->check(CLI::IsMember({"music", "movie"}))
      ->capture_default_str();
  scan->add_option("--db", scan_options.database, "SQLite database file")->capture_default_str();
  scan->add_flag("--json", scan_options.json, "Print progress events as newline-delimited JSON");
  scan->add_option("--workers", scan_options.workers, "Directories scanned at once (0 = four per core)");
  EmbeddingFlags scan_embeddings;
  add_embedding_options(*scan, scan_embeddings);

  scanhub::app::SimilarCommandOptions similar_options;
  similar_options.database = scanhub::app::kDefaultDatabase;
  auto* similar = cli.add_subcommand("similar", "List the tracks that sound most like one track");
  similar->add_option("track", similar_options.track, "Track id or file of a scanned track")->required();
  similar->add_option("--limit", similar_options.limit, "How many tracks")
      ->check(CLI::Range(1, 100))->capture_default_str();
  similar->add_option("--db", similar_options.database, "SQLite database file")->capture_default_str();
  similar->add_option("--model", similar_options.model, "Embedding model (default mel-statistics)");
  similar->add_option("--model-version", similar_options.model_version, "The model's version");
  similar->add_flag("--json", similar_options.json, "Print JSON as GET /api/tracks/{id}/similar");

  scanhub::app::DbCheckOptions db_check_options;
  db_check_options.database = scanhub::app::kDefaultDatabase;
  auto* db = cli.add_subcommand("db", "Database maintenance");
  db->require_subcommand(1);
  auto* db_check = db->add_subcommand(
      "check", "Check the database file for damage (SQLite's full integrity check); exit 1 if damaged");
  db_check->add_option("--db", db_check_options.database, "SQLite database file")->capture_default_str();

  // Local users and API keys (app/user_command.hpp).
  using UserAction = scanhub::app::UserCommandOptions::Action;
  scanhub::app::UserCommandOptions user_options;
  user_options.database = scanhub::app::kDefaultDatabase;
  auto* user = cli.add_subcommand("user", "Local users who sign in when authentication is on");
  user->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "Add a user (password from a prompt, or one line on stdin)");
  user_add->add_option("name", user_options.name, "User name (unique in any case)")->required();
  user_add->add_flag("--admin", user_options.admin, "The user manages libraries and every scan and job");
  auto* user_list = user->add_subcommand("list", "List the users");
  auto* user_remove = user->add_subcommand("remove", "Remove a user and their API keys");
  user_remove->add_option("name", user_options.name, "User name")->required();
  auto* user_password = user->add_subcommand("password", "Set a user's password (prompt, or one line on stdin)");
  user_password->add_option("name", user_options.name, "User name")->required();
  for (auto* command : {user_add, user_list, user_remove, user_password}) {
    command->add_option("--db", user_options.database, "SQLite database file")->capture_default_str();
  }

  using ApiKeyAction = scanhub::app::ApiKeyCommandOptions::Action;
  scanhub::app::ApiKeyCommandOptions apikey_options;
  apikey_options.database = scanhub::app::kDefaultDatabase;
  auto* apikey = cli.add_subcommand("apikey", "API keys for programs that report external jobs");
  apikey->require_subcommand(1);
  auto* apikey_create = apikey->add_subcommand("create", "Create a key and print it (shown only this once)");
  apikey_create->add_option("name", apikey_options.name, "Key name (unique in any case)")->required();
  apikey_create->add_option("--user", apikey_options.user, "Local user the key acts for");
  apikey_create->add_flag("--admin", apikey_options.admin, "The key may do what an admin may");
  auto* apikey_list = apikey->add_subcommand("list", "List the keys (names, never the keys)");
  auto* apikey_revoke = apikey->add_subcommand("revoke", "Revoke a key");
  apikey_revoke->add_option("name", apikey_options.name, "Key name")->required();
  for (auto* command : {apikey_create, apikey_list, apikey_revoke}) {
    command->add_option("--db", apikey_options.database, "SQLite database file")->capture_default_str();
  }

  scanhub::app::ServeCommandOptions serve_options;
  serve_options.database = scanhub::app::kDefaultDatabase;
  auto* serve = cli.add_subcommand("serve", "Serve the API, the SignalR hubs and the dashboard");
  serve->add_option("--port", serve_options.port, "TCP port (0: any free port)")->capture_default_str();
  serve->add_option("--address", serve_options.address,
                    "IP address or host name to listen on (0.0.0.0 or ::: all interfaces, "
                    "which needs --auth or --allow-anonymous)")
      ->capture_default_str();
  serve->add_option("--library", serve_options.libraries, "Music library directory (repeatable)");
  serve->add_option("--movies", serve_options.movie_libraries,
                    "Movie library directory, one movie per folder (repeatable)");
  EmbeddingFlags serve_embeddings;
  add_embedding_options(*serve, serve_embeddings);
  serve->add_option("--db", serve_options.database, "SQLite database file")->capture_default_str();
  serve->add_flag("--scan-on-start", serve_options.scan_on_start, "Scan every library once serving");
  serve->add_flag("--watch,!--no-watch", serve_options.watch,
                  "Watch the libraries (inotify) and scan changed directories")
      ->capture_default_str();
  serve->add_option("--threads", serve_options.threads, "Network threads")->capture_default_str();
  serve->add_option("--workers", serve_options.workers, "Directories scanned at once (0 = four per core)");
  serve->add_option("--max-stalled", serve_options.max_stalled,
                    "A job the process died running this many times (kill -9, a crash, power "
                    "loss) fails for good at the next start, counted as an error of its scan")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve->add_option("--progress-interval", serve_options.progress_interval_ms,
                    "Milliseconds between progress messages per scan")
      ->capture_default_str();
  serve->add_option("--web-root", serve_options.web_root,
                    "Serve the page from this directory (development; dotfiles are never "
                    "served, system directories are refused)");
  scanhub::app::AuthFlags serve_auth;
  scanhub::app::add_auth_options(*serve, serve_auth);
  scanhub::app::AuthFlags auth_section_flags;
  auto* auth_section = scanhub::app::add_auth_section(cli, auth_section_flags);
  serve->add_option("--cors-origin", serve_options.cors_origins,
                    "Browser origin allowed to call the API and hubs, with credentials "
                    "(scheme://host[:port]; repeatable)")
      ->check(CLI::Validator(
          [](std::string& origin) -> std::string {
            try {
              scanhub::http::CorsPolicy check({origin});
              return {};
            } catch (const std::exception& e) {
              return e.what();
            }
          },
          "ORIGIN"));
  serve->add_option("--allowed-host", serve_options.allowed_hosts,
                    "Host name a request's Host header may name besides IP addresses and "
                    "localhost, e.g. the name a reverse proxy forwards ('*': any; repeatable). "
                    "Other names are refused (DNS rebinding)")
      ->check(CLI::Validator(
          [](std::string& host) -> std::string {
            if (host == "*" || scanhub::http::parse_host(host)) return {};
            return "not a host name: " + host;
          },
          "HOST"));
  serve->add_option("--max-connections", serve_options.max_connections,
                    "Connections at once, HTTP and hub (0: the descriptor limit less 128); "
                    "more get 503")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve->add_flag("--auth", serve_options.auth,
                  "Require a valid token or API key on every API route, hub and event stream "
                  "(/healthz, /api/auth/* and the page stay open)");
  serve->add_flag("--allow-anonymous", serve_options.allow_anonymous,
                  "Listen beyond loopback without --auth: anyone who can reach the port may "
                  "do everything");
  serve->add_option("--library-root", serve_options.library_roots,
                    "With --auth: the directory under which POST /api/libraries may add "
                    "libraries (repeatable; links resolved)")
      ->check(CLI::ExistingDirectory);
  serve->add_option("--directory-delay-for-test", serve_options.directory_delay_ms_for_test)
      ->group("");  // hidden: slows each directory down so tests can watch a scan run

  // `--file-time-budget SECONDS` of `scan` and `serve`: how long reading one file may take
  // (tags, embedded pictures, a movie's probe, an embedding's decoding) before it is an error.
  double scan_budget_s = seconds_of(scan_options.file_time_budget);
  double serve_budget_s = seconds_of(serve_options.file_time_budget);
  for (auto [command, seconds] : {std::pair{scan, &scan_budget_s}, std::pair{serve, &serve_budget_s}}) {
    command
        ->add_option("--file-time-budget", *seconds,
                     "Seconds reading one file may take (tags, pictures, a video's probe, decoding "
                     "for embeddings); a file over it is counted as an error with that reason")
        ->check(CLI::Range(0.001, 86400.0))
        ->capture_default_str();
  }

  // SignalR settings (ASP.NET Core's HubOptions names; seconds may be fractional). Settable in
  // a config file too: `serve --config FILE` reads the [serve] section (INI or TOML).
  // CLI11 reads config files on the main app only; fallthrough lets `serve --config FILE`
  // reach it. Options of `serve` go under a [serve] section.
  cli.set_config("--config", "", "Read options from this file (INI/TOML; [serve] section)");
  cli.allow_config_extras(false);  // a misspelt setting is an error, not silently ignored
  auto& hub = serve_options.hub;
  double keep_alive_s = seconds_of(hub.keep_alive_interval);
  double client_timeout_s = seconds_of(hub.client_timeout);
  double handshake_timeout_s = seconds_of(hub.handshake_timeout);
  double reconnect_grace_s = seconds_of(hub.reconnect_grace_period);
  double send_timeout_s = seconds_of(hub.transport_send_timeout);
  const std::string kHubGroup = "SignalR hubs";
  serve->add_option("--keep-alive-interval", keep_alive_s,
                    "Seconds without a message to a client before a Ping (KeepAliveInterval)")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(kHubGroup);
  serve->add_option("--client-timeout", client_timeout_s,
                    "Seconds without a message from a client before it is dropped "
                    "(ClientTimeoutInterval)")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(kHubGroup);
  serve->add_option("--handshake-timeout", handshake_timeout_s,
                    "Seconds for a client's handshake to arrive (HandshakeTimeout)")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(kHubGroup);
  serve->add_option("--max-receive-message-size", hub.max_receive_message_size,
                    "Largest hub message accepted from a client, bytes (MaximumReceiveMessageSize)")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{16} << 20))->capture_default_str()
      ->group(kHubGroup);
  serve->add_flag("--stateful-reconnect,!--no-stateful-reconnect", hub.allow_stateful_reconnect,
                  "Offer stateful reconnect to clients that ask (AllowStatefulReconnects)")
      ->capture_default_str()->group(kHubGroup);
  serve->add_option("--transport-send-timeout", send_timeout_s,
                    "Seconds a write to a client may take before it is closed as too slow "
                    "(TransportSendTimeout)")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(kHubGroup);
  serve->add_option("--reconnect-grace", reconnect_grace_s,
                    "Seconds a stateful connection is kept for its client to reconnect")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(kHubGroup);
  serve->add_flag("--detailed-errors,!--no-detailed-errors", serve_options.detailed_errors,
                  "Send the text of unexpected hub errors to clients (EnableDetailedErrors)")
      ->group(kHubGroup);
  serve->add_option("--max-groups-per-connection", hub.max_groups_per_connection,
                    "Groups (subscriptions) one hub connection may be in at once")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))->capture_default_str()
      ->group(kHubGroup);
  serve->add_option("--max-pending-negotiations-per-client",
                    hub.max_pending_negotiations_per_client,
                    "Connections of one client address negotiated and not yet started (0: no limit)")
      ->capture_default_str()->group(kHubGroup);
  serve->add_option("--negotiate-rate", hub.negotiate_rate_per_client,
                    "Negotiates per second one client address may sustain (0: no limit)")
      ->check(CLI::NonNegativeNumber)->capture_default_str()->group(kHubGroup);
  serve->add_option("--negotiate-burst", hub.negotiate_burst_per_client,
                    "Negotiates one client address may make at once")
      ->check(CLI::Range(1.0, 1e9))->capture_default_str()->group(kHubGroup);

  // Metarr's event socket (/ws) and event stream (/api/events).
  auto& live_events = serve_options.events;
  double ws_ping_s = seconds_of(live_events.ping_interval);
  double ws_grace_s = seconds_of(live_events.client_timeout_grace);
  double events_keep_alive_s = seconds_of(live_events.keep_alive_interval);
  double events_send_timeout_s = seconds_of(live_events.send_timeout);
  const std::string kEventsGroup = "Event socket /ws and stream /api/events";
  serve->add_option("--ws-ping-interval", ws_ping_s,
                    "Seconds between the WebSocket Pings sent to each /ws client")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(kEventsGroup);
  serve->add_option("--ws-client-grace", ws_grace_s,
                    "A /ws client silent (no message, no Pong) for the ping interval plus this "
                    "many seconds is closed")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(kEventsGroup);
  serve->add_option("--events-keep-alive", events_keep_alive_s,
                    "Seconds between keep-alive comments on an /api/events stream")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(kEventsGroup);
  serve->add_option("--events-send-timeout", events_send_timeout_s,
                    "Seconds a write to a /ws or /api/events client may take before it is "
                    "closed as too slow")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(kEventsGroup);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  hub.keep_alive_interval = milliseconds_of(keep_alive_s);
  hub.client_timeout = milliseconds_of(client_timeout_s);
  hub.handshake_timeout = milliseconds_of(handshake_timeout_s);
  hub.reconnect_grace_period = milliseconds_of(reconnect_grace_s);
  hub.transport_send_timeout = milliseconds_of(send_timeout_s);
  live_events.ping_interval = milliseconds_of(ws_ping_s);
  live_events.client_timeout_grace = milliseconds_of(ws_grace_s);
  live_events.keep_alive_interval = milliseconds_of(events_keep_alive_s);
  live_events.send_timeout = milliseconds_of(events_send_timeout_s);
  if (*serve && hub.client_timeout <= hub.keep_alive_interval) {
    // As ASP.NET Core advises (ClientTimeoutInterval twice KeepAliveInterval): a client pinging
    // at the keep-alive rate must not time out between two pings.
    std::fprintf(stderr, "scanhub serve: --client-timeout (%g s) must be longer than "
                         "--keep-alive-interval (%g s)\n", client_timeout_s, keep_alive_s);
    return 2;
  }
  if (*serve && !serve_options.web_root.empty()) {
    auto checked = scanhub::http::check_web_root(serve_options.web_root);
    if (!checked) {
      std::fprintf(stderr, "scanhub serve: --web-root %s: %s\n", serve_options.web_root.c_str(),
                   checked.error().c_str());
      return 2;
    }
  }
  try {
    scan_options.embeddings = embedding_options(scan_embeddings);
    serve_options.embeddings = embedding_options(serve_embeddings);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "scanhub: --embedding-command: %s\n", e.what());
    return 2;
  }
  scan_options.file_time_budget = milliseconds_of(scan_budget_s);
  serve_options.file_time_budget = milliseconds_of(serve_budget_s);
  if (scan_options.embeddings) scan_options.embeddings->file_time_budget = scan_options.file_time_budget;
  if (serve_options.embeddings) serve_options.embeddings->file_time_budget = serve_options.file_time_budget;
  spdlog::set_default_logger(spdlog::stderr_color_mt("scanhub"));
  spdlog::set_level(spdlog::level::from_str(log_level));

  if (*scan) return scanhub::app::run_scan_command(scan_options);
  if (*auth_section) {
    std::fprintf(stderr, "scanhub: [auth] is a section of the --config file, not a command\n");
    return 2;
  }
  scanhub::app::merge_auth_section(*serve, *auth_section, auth_section_flags, serve_auth);
  scanhub::app::apply_auth_flags(serve_auth, serve_options.authentication);
  if (*serve) return scanhub::app::run_serve_command(serve_options);
  if (*similar) return scanhub::app::run_similar_command(similar_options);
  if (*db_check) return scanhub::app::run_db_check_command(db_check_options);
  if (*user) {
    user_options.action = *user_add ? UserAction::kAdd
                          : *user_remove ? UserAction::kRemove
                          : *user_password ? UserAction::kPassword
                                           : UserAction::kList;
    return scanhub::app::run_user_command(user_options);
  }
  if (*apikey) {
    apikey_options.action = *apikey_create ? ApiKeyAction::kCreate
                            : *apikey_revoke ? ApiKeyAction::kRevoke
                                             : ApiKeyAction::kList;
    return scanhub::app::run_apikey_command(apikey_options);
  }
  return 0;
}
