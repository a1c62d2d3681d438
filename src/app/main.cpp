// scanhub: scans media libraries as multi-phase background jobs and pushes live progress to
// SignalR clients. This is the one place that knows every subsystem (see docs/ARCHITECTURE.md).

#include "app/scan_command.hpp"
#include "app/setup.hpp"

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

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("scanhub"));
  spdlog::set_level(spdlog::level::from_str(log_level));

  if (*scan) return scanhub::app::run_scan_command(scan_options);
  return 0;
}
