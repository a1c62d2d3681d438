#include "app/serve_command.hpp"

#include "api/album_routes.hpp"
#include "api/job_routes.hpp"
#include "api/library_routes.hpp"
#include "api/notification_routes.hpp"
#include "api/routes.hpp"
#include "api/signalr_info.hpp"
#include "api/similar_routes.hpp"
#include "app/auth_setup.hpp"
#include "app/queue_events.hpp"
#include "embed/embedding_enricher.hpp"
#include "embed/mel_statistics.hpp"
#include "embed/similar_tracks.hpp"
#include "app/setup.hpp"
#include "events/commands.hpp"
#include "events/feed.hpp"
#include "http/open_files.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "hubs/indexer_hub.hpp"
#include "hubs/job_progress_hub.hpp"
#include "hubs/progress_hub.hpp"
#include "live/event_service.hpp"
#include "media/tag_reader.hpp"
#include "scan/library_watcher.hpp"
#include "signalr/hub_host.hpp"
#include "text/terminal_text.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <cstdio>
#include <optional>
#include <thread>

namespace scanhub::app {

int run_serve_command(const ServeCommandOptions& options) {
  // Before the database and the watcher open descriptors: every connection needs one too.
  const http::OpenFileLimit descriptors = http::raise_open_file_limit();
  if (descriptors.raised) {
    spdlog::info("descriptor limit raised to {} (the hard limit)", descriptors.soft);
  } else {
    spdlog::info("descriptor limit {} (hard limit {})", descriptors.soft, descriptors.hard);
  }

  std::unique_ptr<store::Store> store;
  std::vector<core::Library> libraries;
  try {
    store = open_store(options.database);
    for (const auto& path : options.libraries) {
      libraries.push_back(ensure_library(*store, path, core::LibraryType::music));
    }
    for (const auto& path : options.movie_libraries) {
      libraries.push_back(ensure_library(*store, path, core::LibraryType::movie));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scanhub: %s\n", text::escape_for_terminal(e.what()).c_str());
    return 1;
  }

  // Where libraries may be added: with --auth only under the --library-roots.
  api::LibraryRoots library_roots;
  if (options.auth) {
    library_roots.restricted = true;
    for (const auto& root : options.library_roots) {
      std::error_code ec;
      auto canonical = std::filesystem::canonical(root, ec);
      if (ec || !std::filesystem::is_directory(canonical)) {
        std::fprintf(stderr, "scanhub: --library-root %s: not a directory\n",
                     text::escape_for_terminal(root).c_str());
        return 1;
      }
      library_roots.roots.push_back(std::move(canonical));
    }
  }

  progress::EventBus bus;
  progress::ProgressTracker tracker(bus, std::chrono::milliseconds(options.progress_interval_ms));
  media::TagLibReader reader;
  QueueEventBridge queue_events(bus);
  std::optional<scan::ScanService> scans;
  std::shared_ptr<embed::EmbeddingEnricher> embeddings;  // its model is the one similar searches
  try {
    scan::ScanServiceOptions scan_options;
    scan_options.workers = options.workers;
    scan_options.file_time_budget = options.file_time_budget;
    scan_options.queue.max_stalled = options.max_stalled;
    scan_options.directory_delay_for_test = std::chrono::milliseconds(options.directory_delay_ms_for_test);
    scan_options.observers = {&queue_events};
    if (options.embeddings) {
      embeddings = std::make_shared<embed::EmbeddingEnricher>(*options.embeddings);
      scan_options.enrichers.push_back(embeddings);
    }
    scans.emplace(*store, tracker, reader, std::move(scan_options));
    for (core::ScanId id : scans->ended_at_start()) {
      spdlog::warn("scan {} was interrupted before it had work queued; marked failed", id);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scanhub: %s\n", text::escape_for_terminal(e.what()).c_str());
    return 1;
  }

  boost::asio::io_context io;
  signalr::HubHost hubs;
  auto progress_hub = std::make_shared<hubs::ProgressHub>(tracker, *store);
  progress_hub->attach(hubs.map_hub(std::string(hubs::ProgressHub::kPath), progress_hub, options.hub));
  auto indexer_hub = std::make_shared<hubs::IndexerHub>(tracker, *store, *scans);
  indexer_hub->attach(hubs.map_hub(std::string(hubs::IndexerHub::kPath), indexer_hub, options.hub));
  auto job_progress_hub = std::make_shared<hubs::JobProgressHub>(
      tracker, *store,
      hubs::JobProgressHubOptions{.progress = {.enrichment = embeddings != nullptr},
                                  .detailed_errors = options.detailed_errors});
  job_progress_hub->attach(hubs.map_hub(std::string(hubs::JobProgressHub::kPath), job_progress_hub,
                                        options.hub));

  // Declared before the router whose library hooks use it; emplaced below, before any request
  // is handled (io.run()), and reset only once the network threads are joined.
  std::optional<scan::LibraryWatcher> watcher;
  api::LibraryRouteHooks library_hooks;
  library_hooks.on_library_added = [&watcher](const core::Library& library) {
    // As at start: music libraries only (the watcher reacts to audio files).
    if (watcher && library.type == core::LibraryType::music) watcher->watch(library);
  };
  library_hooks.on_library_removed = [&watcher](core::LibraryId id) {
    if (watcher) watcher->unwatch(id);
  };
  library_hooks.is_watched = [&watcher](core::LibraryId id) {
    if (!watcher) return false;
    for (const auto& status : watcher->status()) {
      if (status.library == id) return true;
    }
    return false;
  };

  // Metarr's /ws socket and /api/events stream: declared before the router that refers to them,
  // so it is destroyed after it (and after the io_context's handlers are done).
  events::ServiceCommands event_commands(*store, tracker, *scans);
  events::EventFeedOptions feed_options;
  feed_options.library_lookup = events::store_library_lookup(*store);
  std::optional<live::EventService> event_service;
  try {
    event_service.emplace(bus, event_commands, std::move(feed_options), options.events);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scanhub: %s\n", text::escape_for_terminal(e.what()).c_str());
    return 1;
  }

  http::Router router;
  live::add_event_routes(router, *event_service);
  api::add_routes(router, {*store, tracker, *scans});
  api::add_library_routes(router, {*store, tracker, *scans}, std::move(library_hooks),
                          std::move(library_roots));
  embed::SimilarTracks similar(*store,
                               embeddings ? embeddings->model() : std::string(embed::kMelStatisticsModel),
                               embeddings ? embeddings->version() : embed::kMelStatisticsVersion);
  api::add_similar_routes(router, similar);
  api::add_album_routes(router, *store);
  api::ExternalJobs external_jobs(*store, bus);
  api::add_job_routes(router, *store, external_jobs);
  api::add_notification_routes(router, [&job_progress_hub](const api::UserNotificationRequest& n) {
    job_progress_hub->notify_user(n.user_id, n.type, n.message, n.data);
  });
  api::SignalRInfo signalr_info = api::signalr_capabilities();
  signalr_info.hubs = {{"ProgressHub", std::string(hubs::ProgressHub::kPath), {}},
                       {"IndexerHub", std::string(hubs::IndexerHub::kPath), {}},
                       {"JobProgressHub", std::string(hubs::JobProgressHub::kPath),
                        {hubs::JobProgressHub::kEvents.begin(), hubs::JobProgressHub::kEvents.end()}}};
  api::add_signalr_routes(router, std::move(signalr_info));
  // Who may call: with --auth the ServiceAuthenticator decides for every route, hub and
  // event stream; without, it answers anonymous_principal() (seed 004's EnableAuth off).
  std::shared_ptr<auth::ServiceAuthenticator> authenticator;
  try {
    auth::AuthOptions authentication = options.authentication;
    authentication.required = options.auth;
    authenticator = install_auth(router, *store, authentication);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scanhub: %s\n", text::escape_for_terminal(e.what()).c_str());
    return 1;
  }
  router.set_authenticator(authenticator);
  const http::StaticFiles files = http::embedded_static_files();
  http::ServerOptions server_options;
  server_options.address = options.address;
  server_options.port = options.port;
  server_options.web_root = options.web_root;
  server_options.cors_origins = options.cors_origins;
  server_options.allowed_hosts = options.allowed_hosts;
  server_options.max_connections = options.max_connections;
  http::Server server(io, server_options, router, hubs, files);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scanhub: cannot listen on %s port %u: %s\n", options.address.c_str(),
                 static_cast<unsigned>(options.port), e.what());
    return 1;
  }
  // Before the URL is printed: a SIGTERM sent as soon as it appears must stop the server
  // gracefully, not kill the process with the default action.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    spdlog::info("stopping");
    server.stop();
  });
  const http::ListenEndpoint& bound = server.endpoint();
  const char* where = bound.all_interfaces ? "all interfaces" : bound.address.c_str();
  if (!bound.loopback && !options.auth && !options.allow_anonymous) {
    // Refused before anything was served: nobody can have connected yet.
    std::fprintf(stderr,
                 "scanhub: refusing to listen on %s without authentication: use --auth, or "
                 "--allow-anonymous to let anyone who can reach port %u drive scanhub, or "
                 "--address 127.0.0.1 to keep it local.\n",
                 where, static_cast<unsigned>(bound.port));
    return 1;  // the io_context never ran: destroying it closes the listening socket
  }
  if (!bound.loopback && !options.auth) {
    std::fprintf(stderr,
                 "scanhub: warning: listening on %s, beyond this machine, without "
                 "authentication (--allow-anonymous): anyone who can reach port %u can start "
                 "scans, read the library and change it.\n",
                 where, static_cast<unsigned>(bound.port));
  }

  // Watches are in place before the server is announced, so a change made once it is cannot
  // be missed. Failing to watch a library is a warning: serving goes on without it.
  std::size_t watched_directories = 0;
  if (options.watch) {
    try {
      watcher.emplace(*scans);
      auto all = store->read([](store::Connection& c) { return c.libraries.list(); });
      for (const auto& library : all) {
        if (library.type != core::LibraryType::music) continue;
        try {
          watcher->watch(library);
        } catch (const std::exception& e) {
          spdlog::warn("not watching library {}: {}", library.path, e.what());
        }
      }
      for (const auto& status : watcher->status()) watched_directories += status.watched_directories;
    } catch (const std::exception& e) {
      spdlog::warn("file-system watcher unavailable: {}", e.what());
      watcher.reset();
    }
  }

  const std::string url = http::browse_url(bound, options.address);
  std::printf("scanhub: serving %s (hub /hubs/progress, %zu librar%s%s)\n", url.c_str(),
              libraries.size(), libraries.size() == 1 ? "y" : "ies",
              bound.all_interfaces ? "; listening on all interfaces" : "");
  if (watcher) {
    std::printf("scanhub: watching %zu directories for changes\n", watched_directories);
  }
  if (options.auth) {
    std::printf("scanhub: authentication on: API, hubs and event streams need a token "
                "(/healthz, /api/auth/config, /api/auth/login and the page stay open)\n");
  } else {
    std::printf("scanhub: authentication off: every caller may do everything (serve --auth "
                "turns it on)\n");
  }
  if (options.scan_on_start && !libraries.empty()) {
    try {
      const auto started = scans->start(libraries, core::ScanTrigger::manual);
      std::printf("scanhub: scan %lld started: %s?scan=%lld\n", static_cast<long long>(started.id),
                  url.c_str(), static_cast<long long>(started.id));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "scanhub: cannot start the scan: %s\n",
                   text::escape_for_terminal(e.what()).c_str());
    }
  }
  std::fflush(stdout);

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < std::max(1u, options.threads); ++i) threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& thread : threads) thread.join();
  watcher.reset();  // no new scans while stopping
  // Scans may still run and publish until `scans` is destroyed; the hubs must not see that.
  progress_hub->detach();
  indexer_hub->detach();
  job_progress_hub->detach();
  std::printf("scanhub: stopped\n");
  return 0;
}

}  // namespace scanhub::app
