// Album art of a music directory (scan/album_art): which files are art and of which kind, the
// album's tags, the picture embedded in a track as the cover when no cover file exists, and
// its bytes cached at cache time. Real files made by ffmpeg (issue 4 "Music libraries: ...
// album art (cover.jpg, folder.jpg, embedded pictures) as assets").

#include "scan/album_art.hpp"

#include "lib/crypto/file_digest.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace scanhub;
namespace fs = std::filesystem;

namespace {

void ffmpeg(const std::string& args) {
  const std::string command = "ffmpeg -nostdin -v error -y " + args + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string hex_of_file(const fs::path& path) {
  auto digest = crypto::hash_file(path);
  return digest ? crypto::to_hex(digest->sha256) : "";
}

struct ArtRow {
  std::string path;
  core::AssetKind kind;
  store::AssetSource source;
  bool operator==(const ArtRow&) const = default;
};

std::vector<ArtRow> rows(const scan::AlbumDirectoryResult& result) {
  std::vector<ArtRow> out;
  for (const auto& a : result.art) out.push_back({a.asset.source_path, a.asset.kind, a.source});
  return out;
}

std::ostream& operator<<(std::ostream& os, const ArtRow& row) {
  return os << row.path << " " << core::to_string(row.kind) << " " << store::to_string(row.source);
}

}  // namespace

TEST(AlbumArtKind, NamesAndExtensionsAreComparedCaseInsensitively) {
  struct Case {
    const char* name;
    std::optional<core::AssetKind> kind;
  };
  const Case cases[] = {
      {"cover.jpg", core::AssetKind::cover},   {"Cover.JPG", core::AssetKind::cover},
      {"folder.jpeg", core::AssetKind::cover}, {"FRONT.png", core::AssetKind::cover},
      {"album.jpg", core::AssetKind::cover},   {"back.jpg", core::AssetKind::back},
      {"Back.PNG", core::AssetKind::back},     {"disc.png", core::AssetKind::disc},
      {"CD.jpg", core::AssetKind::disc},       {"cover.gif", std::nullopt},
      {"cover", std::nullopt},                 {"covers.jpg", std::nullopt},
      {"my cover.jpg", std::nullopt},          {"cd1.jpg", std::nullopt},
      {".jpg", std::nullopt},                  {"cover.jpg.txt", std::nullopt},
      {"01 - Track.mp3", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(scan::album_art_kind(c.name), c.kind) << c.name;
}

TEST(SummarizeAlbum, MostCommonTagsAndTheVariousArtistsRule) {
  using T = store::AlbumTrackTags;
  const std::vector<T> one_artist{{"Homogenic", "Björk", std::nullopt, 1997},
                                  {"Homogenic", "Björk", std::nullopt, 1997},
                                  {"Homogenic (Live)", "Björk", std::nullopt, std::nullopt}};
  auto album = scan::summarize_album(one_artist);
  EXPECT_EQ(album.title, "Homogenic");
  EXPECT_EQ(album.album_artist, "Björk");  // no album artist tag: the artist
  EXPECT_EQ(album.year, 1997);
  EXPECT_EQ(album.track_count, 3);

  const std::vector<T> compilation{{"Drive", "A", std::nullopt, 2004}, {"Drive", "B", std::nullopt, 2004}};
  EXPECT_EQ(scan::summarize_album(compilation).album_artist, "Various Artists");

  const std::vector<T> tagged{{"Drive", "A", "The Band", 2004},
                              {"Drive", "B", std::nullopt, 2004},
                              {"Drive", "C", "The Band", 2004}};
  EXPECT_EQ(scan::summarize_album(tagged).album_artist, "The Band");

  const std::vector<T> untagged{{std::nullopt, std::nullopt, std::nullopt, std::nullopt}};
  album = scan::summarize_album(untagged);
  EXPECT_EQ(album.title, std::nullopt);
  EXPECT_EQ(album.album_artist, std::nullopt);
  EXPECT_EQ(album.track_count, 1);
}

class AlbumArtFiles : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    const fs::path a = dir_->path() / "lib/Artist/Album";
    fs::create_directories(a);
    const std::string cover = (dir_->path() / "cover-source.jpg").string();
    const std::string sine = "-f lavfi -i sine=frequency=440:duration=0.3 ";
    ffmpeg("-f lavfi -i testsrc=size=64x64 -frames:v 1 '" + cover + "'");
    ffmpeg("-f lavfi -i color=c=red:size=32x32 -frames:v 1 '" + (a / "Back.PNG").string() + "'");
    ffmpeg("-f lavfi -i color=c=blue:size=32x32 -frames:v 1 '" + (a / "cd.jpg").string() + "'");
    // 01 has no picture; 02 (mp3, ID3v2 APIC) and 03 (flac, PICTURE block) carry the cover's
    // bytes as they are (stream copy), so what is cached must hash as the source file does.
    ffmpeg(sine + "-c:a libmp3lame '" + (a / "01 - First.mp3").string() + "'");
    ffmpeg(sine + "-i '" + cover + "' -map 0 -map 1 -c:a libmp3lame -c:v copy -disposition:v attached_pic '" +
           (a / "02 - Second.mp3").string() + "'");
    ffmpeg(sine + "-i '" + cover + "' -map 0 -map 1 -c:a flac -c:v copy -disposition:v attached_pic '" +
           (a / "03 - Third.flac").string() + "'");
    fs::copy_file(cover, a / "cover.jpg");
    std::ofstream(a / "notes.txt") << "not art\n";
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static fs::path root() { return dir_->path() / "lib"; }
  static fs::path album() { return root() / "Artist/Album"; }
  static scan::LinkRule links() { return scan::LinkRule(root().string(), false); }
  static std::vector<std::string> tracks() {
    return {"01 - First.mp3", "02 - Second.mp3", "03 - Third.flac"};
  }
  scan::AlbumDirectoryResult scan_album(std::optional<store::StoredAlbum> stored = std::nullopt,
                                        bool tracks_changed = true) {
    const auto names = tracks();
    return scan::scan_album_directory(root().string(), 1, "Artist/Album", names, std::move(stored),
                                      tracks_changed, core::ScanOptions{}, links());
  }

  static test::TempDir* dir_;
};

test::TempDir* AlbumArtFiles::dir_ = nullptr;

TEST_F(AlbumArtFiles, CoverFilesComeFirstAndHideTheEmbeddedPicture) {
  const auto result = scan_album();
  EXPECT_TRUE(result.art_discovered);
  EXPECT_FALSE(result.unchanged);
  const std::vector<ArtRow> expected{
      {"Artist/Album/cover.jpg", core::AssetKind::cover, store::AssetSource::file},
      {"Artist/Album/Back.PNG", core::AssetKind::back, store::AssetSource::file},
      {"Artist/Album/cd.jpg", core::AssetKind::disc, store::AssetSource::file}};
  EXPECT_EQ(rows(result), expected);
  for (const auto& a : result.art) {
    EXPECT_EQ(a.asset.stamp.size, static_cast<std::int64_t>(fs::file_size(root() / a.asset.source_path)));
  }
}

TEST_F(AlbumArtFiles, WithoutACoverFileTheFirstTrackWithAPictureIsTheCover) {
  fs::rename(album() / "cover.jpg", dir_->path() / "cover.jpg.away");
  const auto result = scan_album();
  fs::rename(dir_->path() / "cover.jpg.away", album() / "cover.jpg");
  const std::vector<ArtRow> expected{
      {"Artist/Album/Back.PNG", core::AssetKind::back, store::AssetSource::file},
      {"Artist/Album/cd.jpg", core::AssetKind::disc, store::AssetSource::file},
      {"Artist/Album/02 - Second.mp3", core::AssetKind::cover, store::AssetSource::embedded}};
  EXPECT_EQ(rows(result), expected);

  // Stored as found and no track changed: unchanged, and TagLib is not asked again (the stored
  // embedded cover is carried over even though the listing here names no tracks at all).
  store::StoredAlbum stored;
  stored.album.id = 9;
  stored.art = result.art;
  fs::rename(album() / "cover.jpg", dir_->path() / "cover.jpg.away");
  const auto again = scan::scan_album_directory(root().string(), 1, "Artist/Album", {}, stored, false,
                                                core::ScanOptions{}, links());
  fs::rename(dir_->path() / "cover.jpg.away", album() / "cover.jpg");
  EXPECT_TRUE(again.unchanged);
  EXPECT_EQ(rows(again), expected);
}

TEST_F(AlbumArtFiles, AChangedArtFileIsNotUnchanged) {
  const auto first = scan_album();
  store::StoredAlbum stored;
  stored.album.id = 9;
  stored.art = first.art;
  EXPECT_TRUE(scan_album(stored, false).unchanged);
  stored.art.front().asset.stamp.mtime_ns -= 1;
  EXPECT_FALSE(scan_album(stored, false).unchanged);
  stored.art.pop_back();
  EXPECT_FALSE(scan_album(stored, false).unchanged);
}

TEST_F(AlbumArtFiles, EmbeddedPicturesAreCachedAsTheirBytes) {
  test::TempDir cache_dir;
  scan::AssetCache cache(cache_dir.path());
  const std::string expected = hex_of_file(album() / "cover.jpg");
  for (const char* track : {"02 - Second.mp3", "03 - Third.flac"}) {
    auto stored = scan::cache_embedded_picture(cache, album() / track);
    ASSERT_TRUE(stored) << track << ": " << stored.error().message;
    EXPECT_EQ(stored->sha256_hex, expected) << track;
    EXPECT_EQ(stored->relative_path.extension(), ".jpg") << track;
    EXPECT_EQ(read_bytes(stored->path), read_bytes(album() / "cover.jpg")) << track;
  }
  // The same bytes as a file dedup against the extracted pictures: one file in the cache.
  auto file = cache.store(album() / "cover.jpg");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->outcome, scan::AssetStoreOutcome::deduplicated);
}

TEST_F(AlbumArtFiles, ATrackWithoutAPictureOrNotAudioIsAPermanentError) {
  test::TempDir cache_dir;
  scan::AssetCache cache(cache_dir.path());
  for (const fs::path& path : {album() / "01 - First.mp3", album() / "notes.txt", album() / "gone.mp3"}) {
    auto stored = scan::cache_embedded_picture(cache, path);
    ASSERT_FALSE(stored) << path;
    EXPECT_EQ(stored.error().code, std::errc::no_such_file_or_directory) << path;
    EXPECT_NE(stored.error().message.find(path.string()), std::string::npos) << stored.error().message;
  }
  EXPECT_TRUE(fs::is_empty(cache_dir.path()) ||
              std::all_of(fs::directory_iterator(cache_dir.path()), fs::directory_iterator(),
                          [](const auto& e) { return e.path().filename().string().starts_with("."); }));
}

TEST_F(AlbumArtFiles, SkipAssetDiscoveryFindsNothingAndKeepsStoredArt) {
  core::ScanOptions options;
  options.skip_asset_discovery = true;
  const auto names = tracks();
  const auto result = scan::scan_album_directory(root().string(), 1, "Artist/Album", names,
                                                 std::nullopt, true, options, links());
  EXPECT_FALSE(result.art_discovered);
  EXPECT_TRUE(result.art.empty());
}
