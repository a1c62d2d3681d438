// Movie directory classification by Kodi's naming conventions (media/movie_files.hpp).

#include "media/movie_files.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

using namespace scanhub;
using media::MovieAssetKind;
using media::MovieDirectoryEntry;

namespace {

constexpr std::uintmax_t kGiB = 1u << 30;

media::MovieFiles classify(std::string_view directory, std::vector<MovieDirectoryEntry> entries) {
  return media::classify_movie_directory(directory, entries);
}

// "kind:name" for each asset, for compact comparisons.
std::vector<std::string> assets_of(const media::MovieFiles& files) {
  std::vector<std::string> out;
  for (const auto& asset : files.assets) {
    out.push_back(std::string(media::to_string(asset.kind)) + ":" + asset.name);
  }
  return out;
}

}  // namespace

TEST(MovieFiles, KodiDirectoryWithEveryKindOfFile) {
  const auto files = classify("The Matrix (1999)", {
      {"The Matrix (1999).mkv", 8 * kGiB},
      {"The Matrix (1999)-trailer.mp4", 50u << 20},
      {"The Matrix (1999).nfo", 4000},
      {"movie.nfo", 3000},
      {"poster.jpg", 1},
      {"The Matrix (1999)-fanart.jpg", 1},
      {"landscape.jpg", 1},
      {"The Matrix (1999)-thumb.jpg", 1},
      {"clearlogo.png", 1},
      {"clearart.png", 1},
      {"banner.jpg", 1},
      {"disc.png", 1},
      {"keyart.jpg", 1},
      {"extrafanart/fanart1.jpg", 1},
      {"extrafanart/fanart2.png", 1},
      {"The Matrix (1999).en.srt", 1},
      {"The Matrix (1999).eng.forced.srt", 1},
      {"The Matrix (1999).de.sdh.ass", 1},
      {"The Matrix (1999).srt", 1},
      {"notes.txt", 1},
      {"random.jpg", 1},
  });
  EXPECT_EQ(files.video, "The Matrix (1999).mkv");
  EXPECT_EQ(files.nfo, "The Matrix (1999).nfo") << "<video name>.nfo wins over movie.nfo";
  EXPECT_EQ(files.trailers, (std::vector<std::string>{"The Matrix (1999)-trailer.mp4"}));
  EXPECT_TRUE(files.other_videos.empty());
  EXPECT_EQ(assets_of(files), (std::vector<std::string>{
                                  "poster:poster.jpg",
                                  "fanart:The Matrix (1999)-fanart.jpg",
                                  "landscape:landscape.jpg",
                                  "thumb:The Matrix (1999)-thumb.jpg",
                                  "clearlogo:clearlogo.png",
                                  "clearart:clearart.png",
                                  "banner:banner.jpg",
                                  "discart:disc.png",
                                  "keyart:keyart.jpg",
                                  "extrafanart:extrafanart/fanart1.jpg",
                                  "extrafanart:extrafanart/fanart2.png",
                              }));
  ASSERT_EQ(files.subtitles.size(), 4u);
  // Byte order of names: ".de.sdh.ass", ".en.srt", ".eng.forced.srt", ".srt".
  EXPECT_EQ(files.subtitles[0].name, "The Matrix (1999).de.sdh.ass");
  EXPECT_EQ(files.subtitles[0].format, "ass");
  EXPECT_EQ(files.subtitles[0].language, "de");
  EXPECT_TRUE(files.subtitles[0].is_hearing_impaired);
  EXPECT_FALSE(files.subtitles[0].is_forced);
  EXPECT_EQ(files.subtitles[1].language, "en");
  EXPECT_FALSE(files.subtitles[1].is_forced);
  EXPECT_EQ(files.subtitles[2].language, "eng");
  EXPECT_TRUE(files.subtitles[2].is_forced);
  EXPECT_EQ(files.subtitles[3].name, "The Matrix (1999).srt");
  EXPECT_FALSE(files.subtitles[3].language);
  EXPECT_EQ(files.title_from_name, "The Matrix");
  EXPECT_EQ(files.year_from_name, 1999);
}

TEST(MovieFiles, LargestVideoThatIsNotAnExtraIsTheMovie) {
  const auto files = classify("Heat", {
      {"heat-sample.mkv", 9 * kGiB},  // a sample is never the movie, however large
      {"Heat-featurette.mkv", 3 * kGiB},
      {"heat.cd-rip.avi", 700u << 20},
      {"Heat.1995.1080p.mkv", 6 * kGiB},
      {"trailer.mov", 100u << 20},
      {"sample.mkv", 1},
  });
  EXPECT_EQ(files.video, "Heat.1995.1080p.mkv");
  EXPECT_EQ(files.trailers, (std::vector<std::string>{"trailer.mov"}));
  EXPECT_EQ(files.other_videos, (std::vector<std::string>{"Heat-featurette.mkv", "heat-sample.mkv",
                                                          "heat.cd-rip.avi", "sample.mkv"}));
  EXPECT_EQ(files.title_from_name, "Heat");
  EXPECT_FALSE(files.year_from_name);
}

TEST(MovieFiles, StackedPartsAreOneMovieInVolumeOrder) {
  const auto files = classify("Heat (1995)", {
      {"Heat-cd10.avi", 700u << 20},
      {"Heat-cd2.avi", 700u << 20},
      {"Heat-cd1.avi", 700u << 20},
      {"Heat-CD1.en.srt", 1},
      {"Heat.nfo", 1},
      {"Heat-cd1.nfo", 1},
      {"Heat-poster.jpg", 1},
      {"Heat-cd1-fanart.jpg", 1},
      {"Bonus.mkv", 1u << 30},  // larger than any one part, smaller than all of them
  });
  EXPECT_EQ(files.video, "Heat-cd1.avi");
  EXPECT_EQ(files.parts, (std::vector<std::string>{"Heat-cd1.avi", "Heat-cd2.avi", "Heat-cd10.avi"}));
  EXPECT_EQ(files.other_videos, (std::vector<std::string>{"Bonus.mkv"}));
  EXPECT_EQ(files.nfo, "Heat.nfo") << "the stack's name comes before the first part's";
  EXPECT_EQ(assets_of(files),
            (std::vector<std::string>{"poster:Heat-poster.jpg", "fanart:Heat-cd1-fanart.jpg"}));
  ASSERT_EQ(files.subtitles.size(), 1u);
  EXPECT_EQ(files.subtitles[0].language, "en");
}

struct StackCase {
  std::vector<std::string> names;
  std::vector<std::string> parts;  // empty: not a stack
};

class MovieStacking : public ::testing::TestWithParam<StackCase> {};

TEST_P(MovieStacking, Parts) {
  std::vector<MovieDirectoryEntry> entries;
  for (const auto& name : GetParam().names) entries.push_back({name, 100});
  const auto files = media::classify_movie_directory("Movie", entries);
  EXPECT_EQ(files.parts, GetParam().parts);
}

INSTANTIATE_TEST_SUITE_P(
    Kodi, MovieStacking,
    ::testing::Values(
        StackCase{{"movie part1.mkv", "movie part2.mkv"}, {"movie part1.mkv", "movie part2.mkv"}},
        StackCase{{"Movie.pt2.mp4", "Movie.pt1.mp4"}, {"Movie.pt1.mp4", "Movie.pt2.mp4"}},
        StackCase{{"m_disc_b.mkv", "m_disc_a.mkv"}, {"m_disc_a.mkv", "m_disc_b.mkv"}},
        StackCase{{"m-cd1-xvid.avi", "m-cd2-xvid.avi"}, {"m-cd1-xvid.avi", "m-cd2-xvid.avi"}},
        StackCase{{"m-dvd1.mkv", "m-dvd2.avi"}, {}},     // different extensions: two videos
        StackCase{{"m-cd1-a.avi", "m-cd2-b.avi"}, {}},   // different Ignore tokens
        StackCase{{"Part 2.mkv"}, {}},                   // one file is not a stack
        StackCase{{"movie1.mkv", "movie2.mkv"}, {}},     // bare numbers: sequels, not parts
        StackCase{{"Disco-cd1984.mkv", "Disco-cd1985.mkv"}, {}}));

TEST(MovieFiles, MovieTitlesThatEndInAnExtrasWordAreMovies) {
  for (const char* name : {"The Other.mkv", "Short.mkv", "The Last Scene.mp4", "Extra.avi"}) {
    const auto files = classify("X", {{name, 10}});
    EXPECT_EQ(files.video, name);
  }
  EXPECT_FALSE(classify("X", {{"The Other.Trailer.mkv", 10}}).video);
}

TEST(MovieFiles, DvdFolderIsTheMovie) {
  const auto files = classify("Alien (1979)", {
      {"VIDEO_TS/VIDEO_TS.IFO", 12},
      {"VIDEO_TS/VIDEO_TS.BUP", 12},
      {"VIDEO_TS/VIDEO_TS.nfo", 100},
      {"VIDEO_TS/VTS_01_0.IFO", 40},
      {"VIDEO_TS/VTS_01_1.VOB", 1 * kGiB},
      {"VIDEO_TS/VTS_01_2.VOB", 1 * kGiB},
      {"VIDEO_TS/VTS_02_1.VOB", 200u << 20},
      {"movie.nfo", 100},
      {"poster.jpg", 1},
      {"Alien-trailer.mkv", 300u << 20},
      {"Bonus.mkv", 1500u << 20},  // larger than any one VOB, smaller than the disc
  });
  EXPECT_EQ(files.disc, media::DiscKind::dvd);
  EXPECT_EQ(files.video, "VIDEO_TS/VIDEO_TS.IFO");
  EXPECT_EQ(files.disc_stream, "VIDEO_TS/VTS_01_1.VOB");
  EXPECT_EQ(files.nfo, "VIDEO_TS/VIDEO_TS.nfo");
  EXPECT_EQ(files.other_videos, (std::vector<std::string>{"Bonus.mkv"}));
  EXPECT_EQ(files.trailers, (std::vector<std::string>{"Alien-trailer.mkv"}));
  EXPECT_EQ(assets_of(files), (std::vector<std::string>{"poster:poster.jpg"}));
}

TEST(MovieFiles, BlurayFolderIsTheMovie) {
  const auto files = classify("Heat (1995)", {
      {"BDMV/index.bdmv", 100},
      {"BDMV/MovieObject.bdmv", 100},
      {"BDMV/STREAM/00000.m2ts", 10u << 20},
      {"BDMV/STREAM/00001.m2ts", 20 * kGiB},
      {"movie.nfo", 100},
      {"fanart.jpg", 1},
  });
  EXPECT_EQ(files.disc, media::DiscKind::bluray);
  EXPECT_EQ(files.video, "BDMV/index.bdmv");
  EXPECT_EQ(files.disc_stream, "BDMV/STREAM/00001.m2ts");
  EXPECT_EQ(files.nfo, "movie.nfo");
  EXPECT_EQ(assets_of(files), (std::vector<std::string>{"fanart:fanart.jpg"}));
}

TEST(MovieFiles, EqualSizesPickTheFirstNameSoTheChoiceIsStable) {
  const auto a = classify("X", {{"b.mkv", 10}, {"a.mkv", 10}});
  const auto b = classify("X", {{"a.mkv", 10}, {"b.mkv", 10}});
  EXPECT_EQ(a.video, "a.mkv");
  EXPECT_EQ(b.video, "a.mkv");
}

TEST(MovieFiles, NamesCompareCaseInsensitively) {
  const auto files = classify("Alien (1979)", {
      {"ALIEN.MKV", 10},
      {"Movie.NFO", 1},
      {"Folder.JPG", 1},
      {"FANART.png", 1},
      {"alien-ClearLogo.PNG", 1},
      {"ExtraFanart/One.JPEG", 1},
      {"alien.EN.Forced.SRT", 1},
  });
  EXPECT_EQ(files.video, "ALIEN.MKV");
  EXPECT_EQ(files.nfo, "Movie.NFO");
  EXPECT_EQ(assets_of(files), (std::vector<std::string>{"poster:Folder.JPG", "fanart:FANART.png",
                                                        "clearlogo:alien-ClearLogo.PNG",
                                                        "extrafanart:ExtraFanart/One.JPEG"}));
  ASSERT_EQ(files.subtitles.size(), 1u);
  EXPECT_EQ(files.subtitles[0].language, "en");
  EXPECT_TRUE(files.subtitles[0].is_forced);
  EXPECT_EQ(files.subtitles[0].format, "srt");
}

struct ArtCase {
  std::string file;
  std::optional<MovieAssetKind> kind;
};

class MovieArtNames : public ::testing::TestWithParam<ArtCase> {};

TEST_P(MovieArtNames, ClassifiesBesideMovieMkv) {
  const ArtCase& c = GetParam();
  const auto files = classify("Movie (2000)", {{"Movie.mkv", 100}, {c.file, 1}});
  if (!c.kind) {
    EXPECT_TRUE(files.assets.empty()) << c.file << " taken for " << assets_of(files).front();
    return;
  }
  ASSERT_EQ(files.assets.size(), 1u) << c.file;
  EXPECT_EQ(files.assets[0].kind, *c.kind) << c.file;
  EXPECT_EQ(files.assets[0].name, c.file);
}

INSTANTIATE_TEST_SUITE_P(
    Kodi, MovieArtNames,
    ::testing::Values(ArtCase{"poster.jpg", MovieAssetKind::poster},
                      ArtCase{"folder.jpg", MovieAssetKind::poster},
                      ArtCase{"cover.png", MovieAssetKind::poster},
                      ArtCase{"Movie-poster.jpg", MovieAssetKind::poster},
                      ArtCase{"Movie.tbn", MovieAssetKind::poster},
                      ArtCase{"fanart.jpg", MovieAssetKind::fanart},
                      ArtCase{"backdrop.jpg", MovieAssetKind::fanart},
                      ArtCase{"Movie-fanart.webp", MovieAssetKind::fanart},
                      ArtCase{"landscape.jpg", MovieAssetKind::landscape},
                      ArtCase{"Movie-landscape.jpg", MovieAssetKind::landscape},
                      ArtCase{"thumb.jpg", MovieAssetKind::thumb},
                      ArtCase{"logo.png", MovieAssetKind::clearlogo},
                      ArtCase{"Movie-clearart.png", MovieAssetKind::clearart},
                      ArtCase{"Movie-banner.jpg", MovieAssetKind::banner},
                      ArtCase{"discart.png", MovieAssetKind::discart},
                      ArtCase{"Movie-disc.png", MovieAssetKind::discart},
                      ArtCase{"keyart.jpeg", MovieAssetKind::keyart},
                      ArtCase{"Other-poster.jpg", std::nullopt},  // another movie's poster
                      ArtCase{"poster.txt", std::nullopt},
                      ArtCase{"screenshot.jpg", std::nullopt},
                      ArtCase{"extrathumbs/thumb1.jpg", std::nullopt},
                      ArtCase{"extrafanart/deeper/x.jpg", std::nullopt}));

TEST(MovieFiles, SubtitlesOfAnotherNameAreNotTheMovies) {
  const auto files = classify("Movie", {{"Movie.mkv", 10},
                                        {"Movie 2.srt", 1},
                                        {"Other.en.srt", 1},
                                        {"Movie.pt-BR.srt", 1},
                                        {"Movie.English.cc.vtt", 1}});
  ASSERT_EQ(files.subtitles.size(), 2u);
  EXPECT_EQ(files.subtitles[0].name, "Movie.English.cc.vtt");
  EXPECT_EQ(files.subtitles[0].language, "english");
  EXPECT_TRUE(files.subtitles[0].is_hearing_impaired);
  EXPECT_EQ(files.subtitles[1].language, "pt-br");
}

TEST(MovieFiles, VobSubIsOneSubtitleReportedAsTheIdx) {
  const auto files = classify("Movie", {{"Movie.mkv", 10}, {"Movie.en.idx", 1}, {"Movie.en.sub", 1},
                                        {"Movie.fr.sub", 1}});
  ASSERT_EQ(files.subtitles.size(), 2u);
  EXPECT_EQ(files.subtitles[0].name, "Movie.en.idx");
  EXPECT_EQ(files.subtitles[1].name, "Movie.fr.sub") << "a .sub without .idx is MicroDVD text";
}

TEST(MovieFiles, DirectoryWithoutVideoStillReportsNfoAndArt) {
  const auto files = classify("Empty (2001)", {{"movie.nfo", 1}, {"poster.jpg", 1}, {"x.srt", 1}});
  EXPECT_FALSE(files.video);
  EXPECT_EQ(files.nfo, "movie.nfo");
  EXPECT_EQ(assets_of(files), (std::vector<std::string>{"poster:poster.jpg"}));
  EXPECT_TRUE(files.subtitles.empty()) << "subtitles belong to a video";
}

struct NameCase {
  std::string directory;
  std::optional<std::string> title;
  std::optional<int> year;
};

class MovieDirectoryNames : public ::testing::TestWithParam<NameCase> {};

TEST_P(MovieDirectoryNames, TitleAndYear) {
  const auto files = classify(GetParam().directory, {});
  EXPECT_EQ(files.title_from_name, GetParam().title) << GetParam().directory;
  EXPECT_EQ(files.year_from_name, GetParam().year) << GetParam().directory;
}

INSTANTIATE_TEST_SUITE_P(
    Kodi, MovieDirectoryNames,
    ::testing::Values(NameCase{"The Matrix (1999)", "The Matrix", 1999},
                      NameCase{"Alien (1979) [Director's Cut]", "Alien", 1979},
                      NameCase{"Blade Runner 2049 (2017)", "Blade Runner 2049", 2017},
                      NameCase{"1917 (2019)", "1917", 2019},
                      NameCase{"Heat", "Heat", std::nullopt},
                      NameCase{"Weird (12345)", "Weird (12345)", std::nullopt},
                      NameCase{"(2001)", "(2001)", std::nullopt},
                      NameCase{"", std::nullopt, std::nullopt}));

TEST(MovieFiles, ListsADirectoryWithExtrafanartAndSkipsHiddenFiles) {
  test::TempDir dir;
  const auto write = [&](const std::string& name, std::size_t bytes) {
    std::filesystem::create_directories((dir / name).parent_path());
    std::ofstream(dir / name, std::ios::binary) << std::string(bytes, 'x');
  };
  write("Movie.mkv", 300);
  write("poster.jpg", 20);
  write(".DS_Store", 5);
  write("extrafanart/f1.jpg", 7);
  write("extras/making-of.mkv", 1000);  // other subdirectories are not the movie's files
  write("BDMV/index.bdmv", 4);
  write("BDMV/STREAM/00001.m2ts", 50);
  write("BDMV/BACKUP/index.bdmv", 4);
  auto entries = media::list_movie_directory(dir.path());
  std::ranges::sort(entries, {}, &MovieDirectoryEntry::name);
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[0].name, "BDMV/STREAM/00001.m2ts");
  EXPECT_EQ(entries[0].size, 50u);
  EXPECT_EQ(entries[1].name, "BDMV/index.bdmv");
  EXPECT_EQ(entries[2].name, "Movie.mkv");
  EXPECT_EQ(entries[2].size, 300u);
  EXPECT_EQ(entries[3].name, "extrafanart/f1.jpg");
  EXPECT_EQ(entries[3].size, 7u);
  EXPECT_EQ(entries[4].name, "poster.jpg");

  const auto files = media::classify_movie_directory(dir.path().filename().string(), entries);
  EXPECT_EQ(files.video, "Movie.mkv");
  EXPECT_EQ(files.assets.size(), 2u);

  EXPECT_THROW(media::list_movie_directory(dir / "missing"), std::filesystem::filesystem_error);
}
