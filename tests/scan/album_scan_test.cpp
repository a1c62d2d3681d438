// A scan of a make-library music library finds exactly the manifest's albums and album art
// (files and embedded pictures), caches each distinct content once, and a rescan with nothing
// changed queues no cache-asset job; changed and removed art reach the database (issue 4
// "Music libraries: ... album art as assets", seed 002 phase 3).

#include "support/library_fixture.hpp"
#include "support/scan_harness.hpp"

#include <gtest/gtest.h>

#include <set>
#include <tuple>

using namespace scanhub;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

struct ExpectedAlbum {
  std::optional<std::string> title, album_artist;
  std::optional<std::int64_t> year;
  std::int64_t track_count = 0;
  // (path, kind, source, sha256)
  std::set<std::tuple<std::string, std::string, std::string, std::string>> art;
};

struct AlbumManifest {
  std::map<std::string, ExpectedAlbum> albums;
  std::int64_t assets = 0;
  std::int64_t distinct = 0;
};

AlbumManifest load_albums(const fs::path& manifest) {
  std::ifstream in(manifest);
  std::stringstream text;
  text << in.rdbuf();
  const auto root = json::parse(text.str()).as_object();
  AlbumManifest out;
  for (const auto& value : root.at("albums").as_array()) {
    const auto& o = value.as_object();
    ExpectedAlbum album;
    album.title = test::optional_string(o, "title");
    album.album_artist = test::optional_string(o, "albumArtist");
    album.year = test::optional_int(o, "year");
    album.track_count = o.at("trackCount").to_number<std::int64_t>();
    for (const auto& a : o.at("art").as_array()) {
      const auto& art = a.as_object();
      album.art.emplace(json::value_to<std::string>(art.at("path")), json::value_to<std::string>(art.at("kind")),
                        json::value_to<std::string>(art.at("source")), json::value_to<std::string>(art.at("sha256")));
    }
    out.albums.emplace(json::value_to<std::string>(o.at("path")), std::move(album));
  }
  const auto& totals = root.at("albumTotals").as_object();
  out.assets = totals.at("assets").to_number<std::int64_t>();
  out.distinct = totals.at("distinctAssetHashes").to_number<std::int64_t>();
  return out;
}

std::size_t files_under(const fs::path& root) {
  std::size_t n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && !entry.path().filename().string().starts_with(".")) ++n;
  }
  return n;
}

class AlbumScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 110 tracks: about ten albums, enough for every kind of art the generator plants (a
    // folder.jpg, a Front.JPG, albums with only an embedded cover, a back.jpg, a corrupt cover).
    test::make_library(dir_ / "library", 110, 3);
    expected_ = load_albums(dir_ / "library/manifest.json");
    library_ = harness_.add_library(dir_ / "library");
  }

  // The stored albums in the manifest's shape.
  std::map<std::string, ExpectedAlbum> stored_albums() {
    return harness_.store.read([&](store::Connection& c) {
      std::map<std::string, ExpectedAlbum> out;
      for (const auto& album : c.albums.list(library_.id)) {
        ExpectedAlbum e{album.title, album.album_artist, album.year, album.track_count, {}};
        const auto full = c.albums.get(album.id);
        for (const auto& a : full->art) {
          e.art.emplace(a.asset.source_path, std::string(core::to_string(a.asset.kind)),
                        std::string(store::to_string(a.source)), a.asset.sha256.value_or("(not cached)"));
        }
        out.emplace(album.directory, std::move(e));
      }
      return out;
    });
  }

  void expect_manifest() {
    const auto stored = stored_albums();
    std::set<std::string> stored_paths, expected_paths;
    for (const auto& [path, album] : stored) stored_paths.insert(path);
    for (const auto& [path, album] : expected_.albums) expected_paths.insert(path);
    ASSERT_EQ(stored_paths, expected_paths);
    for (const auto& [path, want] : expected_.albums) {
      const auto& got = stored.at(path);
      EXPECT_EQ(got.title, want.title) << path;
      EXPECT_EQ(got.album_artist, want.album_artist) << path;
      EXPECT_EQ(got.year, want.year) << path;
      EXPECT_EQ(got.track_count, want.track_count) << path;
      EXPECT_EQ(got.art, want.art) << path;
    }
  }

  test::TempDir dir_;
  AlbumManifest expected_;
  test::ScanHarness harness_{dir_ / "scanhub.db"};
  core::Library library_;
};

}  // namespace

TEST_F(AlbumScanTest, AlbumsAndArtEqualTheManifestAndARescanQueuesNothing) {
  // The generator must have planted every case this test is about.
  std::set<std::string> kinds;
  for (const auto& [path, album] : expected_.albums) {
    for (const auto& [art_path, kind, source, sha] : album.art) kinds.insert(kind + "/" + source);
  }
  ASSERT_EQ(kinds, (std::set<std::string>{"back/file", "cover/embedded", "cover/file"}));
  ASSERT_LT(expected_.distinct, expected_.assets) << "no duplicate art to store once";

  const auto scan = harness_.scan(library_);
  ASSERT_EQ(scan.status, core::ScanStatus::completed);
  EXPECT_EQ(scan.counters.assets_queued, expected_.assets);
  EXPECT_EQ(scan.counters.assets_cached, expected_.assets);
  EXPECT_EQ(scan.counters.assets_failed, 0);
  expect_manifest();
  const fs::path cache = dir_ / "cache";
  EXPECT_EQ(files_under(cache), static_cast<std::size_t>(expected_.distinct)) << "duplicates stored once";
  const auto contents = harness_.store.read([](store::Connection& c) { return c.assets.list_contents(); });
  EXPECT_EQ(contents.size(), static_cast<std::size_t>(expected_.distinct));

  const auto again = harness_.scan(library_);
  ASSERT_EQ(again.status, core::ScanStatus::completed);
  EXPECT_EQ(again.counters.assets_queued, 0) << "an unchanged library queues no cache-asset job";
  EXPECT_EQ(again.counters.assets_cached, 0);
  expect_manifest();
}

TEST_F(AlbumScanTest, ChangedRemovedAndAddedArtAndAGoneAlbum) {
  ASSERT_EQ(harness_.scan(library_).status, core::ScanStatus::completed);
  // An album with a cover file and one whose only art is embedded.
  std::string with_file, with_embedded;
  for (const auto& [path, album] : expected_.albums) {
    for (const auto& [art_path, kind, source, sha] : album.art) {
      if (kind == "cover" && source == "file" && with_file.empty()) with_file = path;
      if (source == "embedded" && with_embedded.empty()) with_embedded = path;
    }
  }
  ASSERT_FALSE(with_file.empty());
  ASSERT_FALSE(with_embedded.empty());
  const fs::path root = dir_ / "library";
  std::string cover_name;
  for (const auto& [art_path, kind, source, sha] : expected_.albums.at(with_file).art) {
    if (kind == "cover") cover_name = art_path;
  }
  // New bytes in the cover file; a cover file added where the art was embedded.
  std::ofstream(root / cover_name, std::ios::app) << "appended bytes";
  fs::copy_file(root / cover_name, root / with_embedded / "folder.jpg");

  auto scan = harness_.scan(library_);
  ASSERT_EQ(scan.status, core::ScanStatus::completed);
  EXPECT_EQ(scan.counters.assets_queued, 2);  // the changed cover and the new folder.jpg (same bytes)
  EXPECT_EQ(scan.counters.assets_cached, 2);
  auto stored = stored_albums();
  const auto new_hash = [&](const std::string& album) {
    for (const auto& [p, kind, source, sha] : stored.at(album).art) {
      if (kind == "cover") return std::tuple(p, source, sha);
    }
    return std::tuple(std::string(), std::string(), std::string());
  };
  const auto [changed_path, changed_source, changed_sha] = new_hash(with_file);
  const auto [added_path, added_source, added_sha] = new_hash(with_embedded);
  EXPECT_EQ(changed_path, cover_name);
  EXPECT_EQ(added_path, with_embedded + "/folder.jpg");
  EXPECT_EQ(added_source, "file");
  EXPECT_EQ(added_sha, changed_sha);
  EXPECT_EQ(stored.at(with_embedded).art.size(), expected_.albums.at(with_embedded).art.size())
      << "the embedded cover gave way to the file";

  // Every track of an album deleted: the album and its art rows go.
  for (const auto& entry : fs::directory_iterator(root / with_file)) {
    if (entry.is_regular_file() && entry.path().extension() != ".jpg" &&
        entry.path().extension() != ".JPG" && entry.path().extension() != ".txt" &&
        entry.path().extension() != ".m3u") {
      fs::remove(entry.path());
    }
  }
  scan = harness_.scan(library_);
  ASSERT_EQ(scan.status, core::ScanStatus::completed);
  stored = stored_albums();
  EXPECT_FALSE(stored.contains(with_file));
  const auto orphans = harness_.store.read([&](store::Connection& c) {
    sqlite::Statement s(c.db,
                        "SELECT count(*) FROM item_assets WHERE owner_kind = 'album' AND owner_id NOT IN "
                        "(SELECT id FROM albums)");
    s.step();
    return s.column_int64(0);
  });
  EXPECT_EQ(orphans, 0);
}

TEST_F(AlbumScanTest, AnAlbumWhoseEveryTrackWasRenamedKeepsItsIdAndArt) {
  ASSERT_EQ(harness_.scan(library_).status, core::ScanStatus::completed);
  std::string directory;
  for (const auto& [path, album] : expected_.albums) {
    for (const auto& [art_path, kind, source, sha] : album.art) {
      if (kind == "cover" && source == "file" && directory.empty()) directory = path;
    }
  }
  ASSERT_FALSE(directory.empty());
  const auto before = harness_.store.read(
      [&](store::Connection& c) { return c.albums.find(library_.id, directory); });
  ASSERT_TRUE(before);

  const fs::path root = dir_ / "library" / directory;
  std::vector<fs::path> tracks;
  for (const auto& entry : fs::directory_iterator(root)) {
    const auto extension = entry.path().extension();
    if (entry.is_regular_file() && extension != ".jpg" && extension != ".JPG" &&
        extension != ".txt" && extension != ".m3u") {
      tracks.push_back(entry.path());
    }
  }
  ASSERT_GE(tracks.size(), 2u);
  for (const auto& track : tracks) {
    fs::rename(track, track.parent_path() / ("renamed " + track.filename().string()));
  }

  const auto scan = harness_.scan(library_);
  ASSERT_EQ(scan.status, core::ScanStatus::completed);
  // Every stored track of the directory left and came back (a broken file there is no track).
  EXPECT_EQ(scan.counters.tracks_new, before->album.track_count);
  EXPECT_EQ(scan.counters.tracks_removed, before->album.track_count);
  EXPECT_EQ(scan.counters.assets_queued, 0) << "the album's art is still cached";
  const auto after = harness_.store.read(
      [&](store::Connection& c) { return c.albums.find(library_.id, directory); });
  ASSERT_TRUE(after);
  EXPECT_EQ(after->album.id, before->album.id) << "the same album, not a new one";
  EXPECT_EQ(after->album.track_count, before->album.track_count);
  ASSERT_EQ(after->art.size(), before->art.size());
  for (std::size_t i = 0; i < after->art.size(); ++i) {
    EXPECT_EQ(after->art[i].asset.id, before->art[i].asset.id);
    EXPECT_EQ(after->art[i].asset.sha256, before->art[i].asset.sha256);
  }
  const auto without_album = harness_.store.read([&](store::Connection& c) {
    sqlite::Statement s(c.db, "SELECT count(*) FROM tracks WHERE album_id IS NULL");
    s.step();
    return s.column_int64(0);
  });
  EXPECT_EQ(without_album, 0);
  expect_manifest();
}
