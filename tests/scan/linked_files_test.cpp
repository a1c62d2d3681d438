// Symbolic links among the files of one directory (scan/walker.hpp LinkRule, applied by
// scan/movie_directory.hpp and scan/album_art.hpp): a full scan through ScanService of a
// make-library library in which a movie folder's poster.jpg and movie.nfo, and an album's
// cover.jpg, are links to files outside the library. Without followSymlinks those files are
// not read, listed as assets nor cached, and the scan counts each link in symlinksSkipped; with
// it they are used. A link to a file inside the library is used either way.

#include "support/library_fixture.hpp"
#include "support/scan_harness.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <set>

extern char** environ;

using namespace scanhub;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// Bytes no file of a library holds: what a link out of the library points at.
constexpr std::string_view kSecretPoster = "\xFF\xD8\xFF outside the library: a poster";
constexpr std::string_view kSecretCover = "\xFF\xD8\xFF outside the library: a cover";
constexpr std::string_view kOutsideNfo =
    "<?xml version=\"1.0\"?>\n<movie><title>Read From Outside</title></movie>\n";
constexpr std::string_view kSe7en = "Se7en (1995)";  // make-library's showcase: no .nfo, poster.jpg

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

json::object read_manifest(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).as_object();
}

// Whether any file of the asset cache holds exactly `bytes`.
bool cache_holds(const fs::path& cache, std::string_view bytes) {
  if (!fs::exists(cache)) return false;
  for (const auto& entry : fs::recursive_directory_iterator(cache)) {
    if (!entry.is_regular_file() || entry.file_size() != bytes.size()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (content == bytes) return true;
  }
  return false;
}

// A scan of `root` as a library of `type` in a database of its own under `data`.
struct LibraryScan {
  LibraryScan(const fs::path& data, const fs::path& root, core::LibraryType type, bool follow_symlinks)
      : cache(data / "cache"), harness((fs::create_directories(data), data / "scanhub.db")) {
    harness.store.write_sync([&](store::Connection& c) {
      core::Library wanted;
      wanted.path = root.string();
      wanted.name = root.filename().string();
      wanted.type = type;
      wanted.follow_symlinks = follow_symlinks;
      wanted.created_at = core::Clock::now();
      library = c.libraries.add(wanted);
    });
    scan = harness.scan(library);
  }

  fs::path cache;
  test::ScanHarness harness;
  core::Library library;
  core::ScanSnapshot scan;
};

class MovieFolderLinks : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> args{SCANHUB_MAKE_LIBRARY, root_.string(), "--movies", "6", "--seed", "1",
                                  "--no-bad", "--template-cache", SCANHUB_MOVIE_TEMPLATE_CACHE};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    ASSERT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "make-library --movies failed";

    manifest_ = read_manifest(root_ / "manifest.json");
    for (const auto& value : manifest_.at("movies").as_array()) {
      if (value.at("directory").as_string() == kSe7en) se7en_ = value.as_object();
    }
    ASSERT_FALSE(se7en_.empty()) << "make-library's showcase changed";
    ASSERT_TRUE(se7en_.at("nfo").is_null());
    const fs::path folder = root_ / std::string(kSe7en);
    ASSERT_TRUE(fs::is_regular_file(folder / "poster.jpg"));

    // Out of the library: the folder's poster and its .nfo (it has none of its own). Inside
    // it: keyart.jpg, a link to another movie's poster.
    fs::create_directories(dir_ / "outside");
    write_file(dir_ / "outside/poster.jpg", kSecretPoster);
    write_file(dir_ / "outside/movie.nfo", kOutsideNfo);
    fs::remove(folder / "poster.jpg");
    fs::create_symlink(dir_ / "outside/poster.jpg", folder / "poster.jpg");
    fs::create_symlink(dir_ / "outside/movie.nfo", folder / "movie.nfo");
    fs::create_symlink("../Spirited Away (2001)/folder.jpg", folder / "keyart.jpg");
  }

  // The stored movie of Se7en's folder and its assets as "path kind sha256".
  static std::pair<core::Movie, std::set<std::string>> se7en(LibraryScan& s) {
    return s.harness.store.read([&](store::Connection& c) {
      std::pair<core::Movie, std::set<std::string>> out;
      for (auto& movie : c.movies.list(s.library.id)) {
        if (movie.directory == kSe7en) out.first = std::move(movie);
      }
      for (const auto& asset : c.assets.list_for_owner(core::AssetOwnerKind::movie, out.first.id)) {
        out.second.insert(asset.source_path + " " + std::string(core::to_string(asset.kind)) + " " +
                          asset.sha256.value_or("uncached"));
      }
      return out;
    });
  }

  // The manifest's sha256 of a file of the library.
  std::string manifest_sha256(std::string_view path) const {
    for (const auto& movie : manifest_.at("movies").as_array()) {
      for (const auto& asset : movie.at("assets").as_array()) {
        if (asset.at("path").as_string() == path) return std::string(asset.at("sha256").as_string());
      }
    }
    ADD_FAILURE() << "no asset " << path << " in the manifest";
    return {};
  }

  test::TempDir dir_;
  fs::path root_ = dir_ / "movies";
  json::object manifest_;
  json::object se7en_;
};

TEST_F(MovieFolderLinks, APosterAndNfoOutOfTheLibraryAreNotReadNorCachedButCounted) {
  LibraryScan s(dir_ / "off", root_, core::LibraryType::movie, false);
  ASSERT_EQ(s.scan.status, core::ScanStatus::completed);
  EXPECT_EQ(s.scan.counters.symlinks_skipped, 2) << "poster.jpg and movie.nfo";
  EXPECT_EQ(s.scan.counters.movies_found, 6);

  const auto [movie, assets] = se7en(s);
  ASSERT_NE(movie.id, 0);
  EXPECT_EQ(movie.metadata.title, se7en_.at("title").as_string()) << "named by its folder, not the outside .nfo";
  EXPECT_EQ(movie.nfo_path, std::nullopt);
  const std::string subtitle = std::string(kSe7en) + "/Se7en (1995).de.srt";
  EXPECT_EQ(assets, (std::set<std::string>{
                        subtitle + " subtitle " + manifest_sha256(subtitle),
                        std::string(kSe7en) + "/keyart.jpg keyart " +
                            manifest_sha256("Spirited Away (2001)/folder.jpg")}));
  EXPECT_FALSE(cache_holds(s.cache, kSecretPoster));
}

TEST_F(MovieFolderLinks, ALibraryThatFollowsSymlinksUsesThem) {
  LibraryScan s(dir_ / "on", root_, core::LibraryType::movie, true);
  ASSERT_EQ(s.scan.status, core::ScanStatus::completed);
  EXPECT_EQ(s.scan.counters.symlinks_skipped, 0);

  const auto [movie, assets] = se7en(s);
  EXPECT_EQ(movie.metadata.title, "Read From Outside");
  EXPECT_EQ(movie.nfo_path, std::string(kSe7en) + "/movie.nfo");
  EXPECT_EQ(assets.size(), 3u);
  EXPECT_TRUE(std::any_of(assets.begin(), assets.end(), [](const std::string& a) {
    return a.starts_with(std::string(kSe7en) + "/poster.jpg poster ") && !a.ends_with("uncached");
  }));
  EXPECT_TRUE(cache_holds(s.cache, kSecretPoster));
}

class AlbumArtLinks : public ::testing::Test {
 protected:
  void SetUp() override {
    // 30 tracks, seed 3: Björk/Homogenic and Various Artists/Midnight Drive 🌙 with cover.jpg,
    // 坂本龍一/音楽図鑑/CD2 without any art.
    test::make_library(root_, 30, 3, /*bad_files=*/false);
    const auto manifest = read_manifest(root_ / "manifest.json");
    for (const auto& album : manifest.at("albums").as_array()) {
      for (const auto& art : album.at("art").as_array()) {
        sha256_[std::string(art.at("path").as_string())] = std::string(art.at("sha256").as_string());
      }
    }
    ASSERT_TRUE(sha256_.contains(kMidnightCover)) << "make-library's showcase changed";
    ASSERT_TRUE(fs::is_regular_file(root_ / kHomogenic / "cover.jpg"));
    ASSERT_TRUE(fs::is_directory(root_ / kCd2));
    ASSERT_FALSE(fs::exists(root_ / kCd2 / "folder.jpg"));

    fs::create_directories(dir_ / "outside");
    write_file(dir_ / "outside/cover.jpg", kSecretCover);
    fs::remove(root_ / kHomogenic / "cover.jpg");
    fs::create_symlink(dir_ / "outside/cover.jpg", root_ / kHomogenic / "cover.jpg");
    fs::create_symlink("../../../" + std::string(kMidnightCover), root_ / kCd2 / "folder.jpg");
  }

  // An album's file art as "path kind sha256".
  static std::set<std::string> file_art(LibraryScan& s, const std::string& directory) {
    return s.harness.store.read([&](store::Connection& c) {
      std::set<std::string> out;
      const auto album = c.albums.find(s.library.id, directory);
      if (!album) return out;
      for (const auto& art : album->art) {
        if (art.source != store::AssetSource::file) continue;
        out.insert(art.asset.source_path + " " + std::string(core::to_string(art.asset.kind)) + " " +
                   art.asset.sha256.value_or("uncached"));
      }
      return out;
    });
  }

  static constexpr const char* kHomogenic = "Björk/Homogenic";
  static constexpr const char* kCd2 = "坂本龍一/音楽図鑑/CD2";
  static constexpr const char* kMidnightCover = "Various Artists/Midnight Drive 🌙/cover.jpg";
  test::TempDir dir_;
  fs::path root_ = dir_ / "music";
  std::map<std::string, std::string> sha256_;  // manifest: art path -> sha256
};

TEST_F(AlbumArtLinks, ACoverOutOfTheLibraryIsNoArtAndIsCountedALinkInsideIsUsed) {
  LibraryScan s(dir_ / "off", root_, core::LibraryType::music, false);
  ASSERT_EQ(s.scan.status, core::ScanStatus::completed);
  EXPECT_EQ(s.scan.counters.symlinks_skipped, 1) << "Homogenic's cover.jpg";
  EXPECT_EQ(file_art(s, kHomogenic), std::set<std::string>{});
  EXPECT_EQ(file_art(s, kCd2), std::set<std::string>{std::string(kCd2) + "/folder.jpg cover " +
                                                     sha256_.at(kMidnightCover)});
  EXPECT_FALSE(cache_holds(s.cache, kSecretCover));

  // Counted again by the next scan: the directory is not skipped as unchanged.
  const auto again = s.harness.scan(s.library);
  EXPECT_EQ(again.counters.symlinks_skipped, 1);
  EXPECT_EQ(file_art(s, kHomogenic), std::set<std::string>{});
}

TEST_F(AlbumArtLinks, ALibraryThatFollowsSymlinksUsesTheCoverOutside) {
  LibraryScan s(dir_ / "on", root_, core::LibraryType::music, true);
  ASSERT_EQ(s.scan.status, core::ScanStatus::completed);
  EXPECT_EQ(s.scan.counters.symlinks_skipped, 0);
  const auto art = file_art(s, kHomogenic);
  ASSERT_EQ(art.size(), 1u);
  EXPECT_TRUE(art.begin()->starts_with(std::string(kHomogenic) + "/cover.jpg cover "));
  EXPECT_FALSE(art.begin()->ends_with("uncached"));
  EXPECT_TRUE(cache_holds(s.cache, kSecretCover));
  EXPECT_EQ(file_art(s, kCd2).size(), 1u);
}

}  // namespace
