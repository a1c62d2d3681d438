// scanhub: scans media libraries as multi-phase background jobs and pushes live progress to
// SignalR clients. This is the one place that knows every subsystem (see docs/ARCHITECTURE.md).

#include "app/scan_command.hpp"
#include "app/serve_command.hpp"
#include "app/setup.hpp"
#include "http/cors.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

int main(int argc, char** argv) {
  CLI::App cli{"scanhub: library scans with live progress over SignalR"};
  cli.require_subcommand(1);
  std::string log_level = "warn";
  cli.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();

  scanhub::app::ScanCommandOptions scan_options;
  scan_options.database = scanhub::app::kDefaultDatabase;
  auto* scan = cli.add_subcommand("scan", "Scan PATH as a music library and print a summary");
  scan->add_option("path", scan_options.path, "Library directory")->required();
  scan->add_option("--db", scan_options.database, "SQLite database file")->capture_default_str();
  scan->add_flag("--json", scan_options.json, "Print progress events as newline-delimited JSON");
  scan->add_option("--workers", scan_options.workers, "Tag-reading threads (0 = one per core)");

  scanhub::app::ServeCommandOptions serve_options;
  serve_options.database = scanhub::app::kDefaultDatabase;
  auto* serve = cli.add_subcommand("serve", "Serve the API, the SignalR hubs and the dashboard");
  serve->add_option("--port", serve_options.port, "TCP port (0: any free port)")->capture_default_str();
  serve->add_option("--address", serve_options.address, "Address to listen on (0.0.0.0: all)")
      ->capture_default_str();
  serve->add_option("--library", serve_options.libraries, "Music library directory (repeatable)");
  serve->add_option("--db", serve_options.database, "SQLite database file")->capture_default_str();
  serve->add_flag("--scan-on-start", serve_options.scan_on_start, "Scan every library once serving");
  serve->add_option("--threads", serve_options.threads, "Network threads")->capture_default_str();
  serve->add_option("--workers", serve_options.workers, "Tag-reading threads (0 = one per core)");
  serve->add_option("--progress-interval", serve_options.progress_interval_ms,
                    "Milliseconds between progress messages per scan")
      ->capture_default_str();
  serve->add_option("--web-root", serve_options.web_root, "Serve the page from this directory (development)");
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
  serve->add_option("--directory-delay-for-test", serve_options.directory_delay_ms_for_test)
      ->group("");  // hidden: slows each directory down so tests can watch a scan run

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("scanhub"));
  spdlog::set_level(spdlog::level::from_str(log_level));

  if (*scan) return scanhub::app::run_scan_command(scan_options);
  if (*serve) return scanhub::app::run_serve_command(serve_options);
  return 0;
}
