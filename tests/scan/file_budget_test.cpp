// The per-file time budget and the cancellation that interrupts the file in progress, through a
// real ScanService on a real library: a file whose tags take longer than the budget to read is
// an error with the budget's reason and its stored track is kept; a cancel and a shutdown stop
// the file being read at once instead of letting TagLib grind through it.

#include "support/library_fixture.hpp"
#include "support/scan_harness.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <optional>

using namespace scanhub;
using namespace std::chrono_literals;

namespace {

// An MPEG frame header followed by `size` bytes of zeros (sparse): it passes the MP3 frame-sync
// pre-check, and TagLib then searches the zeros byte by byte, twice (about 9 s per 100 MB on
// a quiet machine).
void write_header_then_zeros(const std::filesystem::path& path, off_t size) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "\xFF\xFB\x90\x00";
  ASSERT_EQ(::truncate(path.c_str(), size), 0);
}

// TagLib, with a signal when a read of a file named `watched` starts and when it ends.
class WatchingReader : public media::TagReader {
 public:
  explicit WatchingReader(std::string watched) : watched_(std::move(watched)) {}

  core::TrackMetadata read(const std::filesystem::path& path,
                           const media::ReadLimits& limits) const override {
    const bool watched = path.filename() == watched_;
    if (watched) set([&] { ++started_; });
    try {
      auto track = taglib_.read(path, limits);
      if (watched) set([&] { ++ended_; });
      return track;
    } catch (...) {
      if (watched) set([&] { ++ended_; });
      throw;
    }
  }

  bool wait_started(std::chrono::milliseconds timeout) const { return wait([&] { return started_ > 0; }, timeout); }
  bool wait_ended(std::chrono::milliseconds timeout) const { return wait([&] { return ended_ > 0; }, timeout); }

 private:
  template <class F>
  void set(F f) const {
    std::lock_guard lock(mutex_);
    f();
    changed_.notify_all();
  }
  template <class P>
  bool wait(P predicate, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, predicate);
  }

  media::TagLibReader taglib_;
  std::string watched_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  mutable int started_ = 0;
  mutable int ended_ = 0;
};

// A scan service like test::ScanHarness, with a budget and a reader of the test's choosing.
struct BudgetHarness {
  BudgetHarness(const std::filesystem::path& db, const media::TagReader& reader,
                std::chrono::milliseconds budget)
      : store(db), tracker(bus, std::chrono::milliseconds(0)) {
    scan::ScanServiceOptions options;
    options.workers = 2;
    options.file_time_budget = budget;
    service.emplace(store, tracker, reader, std::move(options));
  }

  core::Library add_library(const std::filesystem::path& path) {
    core::Library library;
    library.path = path.string();
    library.name = path.filename().string();
    library.created_at = core::Clock::now();
    store.write_sync([&](store::Connection& c) { library = c.libraries.add(library); });
    return library;
  }
  core::ScanSnapshot scan_to_end(const core::Library& library) {
    const auto id = service->start({library}, core::ScanTrigger::manual).id;
    service->wait(id);
    return *store.read([&](store::Connection& c) { return c.scans.get(id); });
  }
  std::vector<core::Track> tracks(const core::Library& library) {
    return store.read([&](store::Connection& c) { return c.tracks.list(library.id); });
  }
  std::vector<store::ScanError> errors(core::ScanId id) {
    return store.read([&](store::Connection& c) { return c.scans.errors(id, 1000); });
  }

  store::Store store;
  progress::EventBus bus;
  progress::ProgressTracker tracker;
  std::optional<scan::ScanService> service;
};

std::string first_mp3(const test::Manifest& manifest) {
  for (const auto& track : manifest.tracks) {
    if (track.codec == "mp3") return track.path;
  }
  throw std::runtime_error("the library has no mp3");
}

}  // namespace

TEST(FileBudget, AFileOverTheBudgetIsAnErrorWithTheReasonAndItsStoredTrackIsKept) {
  test::TempDir dir;
  // Seed 5 makes an album of mp3s.
  const auto manifest = test::make_library(dir / "library", 12, 5, /*bad_files=*/false);
  const media::TagLibReader reader;
  BudgetHarness harness(dir / "scanhub.db", reader, 1s);
  const auto library = harness.add_library(dir / "library");
  ASSERT_EQ(harness.scan_to_end(library).counters.tracks_found,
            static_cast<std::int64_t>(manifest.tracks.size()));

  // The file changes (size and mtime) into one TagLib would search for about 20 s.
  const std::string victim = first_mp3(manifest);
  write_header_then_zeros(dir / "library" / victim, 200 << 20);
  const auto started = std::chrono::steady_clock::now();
  const auto scan = harness.scan_to_end(library);
  // A loose bound: the budget and a dozen small files, where TagLib alone would take 20 s.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);

  EXPECT_EQ(scan.status, core::ScanStatus::completed);
  EXPECT_EQ(scan.counters.errors_count, 1);
  const auto errors = harness.errors(scan.id);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, victim);
  EXPECT_EQ(errors[0].reason, "reading took longer than the 1 s budget");
  // Bad input loses nothing: the track stays as it was stored, the others are all there.
  const auto tracks = harness.tracks(library);
  EXPECT_EQ(tracks.size(), manifest.tracks.size());
  EXPECT_TRUE(std::any_of(tracks.begin(), tracks.end(),
                          [&](const core::Track& t) { return t.path == victim; }));
}

TEST(FileBudget, ACancelStopsTheFileBeingReadAtOnce) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "library" / "Huge");
  write_header_then_zeros(dir / "library" / "Huge" / "frames.mp3", 500 << 20);
  const WatchingReader reader("frames.mp3");
  BudgetHarness harness(dir / "scanhub.db", reader, 300s);  // only the cancel can stop it
  const auto library = harness.add_library(dir / "library");
  const auto id = harness.service->start({library}, core::ScanTrigger::manual).id;
  ASSERT_TRUE(reader.wait_started(60s));

  ASSERT_TRUE(harness.service->cancel(id));
  // TagLib would search the 500 MB for a minute; the stop token ends the read at its next block.
  EXPECT_TRUE(reader.wait_ended(3s)) << "the read went on after the cancel";
  EXPECT_TRUE(harness.service->wait_for(id, 10s));
  const auto scan = *harness.store.read([&](store::Connection& c) { return c.scans.get(id); });
  EXPECT_EQ(scan.status, core::ScanStatus::cancelled);
  EXPECT_TRUE(harness.errors(id).empty()) << "a cancel is no error of the file";
}

TEST(FileBudget, AShutdownStopsTheFileBeingReadWithinItsGrace) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "library" / "Huge");
  write_header_then_zeros(dir / "library" / "Huge" / "frames.mp3", 500 << 20);
  const WatchingReader reader("frames.mp3");
  BudgetHarness harness(dir / "scanhub.db", reader, 300s);
  const auto library = harness.add_library(dir / "library");
  const auto id = harness.service->start({library}, core::ScanTrigger::manual).id;
  ASSERT_TRUE(reader.wait_started(60s));

  // The service's destructor gives running jobs 1 s, then triggers their stop tokens.
  const auto before = std::chrono::steady_clock::now();
  harness.service.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
  EXPECT_TRUE(reader.wait_ended(0ms));
  // Stopped, not failed: the scan resumes at the next start.
  const auto scan = *harness.store.read([&](store::Connection& c) { return c.scans.get(id); });
  EXPECT_EQ(scan.status, core::ScanStatus::scanning);
  EXPECT_TRUE(harness.errors(id).empty());
}
