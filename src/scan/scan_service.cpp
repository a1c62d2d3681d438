#include "scan/scan_service.hpp"

#include "core/text.hpp"
#include "scan/music_directory.hpp"
#include "scan/walker.hpp"

#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <algorithm>
#include <string_view>
#include <unordered_set>

namespace scanhub::scan {

struct ScanService::Running {
  core::ScanId id = 0;
  std::vector<core::Library> libraries;
  core::ScanOptions options;
  std::vector<std::string> directories;  // the scope of an incremental scan (scoped only)
  bool scoped = false;
  std::atomic<bool> cancelled{false};
  bool ended = false;  // guarded by ScanService::mutex_
  std::thread thread;
};

namespace {

// What the coordinator knows of one library during a scan.
struct LibraryState {
  core::Library library;
  store::TrackIndex index;
  bool available = true;
  std::vector<std::string> kept_prefixes;  // directories whose tracks survive a failed listing
  std::unordered_set<core::TrackId> seen;  // written only by the store's writer thread
};

struct Unit {
  std::size_t library = 0;
  DirectoryWork work;
};

std::string display_path(const std::string& raw) { return core::to_valid_utf8(raw); }

// A directory whose scan failed as a whole: one error, and its stored tracks kept.
DirectoryResult unreadable_directory(const DirectoryWork& work, const store::TrackIndex& index,
                                     const std::string& why) {
  DirectoryResult result;
  for (const std::string& name : work.files) {
    const auto stored = index.find(work.directory.empty() ? name : work.directory + "/" + name);
    if (stored != index.end()) result.seen.push_back(stored->second.id);
  }
  result.errors.push_back({display_path(work.directory), "cannot scan directory: " + why});
  return result;
}

bool under_prefix(const std::string& path, const std::vector<std::string>& prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& prefix) {
    return path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
           path[prefix.size()] == '/';
  });
}

std::string join_path(const std::string& directory, const std::string& relative) {
  if (directory.empty()) return relative;
  return relative.empty() ? directory : directory + "/" + relative;
}

// True when `path` is one of `directories` or below one ("" holds everything).
bool in_scope(const std::string& path, const std::vector<std::string>& directories) {
  return std::any_of(directories.begin(), directories.end(), [&](const std::string& d) {
    return d.empty() || (path.size() > d.size() && path.compare(0, d.size(), d) == 0 &&
                         path[d.size()] == '/');
  });
}

// Checks and folds a scoped scan's directories: nested entries go into their ancestor, so no
// directory is walked (and counted) twice.
std::vector<std::string> fold_scope(std::vector<std::string> directories) {
  for (std::string& d : directories) {
    while (!d.empty() && d.back() == '/') d.pop_back();
    if (!d.empty() && d.front() == '/') throw std::invalid_argument("scan directory is absolute: " + d);
    for (std::size_t begin = 0; !d.empty() && begin <= d.size();) {
      const std::size_t end = std::min(d.find('/', begin), d.size());
      const std::string_view part(d.data() + begin, end - begin);
      if (part.empty() || part == "." || part == "..") {
        throw std::invalid_argument("scan directory must be relative to its library: " + d);
      }
      begin = end + 1;
    }
  }
  std::sort(directories.begin(), directories.end());
  directories.erase(std::unique(directories.begin(), directories.end()), directories.end());
  std::vector<std::string> folded;
  for (std::string& d : directories) {
    // Sorted order puts an ancestor before its descendants ('/' sorts before letters, and a
    // sibling like "a b" between "a" and "a/x" is no ancestor of "a/x").
    if (!std::any_of(folded.begin(), folded.end(), [&](const std::string& kept) {
          return kept.empty() || (d.size() > kept.size() && d.compare(0, kept.size(), kept) == 0 &&
                                  d[kept.size()] == '/');
        })) {
      folded.push_back(std::move(d));
    }
  }
  return folded;
}

// True when the full walk would never reach `directory`: a hidden or non-UTF-8 component, or a
// `.scanignore` in an ancestor (one in `directory` itself is the walk's own rule).
bool excluded_by_walk_rules(const std::string& root, const std::string& directory) {
  std::string ancestor;
  for (std::size_t begin = 0; begin < directory.size();) {
    const std::size_t end = std::min(directory.find('/', begin), directory.size());
    const std::string part = directory.substr(begin, end - begin);
    if (part.front() == '.' || !core::is_valid_utf8(part)) return true;
    std::error_code ec;
    if (std::filesystem::exists(join_path(root, ancestor) + "/.scanignore", ec)) return true;
    ancestor = join_path(ancestor, part);
    begin = end + 1;
  }
  return false;
}

// The discovery walk of a scoped scan: each directory's subtree, with paths relative to the
// library root. A directory that is gone holds nothing; one that cannot be read is an error
// whose stored tracks are kept. Throws like walk_library when the library root is unusable.
void walk_scope(const std::string& root, const std::vector<std::string>& directories,
                const std::atomic<bool>& cancelled, const WalkCallbacks& callbacks) {
  for (const std::string& directory : directories) {
    if (directory.empty()) {
      walk_library(root, cancelled, callbacks);
      continue;
    }
    struct stat st {};
    if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      // The library itself is gone (unmounted?): nothing under it may be removed.
      throw std::filesystem::filesystem_error("cannot open library", root,
                                              std::make_error_code(std::errc::no_such_file_or_directory));
    }
    if (excluded_by_walk_rules(root, directory)) continue;
    WalkCallbacks scoped;
    scoped.on_enter = [&](const std::string& relative) {
      if (callbacks.on_enter) callbacks.on_enter(join_path(directory, relative));
    };
    scoped.on_directory = [&](DirectoryWork&& work) {
      work.directory = join_path(directory, work.directory);
      if (callbacks.on_directory) callbacks.on_directory(std::move(work));
    };
    scoped.on_error = [&](WalkError&& error) {
      error.path = join_path(directory, error.path);
      if (callbacks.on_error) callbacks.on_error(std::move(error));
    };
    try {
      walk_library(root + "/" + directory, cancelled, scoped);
    } catch (const std::filesystem::filesystem_error& e) {
      const std::error_code code = e.code();
      if (code == std::errc::no_such_file_or_directory || code == std::errc::not_a_directory) {
        continue;  // removed (or replaced by a file) since the event: its tracks are gone
      }
      if (callbacks.on_error) {
        callbacks.on_error({directory, std::string("cannot open directory: ") + code.message(), true});
      }
    }
  }
}

}  // namespace

ScanService::ScanService(store::Store& store, progress::ProgressTracker& tracker,
                         const media::TagReader& reader, ScanServiceOptions options)
    : store_(store),
      tracker_(tracker),
      reader_(reader),
      directory_delay_for_test_(options.directory_delay_for_test),
      pool_(options.workers) {}

ScanService::~ScanService() {
  std::vector<std::shared_ptr<Running>> scans;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, scan] : running_) {
      scan->cancelled = true;
      scans.push_back(scan);
    }
  }
  for (auto& scan : scans) {
    if (scan->thread.joinable()) scan->thread.join();
  }
}

std::vector<core::ScanId> ScanService::fail_interrupted_scans() {
  std::vector<core::ScanId> ids;
  store_.write_sync([&](store::Connection& c) {
    ids = c.scans.fail_interrupted("interrupted: scanhub stopped before the scan finished",
                                   core::Clock::now());
  });
  return ids;
}

ScanService::Started ScanService::start(const std::vector<core::Library>& libraries,
                                        core::ScanTrigger trigger,
                                        const core::ScanOptions& options,
                                        const std::vector<std::string>& directories) {
  if (libraries.empty()) throw std::invalid_argument("no library to scan");
  const bool scoped = !directories.empty();
  if (scoped && libraries.size() != 1) {
    throw std::invalid_argument("an incremental scan of directories takes exactly one library");
  }
  std::vector<std::string> scope = scoped ? fold_scope(directories) : std::vector<std::string>{};
  std::lock_guard lock(mutex_);
  reap_finished();
  for (const auto& [id, running] : running_) {
    if (running->ended) continue;
    std::size_t overlap = 0;
    for (const auto& library : libraries) {
      overlap += std::count_if(running->libraries.begin(), running->libraries.end(),
                               [&](const core::Library& l) { return l.id == library.id; });
    }
    if (overlap == 0) continue;
    if (overlap == libraries.size() && overlap == running->libraries.size() && !scoped &&
        !running->scoped) {
      return {id, true};
    }
    throw ScanConflict("scan " + std::to_string(id) + " is already scanning some of these libraries");
  }

  core::ScanSnapshot scan;
  scan.trigger = trigger;
  scan.options = options;
  scan.status = core::ScanStatus::discovering;
  scan.times.started_at = core::Clock::now();
  scan.current_operation = "Discovering directories";
  for (const auto& library : libraries) scan.libraries.push_back({library.id, library.path});
  store_.write_sync([&](store::Connection& c) { scan.id = c.scans.create(scan); });

  auto running = std::make_shared<Running>();
  running->id = scan.id;
  running->libraries = libraries;
  running->options = options;
  running->directories = std::move(scope);
  running->scoped = scoped;
  running_[scan.id] = running;
  tracker_.start(scan);
  running->thread = std::thread([this, running] { run(*running); });
  return {scan.id, false};
}

bool ScanService::cancel(core::ScanId id) {
  std::lock_guard lock(mutex_);
  const auto it = running_.find(id);
  if (it == running_.end() || it->second->ended) return false;
  it->second->cancelled = true;
  return true;
}

void ScanService::wait(core::ScanId id) {
  std::unique_lock lock(mutex_);
  scan_ended_.wait(lock, [&] {
    const auto it = running_.find(id);
    return it == running_.end() || it->second->ended;
  });
}

bool ScanService::wait_for(core::ScanId id, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return scan_ended_.wait_for(lock, timeout, [&] {
    const auto it = running_.find(id);
    return it == running_.end() || it->second->ended;
  });
}

void ScanService::reap_finished() {
  for (auto it = running_.begin(); it != running_.end();) {
    if (it->second->ended) {
      if (it->second->thread.joinable()) it->second->thread.join();
      it = running_.erase(it);
    } else {
      ++it;
    }
  }
}

void ScanService::run(Running& running) {
  const core::ScanId id = running.id;
  std::vector<LibraryState> libraries;
  std::string fatal;  // a failure that ends the scan; guarded by `latch_mutex` once units run
  core::ScanStatus outcome = core::ScanStatus::completed;

  // Counts walk errors in the database and then in the live snapshot.
  const auto record_errors = [&](const std::vector<store::ScanError>& errors) {
    if (errors.empty()) return;
    core::ScanCounters delta;
    delta.errors_count = static_cast<std::int64_t>(errors.size());
    const std::string last = errors.back().path + ": " + errors.back().reason;
    store_.write_sync([&](store::Connection& c) {
      for (const auto& e : errors) c.scans.add_error(id, e, core::Clock::now());
      c.scans.add_counters(id, delta, "Discovering directories", last);
    });
    tracker_.update(id, [&](core::ScanSnapshot& s) {
      s.counters += delta;
      s.last_error = last;
    });
  };

  try {
    // Discovering: walk every library, one unit of work per directory holding audio.
    std::vector<Unit> units;
    std::vector<store::ScanError> walk_errors;
    for (const auto& library : running.libraries) {
      LibraryState state{library, store_.read([&](store::Connection& c) {
                           return c.tracks.load_index(library.id);
                         }), true, {}, {}};
      const std::size_t index = libraries.size();
      WalkCallbacks callbacks;
      callbacks.on_enter = [&](const std::string& directory) {
        tracker_.update(id, [&](core::ScanSnapshot& s) {
          s.current_library_id = library.id;
          s.current_directory = display_path(directory);
        });
      };
      callbacks.on_directory = [&](DirectoryWork&& work) {
        units.push_back({index, std::move(work)});
        tracker_.update(id, [](core::ScanSnapshot& s) { ++s.counters.directories_total; });
      };
      callbacks.on_error = [&](WalkError&& error) {
        if (error.keep_contents) state.kept_prefixes.push_back(error.path);
        walk_errors.push_back({display_path(error.path), error.reason});
      };
      try {
        if (running.scoped) {
          walk_scope(library.path, running.directories, running.cancelled, callbacks);
        } else {
          walk_library(library.path, running.cancelled, callbacks);
        }
      } catch (const std::filesystem::filesystem_error& e) {
        state.available = false;
        walk_errors.push_back({library.path, std::string("library unavailable, its tracks are kept: ") +
                                                 e.code().message()});
      }
      libraries.push_back(std::move(state));
    }
    if (running.cancelled) throw core::ScanStatus::cancelled;
    if (std::none_of(libraries.begin(), libraries.end(), [](const auto& l) { return l.available; })) {
      fatal = walk_errors.empty() ? "no library could be read" : walk_errors.front().reason;
    }
    const auto& max_directories = running.options.max_directories;
    const bool partial =
        max_directories && static_cast<std::int64_t>(units.size()) > *max_directories;
    if (partial) units.resize(static_cast<std::size_t>(*max_directories));

    core::ScanCounters discovered;
    discovered.directories_total = static_cast<std::int64_t>(units.size());
    discovered.directories_queued = discovered.directories_total;
    record_errors(walk_errors);
    if (!fatal.empty()) throw std::runtime_error(fatal);

    const core::TimePoint discovered_at = core::Clock::now();
    core::ScanSnapshot scanning = *tracker_.snapshot(id);
    scanning.status = core::ScanStatus::scanning;
    scanning.times.discovery_completed_at = discovered_at;
    scanning.current_operation = "Scanning directories";
    scanning.current_directory.clear();
    store_.write_sync([&](store::Connection& c) {
      c.scans.add_counters(id, discovered, scanning.current_operation, std::nullopt);
      c.scans.save_status(scanning);
    });
    tracker_.change_phase(id, core::ScanStatus::scanning, [&](core::ScanSnapshot& s) {
      // The live count grew during the walk; the truth is what was queued.
      s.counters.directories_total = discovered.directories_total;
      s.counters.directories_queued = discovered.directories_queued;
      s.times.discovery_completed_at = discovered_at;
      s.current_operation = scanning.current_operation;
      s.current_directory.clear();
    });

    // Scanning: one unit per directory on the pool; each commits with its counters.
    std::mutex latch_mutex;
    std::condition_variable latch_changed;
    std::size_t remaining = units.size();
    const auto unit_done = [&](const std::string& failure) {
      std::lock_guard lock(latch_mutex);
      if (!failure.empty() && fatal.empty()) fatal = failure;
      --remaining;
      latch_changed.notify_all();
    };
    for (Unit& unit : units) {
      pool_.post([&, work = std::move(unit.work), library = unit.library]() {
        if (directory_delay_for_test_.count() > 0) std::this_thread::sleep_for(directory_delay_for_test_);
        if (running.cancelled) return unit_done({});
        LibraryState& state = libraries[library];
        auto result = std::make_shared<DirectoryResult>();
        try {
          *result = scan_music_directory(state.library.path, state.library.id, work, state.index,
                                         reader_);
        } catch (const std::exception& e) {
          // Not bad input (that is caught per file) but e.g. memory exhaustion: the directory
          // is an error, and what it held before is kept.
          *result = unreadable_directory(work, state.index, e.what());
        } catch (...) {
          *result = unreadable_directory(work, state.index, "unknown error");
        }
        core::ScanCounters delta;
        delta.directories_scanned = 1;
        delta.tracks_found = result->tracks_found();
        delta.tracks_new = static_cast<std::int64_t>(result->inserts.size());
        delta.tracks_updated = static_cast<std::int64_t>(result->updates.size());
        delta.errors_count = static_cast<std::int64_t>(result->errors.size());
        std::optional<std::string> last_error;
        if (!result->errors.empty()) {
          last_error = result->errors.back().path + ": " + result->errors.back().reason;
        }
        const std::string directory = display_path(work.directory);
        const std::string operation = "Scanned " + (directory.empty() ? state.library.path : directory);
        store_.write(
            [=](store::Connection& c) {
              const core::TimePoint now = core::Clock::now();
              for (const auto& track : result->inserts) {
                c.tracks.insert(track.library_id, track.path, track.stamp, track.metadata, now);
              }
              for (const auto& track : result->updates) {
                c.tracks.update(track.id, track.stamp, track.metadata, now);
              }
              for (const auto& error : result->errors) c.scans.add_error(id, error, now);
              c.scans.add_counters(id, delta, operation, last_error);
            },
            [&, result, delta, last_error, directory, library](std::exception_ptr error) {
              if (error) {
                try {
                  std::rethrow_exception(error);
                } catch (const std::exception& e) {
                  return unit_done(std::string("database write failed: ") + e.what());
                }
              }
              libraries[library].seen.insert(result->seen.begin(), result->seen.end());
              tracker_.update(id, [&](core::ScanSnapshot& s) {
                s.counters += delta;
                s.current_library_id = libraries[library].library.id;
                s.current_directory = directory;
                if (last_error) s.last_error = last_error;
              });
              unit_done({});
            });
      });
    }
    {
      std::unique_lock lock(latch_mutex);
      latch_changed.wait(lock, [&] { return remaining == 0; });
    }
    if (!fatal.empty()) throw std::runtime_error(fatal);
    if (running.cancelled) throw core::ScanStatus::cancelled;

    // Removal: stored tracks not seen are gone, unless the walk could not tell (partial scan,
    // unavailable library, unreadable directory). A scoped scan judges only its own directories.
    core::ScanCounters removed;
    std::vector<core::TrackId> gone;
    for (const auto& state : libraries) {
      if (partial || !state.available) continue;
      for (const auto& [path, track] : state.index) {
        if (running.scoped && !in_scope(path, running.directories)) continue;
        if (!state.seen.contains(track.id) && !under_prefix(path, state.kept_prefixes)) {
          gone.push_back(track.id);
        }
      }
    }
    removed.tracks_removed = static_cast<std::int64_t>(gone.size());
    const core::TimePoint finished_at = core::Clock::now();
    store_.write_sync([&](store::Connection& c) {
      for (core::TrackId track : gone) c.tracks.remove(track);
      c.scans.add_counters(id, removed, "Completed", std::nullopt);
      for (const auto& state : libraries) {
        // A scoped scan saw part of the library: the library as a whole was not scanned.
        if (state.available && !running.scoped) c.libraries.set_last_scan(state.library.id, finished_at);
      }
    });
    tracker_.update(id, [&](core::ScanSnapshot& s) { s.counters += removed; });
  } catch (core::ScanStatus status) {
    outcome = status;
  } catch (const std::exception& e) {
    outcome = core::ScanStatus::failed;
    fatal = e.what();
    spdlog::error("scan {} failed: {}", id, fatal);
  }

  // Ending: persist the terminal status, then publish it.
  const core::TimePoint ended_at = core::Clock::now();
  const auto end = [&](core::ScanSnapshot& s) {
    if (outcome == core::ScanStatus::completed) {
      if (!s.times.scanning_completed_at) s.times.scanning_completed_at = ended_at;
      s.current_operation = "Completed";
    } else if (outcome == core::ScanStatus::cancelled) {
      s.current_operation = "Cancelled";
    } else {
      s.failure = fatal;
      s.current_operation = "Failed";
    }
    s.times.completed_at = ended_at;
    s.current_directory.clear();
  };
  core::ScanSnapshot final_state = tracker_.snapshot(id).value_or(core::ScanSnapshot{});
  final_state.status = outcome;
  end(final_state);
  try {
    store_.write_sync([&](store::Connection& c) { c.scans.save_status(final_state); });
  } catch (const std::exception& e) {
    spdlog::error("scan {}: cannot save its final status: {}", id, e.what());
  }
  tracker_.finish(id, outcome, end);
  {
    std::lock_guard lock(mutex_);
    running.ended = true;
  }
  scan_ended_.notify_all();
}

}  // namespace scanhub::scan
