// Incremental rescans: only what changed is read; renames are a removal plus a new track; a
// directory whose fingerprint still holds gets no directory-scan job at all.

#include "support/library_fixture.hpp"
#include "support/scan_harness.hpp"

#include <taglib/fileref.h>
#include <taglib/tag.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

using namespace scanhub;
namespace fs = std::filesystem;

namespace {

class RescanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    manifest_ = test::make_library(dir_ / "library", 30, 11, false);
    library_ = harness_.add_library(dir_ / "library");
    const auto first = harness_.scan(library_);
    ASSERT_EQ(first.status, core::ScanStatus::completed);
    ASSERT_EQ(first.counters.tracks_new, 30);
  }

  fs::path file(const std::string& relative) const { return dir_ / "library" / relative; }
  const std::string& track_path(std::size_t i) const { return manifest_.tracks.at(i).path; }

  // The directory-scan jobs scan `id` ran, by directory.
  std::vector<std::string> directory_jobs(core::ScanId id) {
    store::JobFilter filter;
    filter.type = "directory-scan";
    filter.scan_id = id;
    filter.limit = 10000;
    std::vector<std::string> directories;
    for (const auto& job : harness_.store.read([&](store::Connection& c) { return c.jobs.list(filter); })) {
      directories.push_back(job.payload);
    }
    return directories;
  }

  std::map<std::string, core::Track> tracks_by_path() {
    std::map<std::string, core::Track> tracks;
    for (auto& t : harness_.tracks(library_)) tracks.emplace(t.path, t);
    return tracks;
  }

  test::TempDir dir_;
  test::Manifest manifest_;
  test::ScanHarness harness_{dir_ / "scanhub.db"};
  core::Library library_;
};

void retitle(const fs::path& path, const std::string& title) {
  TagLib::FileRef ref(path.c_str());
  ASSERT_FALSE(ref.isNull());
  ref.tag()->setTitle(TagLib::String(title, TagLib::String::UTF8));
  ASSERT_TRUE(ref.save());
}

}  // namespace

TEST_F(RescanTest, NothingChangedReadsNothingAndChangesNothing) {
  const auto before = tracks_by_path();
  const auto scan = harness_.scan(library_);
  EXPECT_EQ(scan.status, core::ScanStatus::completed);
  EXPECT_EQ(scan.counters.tracks_found, 30);
  EXPECT_EQ(scan.counters.tracks_new, 0);
  EXPECT_EQ(scan.counters.tracks_updated, 0);
  EXPECT_EQ(scan.counters.tracks_removed, 0);
  EXPECT_EQ(scan.counters.directories_scanned, scan.counters.directories_total);
  EXPECT_GT(scan.counters.directories_total, 0);
  EXPECT_TRUE(directory_jobs(scan.id).empty()) << "unchanged directories are counted, not queued";
  const auto after = tracks_by_path();
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [path, track] : before) EXPECT_EQ(after.at(path).id, track.id) << path;
}

TEST_F(RescanTest, OnlyDirectoriesWithAChangedEntryGetADirectoryScanJob) {
  const fs::path retitled = track_path(0);
  fs::path other;
  for (const auto& t : manifest_.tracks) {
    if (fs::path(t.path).parent_path() != retitled.parent_path()) other = fs::path(t.path).parent_path();
  }
  ASSERT_FALSE(other.empty());
  retitle(file(retitled.string()), "Changed Title");
  std::ofstream(file((other / "folder.jpg").string())) << "not audio, but part of the album";

  const auto scan = harness_.scan(library_);
  EXPECT_EQ(scan.status, core::ScanStatus::completed);
  EXPECT_EQ(scan.counters.tracks_found, 30);
  EXPECT_EQ(scan.counters.tracks_updated, 1);
  EXPECT_EQ(scan.counters.directories_scanned, scan.counters.directories_total);
  auto jobs = directory_jobs(scan.id);
  ASSERT_EQ(jobs.size(), 2u);
  std::sort(jobs.begin(), jobs.end());
  const bool named = (jobs[0].find(retitled.parent_path().string()) != std::string::npos &&
                      jobs[1].find(other.string()) != std::string::npos) ||
                     (jobs[1].find(retitled.parent_path().string()) != std::string::npos &&
                      jobs[0].find(other.string()) != std::string::npos);
  EXPECT_TRUE(named) << jobs[0] << "\n" << jobs[1];

  const auto again = harness_.scan(library_);
  EXPECT_EQ(again.counters.tracks_found, 30);
  EXPECT_TRUE(directory_jobs(again.id).empty());
}

TEST_F(RescanTest, AddedChangedDeletedAndRenamedFilesGiveExactCounts) {
  const std::string changed = track_path(0);
  const std::string deleted = track_path(1);
  const std::string renamed_from = track_path(2);
  const std::string renamed_to = fs::path(renamed_from).parent_path().string() + "/renamed" +
                                 fs::path(renamed_from).extension().string();
  const std::string added = "New Artist/New Album/01 - Added" + fs::path(track_path(3)).extension().string();

  retitle(file(changed), "Changed Title");
  fs::remove(file(deleted));
  fs::rename(file(renamed_from), file(renamed_to));
  fs::create_directories(file("New Artist/New Album"));
  fs::copy_file(file(track_path(3)), file(added));
  const auto before = tracks_by_path();

  const auto scan = harness_.scan(library_);
  EXPECT_EQ(scan.status, core::ScanStatus::completed);
  EXPECT_EQ(scan.counters.tracks_new, 2);      // added, renamed_to
  EXPECT_EQ(scan.counters.tracks_updated, 1);  // changed
  EXPECT_EQ(scan.counters.tracks_removed, 2);  // deleted, renamed_from
  EXPECT_EQ(scan.counters.tracks_found, 30);   // 30 - 1 deleted + 1 added (rename: same count)
  EXPECT_EQ(scan.counters.errors_count, 0);

  const auto after = tracks_by_path();
  EXPECT_EQ(after.size(), 30u);
  EXPECT_EQ(after.at(changed).metadata.title, "Changed Title");
  EXPECT_EQ(after.at(changed).id, before.at(changed).id);  // an update keeps the track's id
  EXPECT_FALSE(after.contains(deleted));
  EXPECT_FALSE(after.contains(renamed_from));
  ASSERT_TRUE(after.contains(renamed_to));
  EXPECT_EQ(after.at(renamed_to).metadata.title, before.at(renamed_from).metadata.title);
  ASSERT_TRUE(after.contains(added));
  EXPECT_EQ(after.at(added).metadata.title, before.at(track_path(3)).metadata.title);

  const auto again = harness_.scan(library_);  // and then it is stable
  EXPECT_EQ(again.counters.tracks_new + again.counters.tracks_updated + again.counters.tracks_removed, 0);
}

TEST_F(RescanTest, AFileThatTurnedBadIsAnErrorAndItsTrackIsKept) {
  const std::string broken = track_path(4);
  const auto id = tracks_by_path().at(broken).id;
  {
    std::ofstream out(file(broken), std::ios::trunc);
    out << "this is not audio any more\n";
  }
  const auto scan = harness_.scan(library_);
  EXPECT_EQ(scan.status, core::ScanStatus::completed);
  EXPECT_EQ(scan.counters.errors_count, 1);
  EXPECT_EQ(scan.counters.tracks_removed, 0);
  const auto errors = harness_.errors(scan.id);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, broken);
  EXPECT_EQ(tracks_by_path().at(broken).id, id);

  // A directory with an error is never skipped as unchanged: the error is reported every scan.
  const auto again = harness_.scan(library_);
  EXPECT_EQ(again.counters.errors_count, 1);
  EXPECT_EQ(directory_jobs(again.id).size(), 1u);
  EXPECT_EQ(again.counters.tracks_found, scan.counters.tracks_found);
}

TEST_F(RescanTest, ADirectoryWithAScanignoreFileIsDroppedFromTheLibrary) {
  const fs::path album = fs::path(track_path(0)).parent_path();
  std::size_t in_album = 0;
  for (const auto& t : manifest_.tracks) in_album += fs::path(t.path).parent_path() == album ? 1 : 0;
  std::ofstream(file((album / ".scanignore").string())).put('\n');
  const auto scan = harness_.scan(library_);
  EXPECT_EQ(scan.counters.tracks_removed, static_cast<std::int64_t>(in_album));
  EXPECT_EQ(scan.counters.errors_count, 0);
}
