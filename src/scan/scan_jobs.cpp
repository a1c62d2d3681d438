// The job handlers of a scan that walk its libraries (scan_service.hpp): discover,
// directory-scan (music and movie) and remove-missing; cache-asset, the enrichers' jobs and the
// registration of every type are in scan_job_types.cpp. Each returns a CommitFn that writes its
// results, its scan's counters and runs the phase machine in the transaction that completes the
// job.
#include "core/text.hpp"
#include "text/json_text.hpp"
#include "scan/album_art.hpp"
#include "scan/directory_fingerprint.hpp"
#include "scan/discovery.hpp"
#include "scan/movie_directory.hpp"
#include "scan/music_directory.hpp"
#include "scan/scan_service.hpp"
#include "scan/scan_service_internal.hpp"
#include "scan/walker.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <stop_token>
#include <string_view>
#include <thread>
#include <unordered_set>

namespace scanhub::scan {

namespace detail {

boost::json::object parse_payload(const core::Job& job) {
  boost::system::error_code ec;
  // Ours, and holding paths as the file system's bytes (cache-asset's sourcePath).
  auto value = text::parse_stored_json(job.payload, ec);
  if (ec || !value.is_object()) {
    throw queue::PermanentJobError(job.type + " job " + std::to_string(job.id) +
                                   ": payload is not a JSON object");
  }
  return std::move(value.as_object());
}

std::int64_t payload_int(const boost::json::object& payload, const char* key) {
  const auto* value = payload.if_contains(key);
  if (!value || !value->is_int64()) {
    throw queue::PermanentJobError(std::string("payload has no integer \"") + key + "\"");
  }
  return value->as_int64();
}

std::string payload_string(const boost::json::object& payload, const char* key) {
  const auto* value = payload.if_contains(key);
  if (!value || !value->is_string()) {
    throw queue::PermanentJobError(std::string("payload has no string \"") + key + "\"");
  }
  return std::string(value->as_string());
}

}  // namespace detail

namespace {

using detail::in_scope;
using detail::list_movie_directories;
using detail::parent_directory;
using detail::payload_int;
using detail::payload_string;
using detail::skip_unchanged;
using detail::Unchanged;
using detail::under_prefix;
using detail::walk_scope;

std::string display_path(const std::string& raw) { return core::to_valid_utf8(raw); }


// Sleeps for the test hook, returning early (and throwing) when the job is stopped.
void delay_for_test(std::chrono::milliseconds delay, const std::stop_token& stop) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (stop.stop_requested()) throw std::runtime_error("stopped");
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(20), until - std::chrono::steady_clock::now()));
  }
}

// A directory whose scan failed as a whole: one error, and every track stored there kept.
DirectoryResult unreadable_directory(const std::string& directory, const store::TrackIndex& index,
                                     const std::string& why) {
  DirectoryResult result;
  for (const auto& [path, track] : index) result.seen.push_back(track.id);
  result.errors.push_back({display_path(directory), "cannot scan directory: " + why});
  return result;
}

}  // namespace

queue::CommitFn ScanService::Handlers::discover(queue::JobContext& context) {
  const core::Job& job = context.job();
  const auto payload = detail::parse_payload(job);
  const auto active = active_for(job);
  const core::ScanId scan = active->id;
  std::vector<std::string> scope;
  if (const auto* list = payload.if_contains("directories"); list && list->is_array()) {
    for (const auto& d : list->as_array()) {
      if (d.is_string()) scope.emplace_back(d.as_string());
    }
  }
  const bool scoped = !scope.empty();

  std::atomic<bool> cancelled{false};
  std::stop_callback on_stop(context.stop_token(), [&] { cancelled = true; });

  struct LibraryWalk {
    core::Library library;
    bool available = true;
    std::vector<std::string> kept_prefixes;
    std::vector<std::string> directories;  ///< every directory found
    std::vector<std::string> changed;      ///< those that need a directory-scan job
    store::TrackIndex index;               ///< music: the stored tracks
    std::vector<std::string> stale;        ///< fingerprints of directories no longer found
  };
  std::vector<LibraryWalk> walks;
  std::vector<store::ScanError> errors;
  std::size_t total = 0;
  std::int64_t links_skipped = 0;  // symbolic links out of their library, not followed
  for (const auto& library : active->libraries) {
    LibraryWalk walk{library, true, {}, {}, {}, {}, {}};
    const LinkRule links(library.path, library.follow_symlinks);
    WalkCallbacks callbacks;
    callbacks.on_enter = [&](const std::string& directory) {
      s_.tracker_.update(scan, [&](core::ScanSnapshot& snapshot) {
        snapshot.current_library_id = library.id;
        snapshot.current_directory = display_path(directory);
      });
    };
    callbacks.on_directory = [&](DirectoryWork&& work) {
      walk.directories.push_back(std::move(work.directory));
      s_.tracker_.update(scan, [](core::ScanSnapshot& snapshot) { ++snapshot.counters.directories_total; });
    };
    callbacks.on_error = [&](WalkError&& error) {
      if (error.keep_contents) walk.kept_prefixes.push_back(error.path);
      errors.push_back({display_path(error.path), error.reason});
    };
    callbacks.on_link_skipped = [&](const std::string&) {
      ++links_skipped;
      s_.tracker_.update(scan, [](core::ScanSnapshot& snapshot) {
        ++snapshot.counters.symlinks_skipped;
      });
    };
    try {
      if (library.type == core::LibraryType::movie) {
        std::int64_t skipped = 0;
        walk.directories = list_movie_directories(library.path, links, errors, skipped);
        links_skipped += skipped;
        s_.tracker_.update(scan, [&](core::ScanSnapshot& snapshot) {
          snapshot.counters.directories_total += static_cast<std::int64_t>(walk.directories.size());
          snapshot.counters.symlinks_skipped += skipped;
        });
      } else if (scoped) {
        walk_scope(library.path, scope, cancelled, callbacks, links);
      } else {
        walk_library(library.path, cancelled, callbacks, links);
      }
    } catch (const std::filesystem::filesystem_error& e) {
      walk.available = false;
      errors.push_back({library.path, std::string("library unavailable, its items are kept: ") +
                                          e.code().message()});
    }
    total += walk.directories.size();
    walks.push_back(std::move(walk));
  }
  if (cancelled) throw std::runtime_error("discovery stopped");

  std::string fatal;
  if (std::none_of(walks.begin(), walks.end(), [](const LibraryWalk& w) { return w.available; })) {
    fatal = errors.empty() ? "no library could be read" : errors.front().reason;
  }
  const auto& max_directories = active->options.max_directories;
  const bool partial = max_directories && static_cast<std::int64_t>(total) > *max_directories;
  std::int64_t budget = max_directories.value_or(std::numeric_limits<std::int64_t>::max());

  // Unchanged music directories (the fingerprint their last complete scan stored still holds)
  // are counted here, with their stored tracks, instead of queued.
  Unchanged unchanged;
  for (auto& walk : walks) {
    if (!fatal.empty() || !walk.available || walk.library.type != core::LibraryType::music) {
      walk.changed = walk.directories;
      continue;
    }
    store::FingerprintIndex fingerprints;
    s_.store_.read([&](store::Connection& c) {
      walk.index = c.tracks.load_index(walk.library.id);
      if (!max_directories) fingerprints = c.directories.load_fingerprints(walk.library.id);
    });
    unchanged += skip_unchanged(walk.library.path, walk.directories, walk.index, fingerprints,
                                walk.changed, cancelled);
    if (partial || cancelled) continue;
    const std::unordered_set<std::string> found(walk.directories.begin(), walk.directories.end());
    for (const auto& [directory, fingerprint] : fingerprints) {
      if (found.contains(directory) || under_prefix(directory, walk.kept_prefixes) ||
          std::find(walk.kept_prefixes.begin(), walk.kept_prefixes.end(), directory) != walk.kept_prefixes.end()) {
        continue;
      }
      if (!scoped || in_scope(directory, scope) ||
          std::find(scope.begin(), scope.end(), directory) != scope.end()) {
        walk.stale.push_back(directory);
      }
    }
  }
  if (cancelled) throw std::runtime_error("discovery stopped");

  // The children: one directory-scan per changed directory (seed 002's payload).
  std::int64_t queued = 0;
  if (fatal.empty()) {
    for (const auto& walk : walks) {
      for (const auto& directory : walk.changed) {
        if (queued >= budget) break;
        core::NewJob child;
        child.type = kDirectoryScanJob;
        child.priority = core::kPriorityDirectoryScan;
        child.payload = boost::json::serialize(boost::json::object{
            {"scanJobId", scan},
            {"libraryId", walk.library.id},
            {"directoryPath", directory},
            {"libraryType", core::to_string(walk.library.type)}});
        context.add_child(std::move(child));
        ++queued;
      }
    }
  }

  // What is gone: stored items in directories the walk no longer found (their directories'
  // own jobs judge the rest). Not for a partial scan, an unavailable library, or what lies
  // under a directory the walk could not read.
  std::vector<core::TrackId> gone_tracks;
  std::vector<core::MovieId> gone_movies;
  if (fatal.empty() && !partial) {
    for (const auto& walk : walks) {
      if (!walk.available) continue;
      const std::unordered_set<std::string> found(walk.directories.begin(), walk.directories.end());
      if (walk.library.type == core::LibraryType::movie) {
        const auto index = s_.store_.read([&](store::Connection& c) { return c.movies.load_index(walk.library.id); });
        for (const auto& [directory, movie] : index) {
          if (!found.contains(directory)) gone_movies.push_back(movie.id);
        }
        continue;
      }
      for (const auto& [path, track] : walk.index) {
        if (scoped && !in_scope(path, scope)) continue;
        if (found.contains(parent_directory(path))) continue;
        if (under_prefix(path, walk.kept_prefixes) ||
            std::find(walk.kept_prefixes.begin(), walk.kept_prefixes.end(), parent_directory(path)) !=
                walk.kept_prefixes.end()) {
          continue;
        }
        gone_tracks.push_back(track.id);
      }
    }
  }

  std::optional<core::NewJob> removal;
  if (!gone_tracks.empty() || !gone_movies.empty()) {
    boost::json::array tracks(gone_tracks.begin(), gone_tracks.end());
    boost::json::array movies(gone_movies.begin(), gone_movies.end());
    removal.emplace();
    removal->type = kRemoveMissingJob;
    // Held back (run_after far ahead) until the last directory scan commits: the phase
    // machine makes it due then, so a scan cancelled before that removes nothing.
    removal->priority = core::kPriorityDirectoryScan;
    removal->run_after = core::Clock::now() + std::chrono::hours(24 * 365 * 50);
    removal->parent_id = job.id;
    removal->scan_id = scan;
    removal->payload = boost::json::serialize(
        boost::json::object{{"scanJobId", scan}, {"trackIds", std::move(tracks)}, {"movieIds", std::move(movies)}});
  }

  return finish(context, scan, {}, [=, this](store::Connection& c, Commit& out) {
    const core::TimePoint now = core::Clock::now();
    for (const auto& e : errors) c.scans.add_error(scan, e, now);
    core::ScanCounters delta;
    delta.errors_count = static_cast<std::int64_t>(errors.size());
    delta.symlinks_skipped = links_skipped;
    std::optional<std::string> last;
    if (!errors.empty()) last = errors.back().path + ": " + errors.back().reason;
    auto snapshot = c.scans.get(scan);
    if (!snapshot || core::is_terminal(snapshot->status)) return;
    if (!fatal.empty()) {
      c.scans.add_counters(scan, delta, "Failed", last);
      snapshot->status = core::ScanStatus::failed;
      snapshot->failure = fatal;
      snapshot->times.completed_at = now;
      snapshot->current_operation = "Failed";
      c.scans.save_status(*snapshot);
      return;
    }
    delta.directories_total = queued + unchanged.directories;
    delta.directories_queued = queued + unchanged.directories;
    delta.directories_scanned = unchanged.directories;
    delta.tracks_found = unchanged.tracks;
    for (const auto& walk : walks) {
      for (const auto& directory : walk.stale) c.directories.forget(walk.library.id, directory);
    }
    if (removal) {
      // Queued here, before the phase machine runs, so the scanning phase waits for it.
      const auto ids = s_.queue_->enqueue_in(c, std::span<const core::NewJob>(&*removal, 1));
      out.enqueued.insert(out.enqueued.end(), ids.begin(), ids.end());
    }
    c.scans.add_counters(scan, delta, "Scanning directories", last);
    snapshot->status = core::ScanStatus::scanning;
    snapshot->times.discovery_completed_at = now;
    snapshot->current_operation = "Scanning directories";
    c.scans.save_status(*snapshot);
  });
}

queue::CommitFn ScanService::Handlers::directory_scan(queue::JobContext& context) {
  const core::Job& job = context.job();
  const auto payload = detail::parse_payload(job);
  const auto active = active_for(job);
  const core::ScanId scan = active->id;
  const core::LibraryId library_id = payload_int(payload, "libraryId");
  const std::string directory = payload_string(payload, "directoryPath");
  const core::Library* library = active->library(library_id);
  if (!library) throw queue::PermanentJobError("library " + std::to_string(library_id) + " is not in scan " + std::to_string(scan));
  if (s_.options_.directory_delay_for_test.count() > 0) {
    delay_for_test(s_.options_.directory_delay_for_test, context.stop_token());
  }
  if (library->type == core::LibraryType::movie) return movie_directory(context, *active, *library, directory);
  return music_directory(context, *active, *library, directory);
}

queue::CommitFn ScanService::Handlers::music_directory(queue::JobContext& context, const Active& active,
                                                       const core::Library& library, const std::string& directory) {
  const core::ScanId scan = active.id;
  const std::string full = directory.empty() ? library.path : library.path + "/" + directory;
  std::optional<store::StoredAlbum> stored_album;
  const auto index = s_.store_.read([&](store::Connection& c) {
    stored_album = c.albums.find(library.id, directory);
    return c.tracks.load_directory_index(library.id, directory);
  });
  auto result = std::make_shared<DirectoryResult>();
  // Taken before the listing: a change after it makes the next scan look again.
  const auto fingerprint = directory_fingerprint(full);
  const LinkRule links(library.path, library.follow_symlinks);
  const auto files = list_audio_files(full, links);
  if (!files) {
    const std::error_code e = files.error();
    if (e != std::errc::no_such_file_or_directory && e != std::errc::not_a_directory) {
      *result = unreadable_directory(directory, index, "cannot open directory: " + e.message());
    }
    // Gone since discovery (or replaced by a file): what was stored there is gone too.
  } else {
    try {
      *result = scan_music_directory(library.path, library.id, {directory, *files}, index,
                                     s_.reader_, read_limits(context));
    } catch (const media::ReadCancelled&) {
      throw;  // the job was cancelled or the queue is stopping: no result, the attempt ends
    } catch (const std::exception& e) {
      // Not bad input (that is caught per file) but e.g. memory exhaustion: the directory is
      // an error, and what it held before is kept.
      *result = unreadable_directory(directory, index, e.what());
    } catch (...) {
      *result = unreadable_directory(directory, index, "unknown error");
    }
  }
  std::vector<core::TrackId> gone;
  {
    const std::unordered_set<core::TrackId> seen(result->seen.begin(), result->seen.end());
    for (const auto& [path, track] : index) {
      if (!seen.contains(track.id)) gone.push_back(track.id);
    }
  }
  // The directory's album and its art (album_art.hpp), committed with its tracks. Files the
  // track scan could not read are not opened again for pictures (one budget per file).
  const bool tracks_changed = !result->inserts.empty() || !result->updates.empty() || !gone.empty();
  std::vector<std::string> readable;
  if (files) {
    std::unordered_set<std::string> failed;
    for (const auto& error : result->errors) failed.insert(error.path);
    for (const auto& name : *files) {
      if (!failed.contains(directory.empty() ? name : directory + "/" + name)) readable.push_back(name);
    }
  }
  const auto album = std::make_shared<const AlbumDirectoryResult>(scan_album_directory(
      library.path, library.id, directory, readable, std::move(stored_album), tracks_changed,
      active.options, links, read_limits(context)));
  const bool caching = active.options.enable_caching;
  const core::JobId job_id = context.job().id;
  core::ScanCounters delta;
  delta.directories_scanned = 1;
  delta.tracks_found = result->tracks_found();
  delta.tracks_new = static_cast<std::int64_t>(result->inserts.size());
  delta.tracks_updated = static_cast<std::int64_t>(result->updates.size());
  delta.tracks_removed = static_cast<std::int64_t>(gone.size());
  delta.errors_count = static_cast<std::int64_t>(result->errors.size());
  delta.symlinks_skipped = album->symlinks_skipped;
  std::optional<std::string> last_error;
  if (!result->errors.empty()) {
    last_error = result->errors.back().path + ": " + result->errors.back().reason;
  }
  const std::string shown = display_path(directory);
  const std::string operation = "Scanned " + (shown.empty() ? library.path : shown);
  // A later scan may skip this directory while it keeps this fingerprint, but only if this
  // scan did all a scan does there: no errors (they are reported again) and nothing skipped
  // (neither options nor links out of the library, which every scan counts again).
  std::optional<std::string> complete;
  if (fingerprint && result->errors.empty() && album->symlinks_skipped == 0 &&
      active.options.enable_caching &&
      !active.options.skip_asset_discovery) {
    complete = *fingerprint;
  }
  const core::LibraryId library_id = library.id;
  return finish(context, scan, shown, [=, this](store::Connection& c, Commit& out) {
    const core::TimePoint now = core::Clock::now();
    for (const auto& track : result->inserts) {
      c.tracks.insert(track.library_id, track.path, track.stamp, track.metadata, now);
    }
    for (const auto& track : result->updates) c.tracks.update(track.id, track.stamp, track.metadata, now);
    // Before the removals: an album whose every track was renamed keeps its id and art.
    if (!result->inserts.empty() && !gone.empty()) c.albums.adopt_new_tracks(library_id, directory);
    for (core::TrackId track : gone) c.tracks.remove(track);
    if (complete) {
      c.directories.put_fingerprint(library_id, directory, *complete, now);
    } else {
      c.directories.forget(library_id, directory);
    }
    for (const auto& error : result->errors) c.scans.add_error(scan, error, now);
    core::ScanCounters counted = delta;
    const auto jobs = album->apply(c, scan, job_id, caching, now);
    counted.assets_queued = static_cast<std::int64_t>(jobs.size());
    if (!jobs.empty()) {
      const auto ids = s_.queue_->enqueue_in(c, jobs);
      out.enqueued.insert(out.enqueued.end(), ids.begin(), ids.end());
    }
    out.after = c.scans.add_counters(scan, counted, operation, last_error);
  });
}

queue::CommitFn ScanService::Handlers::movie_directory(queue::JobContext& context, const Active& active,
                                                       const core::Library& library, const std::string& directory) {
  const core::ScanId scan = active.id;
  const core::JobId job_id = context.job().id;
  const auto stored = s_.store_.read([&](store::Connection& c) {
    return c.movies.find_indexed(library.id, directory);
  });
  av::ProbeLimits limits;
  limits.time_limit = s_.options_.file_time_budget;
  limits.stop = context.stop_token();
  auto result = std::make_shared<MovieDirectoryResult>(
      scan_movie_directory(library.path, library.id, directory, stored ? &*stored : nullptr,
                           active.options, LinkRule(library.path, library.follow_symlinks), limits));
  const bool caching = active.options.enable_caching;
  result->queue_assets = caching;
  const std::string root = library.path;
  return finish(context, scan, display_path(directory), [=, this](store::Connection& c, Commit& out) {
    const core::TimePoint now = core::Clock::now();
    result->apply(c, scan, now);
    if (!caching || !result->movie || !result->assets_discovered) return;
    std::vector<core::NewJob> jobs;
    for (const auto& asset : result->assets) {
      if (asset.sha256) continue;
      jobs.push_back(cache_asset_job(asset, root, scan, job_id));
    }
    if (jobs.empty()) return;
    auto ids = s_.queue_->enqueue_in(c, jobs);
    out.enqueued.insert(out.enqueued.end(), ids.begin(), ids.end());
  });
}

queue::CommitFn ScanService::Handlers::remove_missing(queue::JobContext& context) {
  const core::Job& job = context.job();
  const auto payload = detail::parse_payload(job);
  if (!job.scan_id) throw queue::PermanentJobError("remove-missing job without a scan");
  const core::ScanId scan = *job.scan_id;
  std::vector<std::int64_t> tracks;
  std::vector<std::int64_t> movies;
  for (const auto& [key, out] : {std::pair{"trackIds", &tracks}, std::pair{"movieIds", &movies}}) {
    if (const auto* list = payload.if_contains(key); list && list->is_array()) {
      for (const auto& id : list->as_array()) {
        if (id.is_int64()) out->push_back(id.as_int64());
      }
    }
  }
  return finish(context, scan, {}, [=](store::Connection& c, Commit& out) {
    for (const auto id : tracks) c.tracks.remove(id);
    for (const auto id : movies) c.movies.remove(id);
    core::ScanCounters delta;
    delta.tracks_removed = static_cast<std::int64_t>(tracks.size());
    out.after = c.scans.add_counters(scan, delta, "Removed what is gone", std::nullopt);
  });
}

}  // namespace scanhub::scan
