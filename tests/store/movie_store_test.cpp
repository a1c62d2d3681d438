// MovieStore and AssetStore (schema migration 3) on a real SQLite file.

#include "store/schema.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

using namespace scanhub;

namespace {

core::Movie matrix(core::LibraryId library) {
  core::Movie movie;
  movie.library_id = library;
  movie.directory = "The Matrix (1999)";
  movie.video_path = "The Matrix (1999)/The Matrix (1999).mkv";
  movie.stamp = {51147, 1'700'000'000'123'456'789};
  movie.nfo_path = "The Matrix (1999)/movie.nfo";
  movie.nfo_mtime_ns = 1'700'000'000'000'000'001;
  auto& m = movie.metadata;
  m.title = "The Matrix";
  m.original_title = "The Matrix";
  m.year = 1999;
  m.premiered = "1999-03-31";
  m.plot = "Neo \"wakes\" <up> & \\ sees \xC3\xA9";
  m.runtime_minutes = 136;
  m.genres = {"Action", "Science Fiction"};
  m.tmdb_id = "603";
  m.imdb_id = "tt0133093";
  core::MovieStreams s;
  s.container = "matroska,webm";
  s.duration_ms = 2032;
  s.bit_rate = 201366;
  s.video_codec = "hevc";
  s.video_width = 3840;
  s.video_height = 2160;
  s.video_frame_rate = 23.976;
  s.video_hdr = "HDR10";
  s.audio = {{"truehd", 8, "7.1", 48000, "eng", "Atmos", true, false},
             {"ac3", 2, std::nullopt, 48000, std::nullopt, std::nullopt, false, false}};
  s.subtitles = {{"subrip", "fra", std::nullopt, false, true, false},
                 {"hdmv_pgs_subtitle", "eng", "SDH", false, false, true}};
  movie.streams = s;
  return movie;
}

core::ItemAsset asset(const std::string& path, core::AssetKind kind, std::int64_t size) {
  core::ItemAsset a;
  a.kind = kind;
  a.source_path = path;
  a.stamp = {size, 1000 + size};
  return a;
}

store::AssetContent content(char digit, std::int64_t size) {
  const std::string hash(64, digit);
  return {hash, size, hash.substr(0, 2) + "/" + hash.substr(2, 2) + "/" + hash + ".jpg", "image/jpeg", "jpg"};
}

class MovieStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::migrate(c_.db);
    core::Library library;
    library.path = "/movies";
    library.name = "Movies";
    library.type = core::LibraryType::movie;
    library.created_at = core::Clock::now();
    library_ = c_.libraries.add(library).id;
  }

  test::TempDir dir_;
  store::Connection c_{dir_ / "scanhub.db"};
  core::LibraryId library_ = 0;
};

}  // namespace

TEST_F(MovieStoreTest, AMovieReadsBackAsWritten) {
  core::Movie movie = matrix(library_);
  movie.id = c_.movies.insert(movie, core::Clock::now());
  EXPECT_EQ(c_.movies.get(movie.id), movie);

  core::Movie probed_nothing = movie;
  probed_nothing.directory = "Other (2000)";
  probed_nothing.streams.reset();
  probed_nothing.metadata = {};
  probed_nothing.metadata.title = "Other";
  probed_nothing.nfo_path.reset();
  probed_nothing.nfo_mtime_ns.reset();
  probed_nothing.id = c_.movies.insert(probed_nothing, core::Clock::now());
  EXPECT_EQ(c_.movies.get(probed_nothing.id), probed_nothing);

  const auto index = c_.movies.load_index(library_);
  ASSERT_EQ(index.size(), 2u);
  EXPECT_EQ(index.at("The Matrix (1999)").stamp, movie.stamp);
  EXPECT_EQ(index.at("The Matrix (1999)").nfo_mtime_ns, movie.nfo_mtime_ns);
  EXPECT_TRUE(index.at("The Matrix (1999)").has_streams);
  EXPECT_FALSE(index.at("Other (2000)").has_streams);
  EXPECT_EQ(c_.movies.find_indexed(library_, "Other (2000)")->id, probed_nothing.id);
  EXPECT_FALSE(c_.movies.find_indexed(library_, "Missing (2001)"));
  EXPECT_EQ(c_.movies.count(library_), 2);
}

TEST_F(MovieStoreTest, OneMoviePerDirectoryAndUpdatesReplaceFields) {
  core::Movie movie = matrix(library_);
  movie.id = c_.movies.insert(movie, core::Clock::now());
  EXPECT_THROW(c_.movies.insert(movie, core::Clock::now()), sqlite::Error);

  movie.metadata.title = "Matrix, The";
  movie.metadata.genres.clear();
  movie.nfo_error = "Start-end tags mismatch at offset 57";
  EXPECT_TRUE(c_.movies.update(movie, core::Clock::now()));
  EXPECT_EQ(c_.movies.get(movie.id), movie);
  movie.id = 999;
  EXPECT_FALSE(c_.movies.update(movie, core::Clock::now()));
}

TEST_F(MovieStoreTest, SyncKeepsHashesOfUnchangedFilesAndDropsMissingOnes) {
  const core::MovieId id = c_.movies.insert(matrix(library_), core::Clock::now());
  std::vector<core::ItemAsset> assets{asset("M/poster.jpg", core::AssetKind::poster, 100),
                                      asset("M/fanart.jpg", core::AssetKind::fanart, 200),
                                      asset("M/M.fr.forced.srt", core::AssetKind::subtitle, 50)};
  assets[2].language = "fr";
  assets[2].is_forced = true;
  EXPECT_EQ(c_.assets.sync_owner(core::AssetOwnerKind::movie, id, assets), 0);
  EXPECT_EQ(c_.assets.list_uncached(100).size(), 3u);

  // Two files with identical bytes: one content row.
  EXPECT_TRUE(c_.assets.set_cached(assets[0].id, content('a', 100), core::Clock::now()));
  EXPECT_TRUE(c_.assets.set_cached(assets[1].id, content('a', 100), core::Clock::now()));
  EXPECT_TRUE(c_.assets.set_cached(assets[2].id, content('b', 50), core::Clock::now()));
  EXPECT_EQ(c_.assets.list_contents().size(), 2u);
  EXPECT_FALSE(c_.assets.record_content(content('a', 100), core::Clock::now()));

  // Rescan: the poster unchanged, the fanart rewritten, the subtitle gone, a landscape new.
  std::vector<core::ItemAsset> rescan{asset("M/poster.jpg", core::AssetKind::poster, 100),
                                      asset("M/fanart.jpg", core::AssetKind::fanart, 201),
                                      asset("M/landscape.jpg", core::AssetKind::landscape, 300)};
  EXPECT_EQ(c_.assets.sync_owner(core::AssetOwnerKind::movie, id, rescan), 1);
  EXPECT_EQ(rescan[0].sha256, std::string(64, 'a'));
  EXPECT_EQ(rescan[0].cache_path, content('a', 100).cache_path);
  EXPECT_FALSE(rescan[1].sha256) << "a changed file must be hashed again";
  EXPECT_FALSE(rescan[2].sha256);

  const auto stored = c_.assets.list_for_owner(core::AssetOwnerKind::movie, id);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0].source_path, "M/fanart.jpg");
  EXPECT_EQ(stored[1].source_path, "M/landscape.jpg");
  EXPECT_EQ(stored[2], rescan[0]);
  EXPECT_EQ(c_.assets.list_uncached(100).size(), 2u);
}

TEST_F(MovieStoreTest, DeletingAMovieOrItsLibraryDeletesItsItemAssets) {
  const core::MovieId id = c_.movies.insert(matrix(library_), core::Clock::now());
  std::vector<core::ItemAsset> assets{asset("M/poster.jpg", core::AssetKind::poster, 100)};
  c_.assets.sync_owner(core::AssetOwnerKind::movie, id, assets);
  EXPECT_TRUE(c_.movies.remove(id));
  EXPECT_TRUE(c_.assets.list_for_owner(core::AssetOwnerKind::movie, id).empty());
  EXPECT_FALSE(c_.assets.set_cached(assets[0].id, content('c', 100), core::Clock::now()))
      << "a cache-asset job finishing after its movie went changes nothing";

  const core::MovieId again = c_.movies.insert(matrix(library_), core::Clock::now());
  std::vector<core::ItemAsset> more{asset("M/poster.jpg", core::AssetKind::poster, 100)};
  c_.assets.sync_owner(core::AssetOwnerKind::movie, again, more);
  EXPECT_TRUE(c_.libraries.remove(library_));
  EXPECT_FALSE(c_.movies.get(again));
  EXPECT_TRUE(c_.assets.list_for_owner(core::AssetOwnerKind::movie, again).empty());
}

TEST(AssetMimeTypes, ByExtension) {
  EXPECT_EQ(store::mime_type_for_extension("jpg"), "image/jpeg");
  EXPECT_EQ(store::mime_type_for_extension("png"), "image/png");
  EXPECT_EQ(store::mime_type_for_extension("srt"), "application/x-subrip");
  EXPECT_EQ(store::mime_type_for_extension("mp4"), "video/mp4");
  EXPECT_EQ(store::mime_type_for_extension(""), std::nullopt);
  EXPECT_EQ(store::mime_type_for_extension("exe"), std::nullopt);
}

TEST_F(MovieStoreTest, AnUpdateCanKeepTheStoredStreams) {
  core::Movie movie = matrix(library_);
  movie.id = c_.movies.insert(movie, core::Clock::now());
  const auto streams = movie.streams;
  movie.streams.reset();
  movie.metadata.title = "Renamed";
  EXPECT_TRUE(c_.movies.update(movie, core::Clock::now(), /*keep_streams=*/true));
  auto stored = c_.movies.get(movie.id);
  EXPECT_EQ(stored->metadata.title, "Renamed");
  EXPECT_EQ(stored->streams, streams);
  EXPECT_TRUE(c_.movies.update(movie, core::Clock::now()));
  EXPECT_FALSE(c_.movies.get(movie.id)->streams);
}
