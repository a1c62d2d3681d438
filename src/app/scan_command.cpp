#include "app/scan_command.hpp"

#include "app/setup.hpp"
#include "app/terminal_display.hpp"
#include "media/tag_reader.hpp"
#include "progress/tracker.hpp"
#include "scan/scan_service.hpp"
#include "text/terminal_text.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <optional>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace scanhub::app {

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted = true; }

void print_summary(store::Store& store, const core::ScanSnapshot& scan) {
  const auto& c = scan.counters;
  const auto& t = scan.times;
  const auto ms = [](core::TimePoint from, std::optional<core::TimePoint> to) {
    return core::format_human_duration(std::chrono::duration_cast<std::chrono::milliseconds>(
        to.value_or(from) - from));
  };
  std::printf("\nScan %lld %s in %s\n", static_cast<long long>(scan.id),
              std::string(core::to_string(scan.status)).c_str(), ms(t.started_at, t.completed_at).c_str());
  if (scan.failure) std::printf("  reason: %s\n", text::escape_for_terminal(*scan.failure).c_str());
  if (c.movies_found > 0 || c.movies_new > 0 || c.movies_updated > 0) {
    std::printf("  movies:      %s found, %s new, %s updated\n", with_separators(c.movies_found).c_str(),
                with_separators(c.movies_new).c_str(), with_separators(c.movies_updated).c_str());
  }
  if (c.tracks_found > 0 || c.tracks_removed > 0 || c.movies_found == 0) {
    std::printf("  tracks:      %s found, %s new, %s updated, %s removed\n",
                with_separators(c.tracks_found).c_str(), with_separators(c.tracks_new).c_str(),
                with_separators(c.tracks_updated).c_str(), with_separators(c.tracks_removed).c_str());
  }
  std::printf("  directories: %s of %s scanned\n", with_separators(c.directories_scanned).c_str(),
              with_separators(c.directories_total).c_str());
  if (c.symlinks_skipped > 0) {
    std::printf("  symlinks:    %s leading out of the library, not followed\n",
                with_separators(c.symlinks_skipped).c_str());
  }
  if (c.assets_queued > 0) {
    std::printf("  assets:      %s of %s cached, %s failed\n", with_separators(c.assets_cached).c_str(),
                with_separators(c.assets_queued).c_str(), with_separators(c.assets_failed).c_str());
  }
  if (c.enrichment_queued > 0 || c.enrichment_skipped > 0) {
    // Music scans' only enricher is the audio embedding (issue 5).
    std::printf("  embeddings:  %s computed, %s skipped, %s failed\n",
                with_separators(c.enrichment_completed).c_str(),
                with_separators(c.enrichment_skipped).c_str(), with_separators(c.enrichment_failed).c_str());
  }
  const auto end = t.completed_at.value_or(t.started_at);
  const auto discovered = t.discovery_completed_at.value_or(end);
  const auto scanned = t.scanning_completed_at.value_or(end);
  const auto cached = t.caching_completed_at.value_or(end);
  std::printf("  phases:      discovering %s, scanning %s, caching %s, enriching %s\n",
              ms(t.started_at, discovered).c_str(), ms(discovered, scanned).c_str(),
              ms(scanned, cached).c_str(), ms(cached, end).c_str());
  std::printf("  errors:      %s\n", with_separators(c.errors_count).c_str());
  if (c.errors_count > 0) {
    constexpr int kShown = 5;
    const auto errors = store.read([&](store::Connection& conn) {
      return conn.scans.errors(scan.id, kShown);
    });
    for (const auto& e : errors) {
      std::printf("    %s: %s\n", text::escape_for_terminal(e.path).c_str(),
                  text::escape_for_terminal(e.reason).c_str());
    }
    if (c.errors_count > kShown) {
      std::printf("    ... and %s more (GET /api/scans/%lld/errors)\n",
                  with_separators(c.errors_count - kShown).c_str(), static_cast<long long>(scan.id));
    }
  }
}

}  // namespace

int run_scan_command(const ScanCommandOptions& options) {
  std::unique_ptr<store::Store> store;
  core::Library library;
  try {
    store = open_store(options.database);
    library = ensure_library(*store, options.path,
                             core::parse_library_type(options.type).value_or(core::LibraryType::music));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scanhub: %s\n", text::escape_for_terminal(e.what()).c_str());
    return 1;
  }

  progress::EventBus bus;
  progress::ProgressTracker tracker(bus);
  const TerminalDisplay::Mode mode = options.json ? TerminalDisplay::Mode::json
                                     : ::isatty(STDOUT_FILENO) ? TerminalDisplay::Mode::live
                                                               : TerminalDisplay::Mode::lines;
  TerminalDisplay display(mode, stdout);
  bus.subscribe([&](const progress::Event& event) { display.on_event(event); });

  media::TagLibReader reader;
  std::optional<scan::ScanService> service;
  try {
    scan::ScanServiceOptions service_options;
    service_options.workers = options.workers;
    service_options.file_time_budget = options.file_time_budget;
    if (options.embeddings) {
      service_options.enrichers.push_back(std::make_shared<embed::EmbeddingEnricher>(*options.embeddings));
    }
    service.emplace(*store, tracker, reader, std::move(service_options));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scanhub: %s\n", text::escape_for_terminal(e.what()).c_str());
    return 1;
  }
  if (!options.json) {
    std::printf("Scanning %s (library %lld)\n", text::escape_for_terminal(library.path).c_str(),
                static_cast<long long>(library.id));
    std::fflush(stdout);
  }
  core::ScanId id = 0;
  try {
    id = service->start({library}, core::ScanTrigger::manual).id;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scanhub: cannot start the scan: %s\n",
                 text::escape_for_terminal(e.what()).c_str());
    return 1;
  }

  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  bool cancel_sent = false;
  while (!service->wait_for(id, std::chrono::milliseconds(50))) {
    if (g_interrupted && !cancel_sent) {
      service->cancel(id);
      cancel_sent = true;
    }
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);

  const auto scan = store->read([&](store::Connection& c) { return c.scans.get(id); });
  if (!scan) {
    std::fprintf(stderr, "scanhub: scan %lld vanished from the database\n", static_cast<long long>(id));
    return 1;
  }
  if (!options.json) print_summary(*store, *scan);
  switch (scan->status) {
    case core::ScanStatus::completed: return 0;
    case core::ScanStatus::cancelled: return 130;
    default: return 1;
  }
}

}  // namespace scanhub::app
