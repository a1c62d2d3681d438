#pragma once
// A scan service on a real SQLite file, for tests: register a library, scan it, read back.

#include "media/tag_reader.hpp"
#include "progress/tracker.hpp"
#include "scan/scan_service.hpp"
#include "store/store.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>

namespace scanhub::test {

/// A tag reader that blocks every read until open() is called: a scan stays in its scanning
/// phase for as long as a test needs.
class GatedReader : public media::TagReader {
 public:
  core::TrackMetadata read(const std::filesystem::path& path,
                           const media::ReadLimits& limits) const override {
    {
      std::unique_lock lock(mutex_);
      ++waiting_;
      changed_.notify_all();
      changed_.wait(lock, [&] { return open_; });
    }
    return taglib_.read(path, limits);
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  /// Waits until a worker is blocked in read(): the scan is in its scanning phase.
  void wait_for_reader() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return waiting_ > 0; });
  }

 private:
  media::TagLibReader taglib_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  mutable int waiting_ = 0;
  bool open_ = false;
};

/// Scan service options with `workers` directory-scan threads and everything else default.
inline scan::ScanServiceOptions scan_options(unsigned workers) {
  scan::ScanServiceOptions options;
  options.workers = workers;
  return options;
}

struct ScanHarness {
  explicit ScanHarness(const std::filesystem::path& db, unsigned workers = 4,
                       const media::TagReader* reader_override = nullptr)
      : store(db),
        tracker(bus, std::chrono::milliseconds(0)),
        reader(reader_override ? *reader_override : taglib),
        service(store, tracker, reader, scan_options(workers)) {}

  core::Library add_library(const std::filesystem::path& path) {
    core::Library library;
    library.path = path.string();
    library.name = path.filename().string();
    library.created_at = core::Clock::now();
    store.write_sync([&](store::Connection& c) { library = c.libraries.add(library); });
    return library;
  }

  /// Scans `library` to its end and returns the stored scan.
  core::ScanSnapshot scan(const core::Library& library) {
    const auto id = service.start({library}, core::ScanTrigger::manual).id;
    service.wait(id);
    return *store.read([&](store::Connection& c) { return c.scans.get(id); });
  }

  std::vector<core::Track> tracks(const core::Library& library) {
    return store.read([&](store::Connection& c) { return c.tracks.list(library.id); });
  }

  std::vector<store::ScanError> errors(core::ScanId id) {
    return store.read([&](store::Connection& c) { return c.scans.errors(id, 10000); });
  }

  store::Store store;
  progress::EventBus bus;
  progress::ProgressTracker tracker;
  media::TagLibReader taglib;
  const media::TagReader& reader;
  scan::ScanService service;
};

}  // namespace scanhub::test
