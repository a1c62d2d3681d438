// ScanService's lifecycle, phase machine and publishing (scan_service.hpp); the job handlers
// are in scan_jobs.cpp.
#include "scan/scan_service.hpp"

#include "scan/discovery.hpp"
#include "scan/scan_service_internal.hpp"
#include "store/database_file.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace scanhub::scan {

namespace {

constexpr const char* kInterrupted = "interrupted: scanhub stopped before the scan finished";

// Directory-scan jobs at once per core by default: each job waits for its commit and for the
// claim of the next on the store's writer thread, so with one job per core the cores idle
// between jobs (a no-change rescan is mostly such waits: 4 per core halved its time).
constexpr unsigned kJobsPerCore = 4;

unsigned worker_count(unsigned requested) {
  return requested > 0 ? requested : kJobsPerCore * std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

ScanService::ScanService(store::Store& store, progress::ProgressTracker& tracker,
                         const media::TagReader& reader, ScanServiceOptions options)
    : store_(store), tracker_(tracker), reader_(reader), options_(std::move(options)) {
  options_.workers = worker_count(options_.workers);
  if (options_.asset_cache.empty()) options_.asset_cache = store_.path().parent_path() / "cache";
  cache_ = std::make_unique<AssetCache>(options_.asset_cache);

  queue::QueueOptions queue_options = options_.queue;
  // Threads: the directory-scan / cache-asset slots, one for discovery, and every enricher's
  // own; per-type concurrency keeps each type to its share.
  unsigned threads = options_.workers + 1;
  for (const auto& enricher : options_.enrichers) {
    threads += static_cast<unsigned>(std::max(1, enricher->concurrency()));
  }
  queue_options.workers = threads;
  queue_options.on_damaged = [this](const core::Job* job, const std::string& reason) {
    on_damaged(job, reason);
  };
  queue_ = std::make_unique<queue::Queue>(store_, queue_options);
  register_handlers();
  queue_->add_observer(storage_watch_);
  for (auto* observer : options_.observers) queue_->add_observer(*observer);
  try {
    resume();
    queue_->start();
  } catch (const sqlite::Error& e) {
    // A full disk or a damaged file at start-up: the reason in words, not a statement.
    if (sqlite::fault_of(e.code()) == sqlite::Fault::none) throw;
    std::throw_with_nested(std::runtime_error(store::describe_fault(store_.path(), e)));
  }
}

ScanService::~ScanService() { queue_->stop(std::chrono::seconds(1)); }

std::shared_ptr<ScanService::Active> ScanService::find_active(core::ScanId id) {
  std::lock_guard lock(mutex_);
  const auto it = active_.find(id);
  return it == active_.end() ? nullptr : it->second;
}

std::shared_ptr<ScanService::Active> ScanService::load_active(core::ScanId id) {
  auto active = store_.read([&](store::Connection& c) -> std::shared_ptr<Active> {
    const auto scan = c.scans.get(id);
    if (!scan) return nullptr;
    auto a = std::make_shared<Active>();
    a->id = id;
    a->options = scan->options;
    a->scoped = scan->trigger == core::ScanTrigger::file_system_event;
    a->ended = core::is_terminal(scan->status);
    for (const auto& l : scan->libraries) {
      if (auto library = c.libraries.get(l.id)) a->libraries.push_back(std::move(*library));
    }
    return a;
  });
  return active;
}

void ScanService::resume() {
  std::vector<core::ScanSnapshot> resumed;
  store_.write_sync([&](store::Connection& c) {
    const core::TimePoint now = core::Clock::now();
    const auto orphans = c.jobs.cancel_jobs_of_ended_scans(now);
    if (!orphans.empty()) spdlog::info("cancelled {} job(s) of scans that had ended", orphans.size());
    for (auto& scan : c.scans.list(std::numeric_limits<int>::max(), true)) {
      const core::QueueCounts jobs = c.jobs.count_for_scan(scan.id);
      if (jobs.pending + jobs.processing > 0) {
        resumed.push_back(std::move(scan));
        continue;
      }
      // No work left and not ended: stopped between its creation and its first job, or a scan
      // of a release without the queue. Its jobs say how it ended.
      scan.status = jobs.cancelled > 0 ? core::ScanStatus::cancelled : core::ScanStatus::failed;
      if (scan.status == core::ScanStatus::failed) scan.failure = kInterrupted;
      scan.current_operation = scan.status == core::ScanStatus::failed ? "Failed" : "Cancelled";
      scan.times.completed_at = now;
      c.scans.save_status(scan);
      ended_at_start_.push_back(scan.id);
    }
  });
  for (auto& scan : resumed) {
    auto active = load_active(scan.id);
    if (!active) continue;
    active->published_status = scan.status;
    {
      std::lock_guard lock(mutex_);
      active_[scan.id] = active;
    }
    tracker_.start(scan);
    resumed_.push_back(scan.id);
    spdlog::info("scan {} resumes in its {} phase", scan.id, core::to_string(scan.status));
  }
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
  if (scoped && libraries.front().type != core::LibraryType::music) {
    throw std::invalid_argument("incremental scans of directories are for music libraries");
  }
  std::vector<std::string> scope = scoped ? detail::fold_scope(directories) : std::vector<std::string>{};

  // One start at a time, so two cannot both pass the conflict check; mutex_ itself is never
  // held across a write (the writer thread takes it in find_active).
  std::lock_guard start_lock(start_mutex_);
  {
    std::lock_guard lock(mutex_);
    std::erase_if(active_, [](const auto& entry) { return entry.second->ended; });
    for (const auto& [id, running] : active_) {
      std::size_t overlap = 0;
      for (const auto& library : libraries) {
        overlap += static_cast<std::size_t>(
            std::count_if(running->libraries.begin(), running->libraries.end(),
                          [&](const core::Library& l) { return l.id == library.id; }));
      }
      if (overlap == 0) continue;
      if (overlap == libraries.size() && overlap == running->libraries.size() && !scoped &&
          !running->scoped) {
        return {id, true};
      }
      throw ScanConflict("scan " + std::to_string(id) +
                         " is already scanning some of these libraries");
    }
  }

  core::ScanSnapshot scan;
  scan.trigger = trigger;
  scan.options = options;
  scan.status = core::ScanStatus::discovering;
  scan.times.started_at = core::Clock::now();
  scan.current_operation = "Discovering directories";
  for (const auto& library : libraries) scan.libraries.push_back({library.id, library.path});
  store_.write_sync([&](store::Connection& c) { scan.id = c.scans.create(scan); });

  auto active = std::make_shared<Active>();
  active->id = scan.id;
  active->libraries = libraries;
  active->options = options;
  active->scoped = scoped;
  {
    std::lock_guard lock(mutex_);
    active_[scan.id] = active;
  }
  tracker_.start(scan);

  // The discover job in a second write, once the scan is tracked here: its commit can then be
  // published. A crash between the two leaves a scan without jobs, ended at the next start.
  boost::json::object payload{{"scanJobId", scan.id}};
  if (scoped) {
    boost::json::array list;
    for (const auto& d : scope) list.emplace_back(d);
    payload["directories"] = std::move(list);
  }
  core::NewJob discover;
  discover.type = kDiscoverJob;
  discover.payload = boost::json::serialize(payload);
  discover.priority = core::kPriorityDefault;
  discover.scan_id = scan.id;
  try {
    queue_->enqueue({std::move(discover)});
  } catch (...) {
    // The scan cannot run: end it now rather than leave it waiting for a restart.
    std::string why;
    if (const auto fault = sqlite::find_fault(std::current_exception())) {
      why = ": " + store::describe_fault(store_.path(), *fault);
    }
    Commit out;
    out.scan = scan.id;
    core::ScanSnapshot failed = scan;
    failed.status = core::ScanStatus::failed;
    failed.failure = "could not queue the scan's discovery" + why;
    failed.times.completed_at = core::Clock::now();
    failed.current_operation = "Failed";
    try {
      store_.write_sync([&](store::Connection& c) { c.scans.save_status(failed); });
    } catch (const std::exception& e) {
      spdlog::error("scan {}: cannot save its failure: {}", scan.id, e.what());
    }
    out.after = failed;
    published(out);
    throw;
  }
  // Started while the queue is paused: the scan says why it does not move.
  if (const auto storage = queue_->storage_status(); storage.state != queue::StorageStatus::State::ok) {
    show_storage(storage, scan.id);
  }
  return {scan.id, false};
}

bool ScanService::cancel(core::ScanId id) {
  const auto active = find_active(id);
  if (!active) return false;
  {
    std::lock_guard lock(mutex_);
    if (active->ended) return false;
  }
  Commit out;
  out.scan = id;
  queue_->cancel_scan(id, [&](store::Connection& c) {
    auto scan = c.scans.get(id);
    if (scan && !core::is_terminal(scan->status)) {
      scan->status = core::ScanStatus::cancelled;
      scan->times.completed_at = core::Clock::now();
      scan->current_operation = "Cancelled";
      c.scans.save_status(*scan);
    }
    out.after = std::move(scan);
  });
  published(out);
  return true;
}

void ScanService::wait(core::ScanId id) {
  std::unique_lock lock(mutex_);
  scan_ended_.wait(lock, [&] {
    const auto it = active_.find(id);
    return it == active_.end() || it->second->ended;
  });
}

bool ScanService::wait_for(core::ScanId id, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return scan_ended_.wait_for(lock, timeout, [&] {
    const auto it = active_.find(id);
    return it == active_.end() || it->second->ended;
  });
}

void ScanService::advance(store::Connection& c, core::ScanId id, core::TimePoint now, Commit& out,
                          core::JobId finishing) {
  out.scan = id;
  // The row as the commit's own add_counters returned it (no libraries), else read it.
  auto scan = out.after ? std::move(out.after) : c.scans.get(id);
  out.after.reset();
  if (!scan) return;
  const auto with_libraries = [&] {
    if (scan->libraries.empty()) {
      if (auto full = c.scans.get(id)) scan->libraries = std::move(full->libraries);
    }
  };
  if (!core::is_terminal(scan->status)) {
    bool changed = false;
    auto& k = scan->counters;
    for (bool again = true; again;) {
      again = false;
      if (scan->status == core::ScanStatus::scanning && k.directories_scanned >= k.directories_total &&
          !removal_released(c, id, now, finishing, out)) {
        scan->status = core::ScanStatus::caching;
        scan->times.scanning_completed_at = now;
        scan->current_operation = "Caching assets";
        // The library is ready to use (seed 002); a scan of some directories saw only part.
        with_libraries();
        if (scan->trigger != core::ScanTrigger::file_system_event) {
          for (const auto& library : scan->libraries) c.libraries.set_last_scan(library.id, now);
        }
        changed = again = true;
      } else if (scan->status == core::ScanStatus::caching &&
                 k.assets_cached + k.assets_failed >= k.assets_queued) {
        scan->times.caching_completed_at = now;
        with_libraries();
        const core::ScanCounters delta = emit_enrichment(c, *scan, out);
        if (delta.enrichment_queued > 0 || delta.enrichment_skipped > 0) {
          c.scans.add_counters(id, delta, "Enriching", std::nullopt);
          k += delta;
        }
        if (delta.enrichment_queued > 0) {
          scan->status = core::ScanStatus::enriching;
          scan->current_operation = "Enriching";
        } else {
          scan->status = core::ScanStatus::completed;
        }
        changed = again = true;
      } else if (scan->status == core::ScanStatus::enriching &&
                 k.enrichment_completed + k.enrichment_skipped + k.enrichment_failed >=
                     k.enrichment_queued) {
        scan->status = core::ScanStatus::completed;
        changed = true;
      }
    }
    if (scan->status == core::ScanStatus::completed) {
      scan->times.completed_at = now;
      scan->current_operation = "Completed";
    }
    if (changed) c.scans.save_status(*scan);
  }
  out.after = std::move(scan);
}

bool ScanService::removal_released(store::Connection& c, core::ScanId id, core::TimePoint now,
                                   core::JobId finishing, Commit& out) {
  // Every directory is done: the held-back remove-missing job (if any) may run now; the phase
  // ends once it has.
  for (const core::JobId job : c.jobs.make_due(id, kRemoveMissingJob, now)) {
    // Queued in this very commit (discovery found no directory): told about once.
    if (std::find(out.enqueued.begin(), out.enqueued.end(), job) == out.enqueued.end()) {
      out.enqueued.push_back(job);
    }
  }
  return c.jobs.count_live(id, kRemoveMissingJob, finishing) > 0;
}

core::ScanCounters ScanService::emit_enrichment(store::Connection& c, const core::ScanSnapshot& scan,
                                                Commit& out) {
  core::ScanCounters counted;
  if (!scan.options.enable_enrichment || scan.options.enrichment_mode == "none") return counted;
  if (options_.enrichers.empty()) return counted;
  std::vector<core::NewJob> jobs;
  for (const auto& entry : scan.libraries) {
    const auto library = c.libraries.get(entry.id);
    if (!library) continue;
    for (const auto& enricher : options_.enrichers) {
      if (!enricher->applies_to(library->type)) continue;
      auto pending = enricher->pending_items(c, *library, scan.options);
      counted.enrichment_skipped += pending.skipped;
      for (auto& item : pending.items) {
        core::NewJob job;
        job.type = enricher->job_type();
        job.payload = boost::json::serialize(boost::json::object{{"scanJobId", scan.id},
                                                                 {"libraryId", library->id},
                                                                 {"ownerKind", item.owner_kind},
                                                                 {"ownerId", item.owner_id},
                                                                 {"path", item.path}});
        job.priority = core::kPriorityEnrichment;
        job.max_attempts = std::max(1, enricher->max_attempts());
        job.scan_id = scan.id;
        jobs.push_back(std::move(job));
      }
    }
  }
  if (jobs.empty()) return counted;  // no enriching phase: the skipped are counted, not queued
  auto ids = queue_->enqueue_in(c, jobs);
  out.enqueued.insert(out.enqueued.end(), ids.begin(), ids.end());
  counted.enrichment_queued = static_cast<std::int64_t>(ids.size()) + counted.enrichment_skipped;
  return counted;
}

void ScanService::published(const Commit& commit) {
  if (!commit.enqueued.empty()) queue_->notify_enqueued(commit.enqueued);
  if (commit.after) publish(*commit.after, commit.directory);
}

void ScanService::publish(const core::ScanSnapshot& after, const std::string& directory) {
  std::lock_guard publish_lock(publish_mutex_);
  const auto active = find_active(after.id);
  if (!active) return;
  std::string paused_operation;
  std::string paused_reason;
  {
    std::lock_guard lock(mutex_);
    if (active->ended) return;
    paused_operation = paused_operation_;
    paused_reason = paused_reason_;
  }
  const auto copy = [&](core::ScanSnapshot& s) {
    s.counters = after.counters;
    s.times = after.times;
    s.last_error = after.last_error;
    s.failure = after.failure;
    s.current_operation = after.current_operation;
    s.enrichment_in_progress =
        after.status == core::ScanStatus::enriching ? active->enriching.load() : 0;
    if (!directory.empty()) s.current_directory = directory;
    if (after.status != core::ScanStatus::discovering &&
        after.status != core::ScanStatus::scanning) {
      s.current_directory.clear();
    }
    // A commit under way when the queue paused may still land: the scan keeps saying why it
    // does not move until the queue resumes.
    if (!paused_operation.empty() && !core::is_terminal(after.status)) {
      s.current_operation = paused_operation;
      s.last_error = paused_reason;
      s.current_directory.clear();
    }
  };
  if (core::is_terminal(after.status)) {
    tracker_.finish(after.id, after.status, copy);
    {
      std::lock_guard lock(mutex_);
      active->ended = true;
    }
    scan_ended_.notify_all();
    return;
  }
  if (active->published_status != after.status) {
    active->published_status = after.status;
    tracker_.change_phase(after.id, after.status, copy);
  } else {
    tracker_.update(after.id, copy);
  }
}

}  // namespace scanhub::scan
