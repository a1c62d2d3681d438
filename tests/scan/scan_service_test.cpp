// A real library made by ffmpeg, scanned into a real SQLite file, compared with the manifest.

#include "support/library_fixture.hpp"
#include "support/scan_harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

using namespace scanhub;

namespace {

class ManifestScanTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    manifest_ = new test::Manifest(test::make_library(dir_->path() / "library", 120));
  }
  static void TearDownTestSuite() {
    delete manifest_;
    delete dir_;
  }

  static test::TempDir* dir_;
  static test::Manifest* manifest_;
  test::TempDir db_dir_;
};

test::TempDir* ManifestScanTest::dir_ = nullptr;
test::Manifest* ManifestScanTest::manifest_ = nullptr;

}  // namespace

TEST_F(ManifestScanTest, DatabaseMatchesTheManifestExactly) {
  test::ScanHarness harness(db_dir_ / "scanhub.db");
  const auto library = harness.add_library(dir_->path() / "library");
  const core::ScanSnapshot scan = harness.scan(library);

  EXPECT_EQ(scan.status, core::ScanStatus::completed);
  const auto tracks = harness.tracks(library);
  std::map<std::string, core::Track> by_path;
  for (const auto& t : tracks) by_path.emplace(t.path, t);
  ASSERT_EQ(tracks.size(), manifest_->tracks.size());
  for (const auto& expected : manifest_->tracks) {
    SCOPED_TRACE(expected.path);
    const auto it = by_path.find(expected.path);
    ASSERT_NE(it, by_path.end());
    const core::TrackMetadata& m = it->second.metadata;
    EXPECT_EQ(m.title, expected.title);
    EXPECT_EQ(m.artist, expected.artist);
    EXPECT_EQ(m.album, expected.album);
    EXPECT_EQ(m.album_artist, expected.album_artist);
    EXPECT_EQ(m.track_number, expected.track_number);
    EXPECT_EQ(m.disc_number, expected.disc_number);
    EXPECT_EQ(m.year, expected.year);
    EXPECT_EQ(m.genre, expected.genre);
    EXPECT_NEAR(m.duration_ms, expected.duration_ms, 50);
    EXPECT_EQ(m.codec, expected.codec);
    EXPECT_EQ(m.sample_rate, expected.sample_rate);
    EXPECT_EQ(m.channels, expected.channels);
    EXPECT_GT(m.bitrate_kbps, 0);
  }
  for (const auto& ignored : manifest_->ignored) EXPECT_FALSE(by_path.contains(ignored)) << ignored;

  const auto n = static_cast<std::int64_t>(manifest_->tracks.size());
  EXPECT_EQ(scan.counters.tracks_found, n);
  EXPECT_EQ(scan.counters.tracks_new, n);
  EXPECT_EQ(scan.counters.tracks_updated, 0);
  EXPECT_EQ(scan.counters.tracks_removed, 0);
  EXPECT_EQ(scan.counters.directories_total, manifest_->directories_with_audio);
  EXPECT_EQ(scan.counters.directories_scanned, manifest_->directories_with_audio);
  EXPECT_TRUE(scan.times.discovery_completed_at);
  EXPECT_TRUE(scan.times.scanning_completed_at);
  EXPECT_TRUE(scan.times.completed_at);
}

TEST_F(ManifestScanTest, EveryBadFileIsAnErrorWithAReason) {
  test::ScanHarness harness(db_dir_ / "scanhub.db");
  const auto library = harness.add_library(dir_->path() / "library");
  const core::ScanSnapshot scan = harness.scan(library);

  EXPECT_EQ(scan.status, core::ScanStatus::completed);  // bad input never stops a scan
  const auto errors = harness.errors(scan.id);
  EXPECT_EQ(scan.counters.errors_count, static_cast<std::int64_t>(manifest_->error_paths.size()));
  ASSERT_EQ(errors.size(), manifest_->error_paths.size());
  std::map<std::string, std::string> reasons;
  for (const auto& e : errors) reasons.emplace(e.path, e.reason);
  for (const auto& path : manifest_->error_paths) {
    const auto it = reasons.find(path);
    ASSERT_NE(it, reasons.end()) << "no error for " << path;
    EXPECT_GE(it->second.size(), 8u) << path;
  }
  EXPECT_EQ(reasons.at("Bad/zero.mp3"), "empty file (0 bytes)");
  EXPECT_EQ(reasons.at("Bad/pipe.mp3"), "not an audio file: it is a FIFO");
  EXPECT_EQ(reasons.at("Bad/dangling.flac"), "broken symbolic link: its target does not exist");
  ASSERT_TRUE(scan.last_error);
}

TEST_F(ManifestScanTest, ProgressEventsNeverGoBackwardsAndEndWithTheStoredCounts) {
  test::ScanHarness harness(db_dir_ / "scanhub.db", 2);
  std::vector<core::ScanSnapshot> seen;
  harness.bus.subscribe([&](const progress::Event& e) { seen.push_back(progress::scan_of(e)); });
  const auto library = harness.add_library(dir_->path() / "library");
  const core::ScanSnapshot stored = harness.scan(library);

  ASSERT_GE(seen.size(), 3u);
  for (std::size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GE(seen[i].counters.directories_scanned, seen[i - 1].counters.directories_scanned);
    EXPECT_GE(seen[i].counters.tracks_found, seen[i - 1].counters.tracks_found);
    EXPECT_GE(static_cast<int>(seen[i].status), static_cast<int>(seen[i - 1].status));
  }
  EXPECT_EQ(seen.back().status, core::ScanStatus::completed);
  EXPECT_EQ(seen.back().counters, stored.counters);
}

TEST(ScanService, AMissingLibraryFailsTheScanAndKeepsItsTracks) {
  test::TempDir dir;
  test::make_library(dir / "library", 12, 3, false);
  test::ScanHarness harness(dir / "scanhub.db");
  const auto library = harness.add_library(dir / "library");
  ASSERT_EQ(harness.scan(library).status, core::ScanStatus::completed);
  const auto before = harness.tracks(library).size();

  std::filesystem::rename(dir / "library", dir / "unmounted");
  const core::ScanSnapshot scan = harness.scan(library);
  EXPECT_EQ(scan.status, core::ScanStatus::failed);
  ASSERT_TRUE(scan.failure);
  EXPECT_NE(scan.failure->find("library unavailable"), std::string::npos) << *scan.failure;
  EXPECT_EQ(harness.tracks(library).size(), before);
  EXPECT_EQ(scan.counters.tracks_removed, 0);
}

TEST(ScanService, ACancelledScanEndsCancelledAndRemovesNothing) {
  test::TempDir dir;
  test::make_library(dir / "library", 40, 5, false);
  const core::Library library = [&] {
    test::ScanHarness harness(dir / "scanhub.db");
    const auto l = harness.add_library(dir / "library");
    EXPECT_EQ(harness.scan(l).status, core::ScanStatus::completed);
    return l;
  }();

  test::GatedReader gate;
  test::ScanHarness harness(dir / "scanhub.db", 2, &gate);
  const auto before = harness.tracks(library).size();
  std::filesystem::remove_all(dir / "library" / "Björk");  // would be removals if it completed
  // Touch every file so the scan must read them: the gated reader holds it in scanning.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "library")) {
    if (entry.is_regular_file()) {
      std::filesystem::last_write_time(entry.path(), std::filesystem::file_time_type::clock::now());
    }
  }
  const auto id = harness.service.start({library}, core::ScanTrigger::manual).id;
  gate.wait_for_reader();
  EXPECT_TRUE(harness.service.cancel(id));
  gate.open();
  harness.service.wait(id);
  const auto scan = *harness.store.read([&](store::Connection& c) { return c.scans.get(id); });
  EXPECT_EQ(scan.status, core::ScanStatus::cancelled);
  EXPECT_EQ(scan.counters.tracks_removed, 0);
  EXPECT_LT(scan.counters.directories_scanned, scan.counters.directories_total);
  EXPECT_EQ(harness.tracks(library).size(), before);
  EXPECT_FALSE(harness.service.cancel(id));  // no longer running
}

TEST(ScanService, ASecondScanOfTheSameLibraryReturnsTheRunningOne) {
  test::TempDir dir;
  test::make_library(dir / "library", 20, 5, false);
  test::GatedReader gate;
  test::ScanHarness harness(dir / "scanhub.db", 2, &gate);
  const auto library = harness.add_library(dir / "library");
  const auto first = harness.service.start({library}, core::ScanTrigger::manual);
  gate.wait_for_reader();
  const auto second = harness.service.start({library}, core::ScanTrigger::manual);
  EXPECT_TRUE(second.already_running);
  EXPECT_EQ(second.id, first.id);

  core::Library other = harness.add_library(dir.path());  // overlaps: conflict, not a second scan
  EXPECT_THROW(harness.service.start({library, other}, core::ScanTrigger::manual), scan::ScanConflict);
  gate.open();
  harness.service.wait(first.id);
}

namespace {
// A reader that fails in a way no tag reader should: not with a ReadError, not even with a
// std::exception. The scan must count it and finish, not hang or crash.
class ThrowingReader : public media::TagReader {
 public:
  core::TrackMetadata read(const std::filesystem::path&, const media::ReadLimits&) const override {
    throw 42;
  }
};
}  // namespace

TEST(ScanService, AUnitOfWorkThatThrowsIsAnErrorAndTheScanFinishes) {
  test::TempDir dir;
  const auto manifest = test::make_library(dir / "library", 12, 3, false);
  ThrowingReader reader;
  test::ScanHarness harness(dir / "scanhub.db", 2, &reader);
  const auto library = harness.add_library(dir / "library");
  const core::ScanSnapshot scan = harness.scan(library);
  EXPECT_EQ(scan.status, core::ScanStatus::completed);
  EXPECT_EQ(scan.counters.errors_count, manifest.directories_with_audio);  // one per directory
  EXPECT_EQ(scan.counters.directories_scanned, manifest.directories_with_audio);
  EXPECT_TRUE(harness.tracks(library).empty());
  const auto errors = harness.errors(scan.id);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].reason, "cannot scan directory: unknown error");
}
