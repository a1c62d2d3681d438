// Kodi movie .nfo parsing (media/nfo.hpp): the shapes Kodi accepts and the bad ones it meets.

#include "media/nfo.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

using namespace scanhub;
using media::parse_movie_nfo;

namespace {

// A Kodi 20 export of one movie, trimmed to the fields scanhub reads plus some it ignores.
constexpr std::string_view kFullNfo = R"(<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<!-- created on 2024-01-01 - Kodi -->
<movie>
    <title>The Matrix</title>
    <originaltitle>The Matrix</originaltitle>
    <sorttitle>Matrix 1</sorttitle>
    <ratings>
        <rating name="imdb" max="10" default="true">
            <value>8.700000</value>
            <votes>1976532</votes>
        </rating>
        <rating name="themoviedb" max="10">
            <value>8.2</value>
            <votes>24000</votes>
        </rating>
    </ratings>
    <userrating>0</userrating>
    <top250>16</top250>
    <outline>A hacker learns the truth.</outline>
    <plot>Set in the 22nd century, The Matrix tells the story of a computer hacker &amp; his fight.</plot>
    <tagline>Welcome to the Real World.</tagline>
    <runtime>136</runtime>
    <thumb aspect="poster">https://image.tmdb.org/t/p/original/poster.jpg</thumb>
    <mpaa>Rated R</mpaa>
    <playcount>0</playcount>
    <id>tt0133093</id>
    <uniqueid type="imdb">tt0133093</uniqueid>
    <uniqueid type="tmdb" default="true">603</uniqueid>
    <genre>Action</genre>
    <genre>Science Fiction</genre>
    <country>United States of America</country>
    <set>
        <name>The Matrix Collection</name>
        <overview></overview>
    </set>
    <tag>cyberpunk</tag>
    <credits>Lilly Wachowski</credits>
    <credits>Lana Wachowski</credits>
    <director>Lana Wachowski / Lilly Wachowski</director>
    <premiered>1999-03-30</premiered>
    <year>1999</year>
    <studio>Warner Bros. Pictures</studio>
    <studio>Village Roadshow Pictures</studio>
    <trailer>plugin://plugin.video.youtube/?action=play_video&amp;videoid=abc</trailer>
    <fileinfo>
        <streamdetails>
            <video>
                <codec>h264</codec>
                <aspect>2.400000</aspect>
                <width>1920</width>
                <height>800</height>
                <durationinseconds>8177</durationinseconds>
                <stereomode></stereomode>
                <hdrtype>hdr10</hdrtype>
            </video>
            <audio>
                <codec>dtshd_ma</codec>
                <language>eng</language>
                <channels>8</channels>
            </audio>
            <audio>
                <codec>ac3</codec>
                <language>ger</language>
                <channels>6</channels>
            </audio>
            <subtitle>
                <language>eng</language>
            </subtitle>
        </streamdetails>
    </fileinfo>
    <actor>
        <name>Keanu Reeves</name>
        <role>Neo</role>
        <order>0</order>
        <thumb>https://image.tmdb.org/t/p/original/keanu.jpg</thumb>
    </actor>
    <actor>
        <name>Laurence Fishburne</name>
        <role>Morpheus</role>
        <order>1</order>
    </actor>
    <actor>
        <role>nameless</role>
    </actor>
</movie>
)";

media::MovieNfo parse_movie_or_fail(std::string_view text) {
  const auto parsed = parse_movie_nfo(text);
  if (!parsed) {
    ADD_FAILURE() << "parse error: " << parsed.error().message;
    return {};
  }
  if (!parsed->movie) {
    ADD_FAILURE() << "no <movie>";
    return {};
  }
  return *parsed->movie;
}

}  // namespace

TEST(Nfo, FullKodiExportReadsEveryField) {
  const media::MovieNfo nfo = parse_movie_or_fail(kFullNfo);
  EXPECT_EQ(nfo.title, "The Matrix");
  EXPECT_EQ(nfo.original_title, "The Matrix");
  EXPECT_EQ(nfo.sort_title, "Matrix 1");
  EXPECT_EQ(nfo.year, 1999);
  EXPECT_EQ(nfo.premiered, "1999-03-30");
  EXPECT_EQ(nfo.plot, "Set in the 22nd century, The Matrix tells the story of a computer hacker & his fight.");
  EXPECT_EQ(nfo.outline, "A hacker learns the truth.");
  EXPECT_EQ(nfo.tagline, "Welcome to the Real World.");
  EXPECT_EQ(nfo.runtime_minutes, 136);
  EXPECT_EQ(nfo.mpaa, "Rated R");
  EXPECT_EQ(nfo.genres, (std::vector<std::string>{"Action", "Science Fiction"}));
  EXPECT_EQ(nfo.studios, (std::vector<std::string>{"Warner Bros. Pictures", "Village Roadshow Pictures"}));
  EXPECT_EQ(nfo.countries, (std::vector<std::string>{"United States of America"}));
  // Kodi's " / " separator splits one element into several names.
  EXPECT_EQ(nfo.directors, (std::vector<std::string>{"Lana Wachowski", "Lilly Wachowski"}));
  EXPECT_EQ(nfo.credits, (std::vector<std::string>{"Lilly Wachowski", "Lana Wachowski"}));
  EXPECT_EQ(nfo.tags, (std::vector<std::string>{"cyberpunk"}));
  EXPECT_EQ(nfo.set_name, "The Matrix Collection");

  ASSERT_EQ(nfo.actors.size(), 2u) << "an <actor> without <name> is skipped";
  EXPECT_EQ(nfo.actors[0].name, "Keanu Reeves");
  EXPECT_EQ(nfo.actors[0].role, "Neo");
  EXPECT_EQ(nfo.actors[0].order, 0);
  EXPECT_EQ(nfo.actors[0].thumb, "https://image.tmdb.org/t/p/original/keanu.jpg");
  EXPECT_EQ(nfo.actors[1].name, "Laurence Fishburne");
  EXPECT_EQ(nfo.actors[1].order, 1);
  EXPECT_FALSE(nfo.actors[1].thumb);

  EXPECT_EQ(nfo.tmdb_id, "603");
  EXPECT_EQ(nfo.imdb_id, "tt0133093");
  ASSERT_EQ(nfo.unique_ids.size(), 2u);
  EXPECT_EQ(nfo.unique_ids[0].type, "imdb");
  EXPECT_FALSE(nfo.unique_ids[0].is_default);
  EXPECT_EQ(nfo.unique_ids[1].type, "tmdb");
  EXPECT_TRUE(nfo.unique_ids[1].is_default);

  ASSERT_EQ(nfo.ratings.size(), 2u);
  EXPECT_EQ(nfo.ratings[0].name, "imdb");
  EXPECT_DOUBLE_EQ(nfo.ratings[0].value, 8.7);
  EXPECT_EQ(nfo.ratings[0].max, 10.0);
  EXPECT_EQ(nfo.ratings[0].votes, 1976532);
  EXPECT_TRUE(nfo.ratings[0].is_default);
  EXPECT_EQ(nfo.ratings[1].name, "themoviedb");
  EXPECT_FALSE(nfo.ratings[1].is_default);

  ASSERT_TRUE(nfo.stream_details);
  ASSERT_EQ(nfo.stream_details->video.size(), 1u);
  const auto& video = nfo.stream_details->video[0];
  EXPECT_EQ(video.codec, "h264");
  EXPECT_DOUBLE_EQ(video.aspect.value_or(0), 2.4);
  EXPECT_EQ(video.width, 1920);
  EXPECT_EQ(video.height, 800);
  EXPECT_EQ(video.duration_seconds, 8177);
  EXPECT_EQ(video.hdr_type, "hdr10");
  ASSERT_EQ(nfo.stream_details->audio.size(), 2u);
  EXPECT_EQ(nfo.stream_details->audio[0].codec, "dtshd_ma");
  EXPECT_EQ(nfo.stream_details->audio[0].language, "eng");
  EXPECT_EQ(nfo.stream_details->audio[0].channels, 8);
  EXPECT_EQ(nfo.stream_details->audio[1].language, "ger");
  EXPECT_EQ(nfo.stream_details->subtitle_languages, (std::vector<std::string>{"eng"}));
}

TEST(Nfo, MinimalHasOnlyWhatItSays) {
  const auto nfo = parse_movie_or_fail("<movie><title>  Alien  </title><year>1979</year></movie>");
  EXPECT_EQ(nfo.title, "Alien") << "text is trimmed";
  EXPECT_EQ(nfo.year, 1979);
  EXPECT_FALSE(nfo.original_title);
  EXPECT_FALSE(nfo.plot);
  EXPECT_FALSE(nfo.runtime_minutes);
  EXPECT_FALSE(nfo.tmdb_id);
  EXPECT_FALSE(nfo.imdb_id);
  EXPECT_FALSE(nfo.stream_details);
  EXPECT_TRUE(nfo.genres.empty());
  EXPECT_TRUE(nfo.actors.empty());
  EXPECT_TRUE(nfo.ratings.empty());
}

TEST(Nfo, YearComesFromPremieredWhenAbsent) {
  const auto nfo = parse_movie_or_fail(
      "<movie><title>Heat</title><premiered>1995-12-15</premiered><year></year></movie>");
  EXPECT_EQ(nfo.year, 1995);
  EXPECT_EQ(nfo.premiered, "1995-12-15");
}

TEST(Nfo, LegacyIdsAndRating) {
  const auto nfo = parse_movie_or_fail(
      "<movie><title>Heat</title><id>tt0113277</id><tmdbid>949</tmdbid>"
      "<rating>8.3</rating><votes>700000</votes><runtime>170 min</runtime></movie>");
  EXPECT_EQ(nfo.imdb_id, "tt0113277");
  EXPECT_EQ(nfo.tmdb_id, "949");
  EXPECT_EQ(nfo.runtime_minutes, 170);
  ASSERT_EQ(nfo.ratings.size(), 1u);
  EXPECT_EQ(nfo.ratings[0].name, "");
  EXPECT_DOUBLE_EQ(nfo.ratings[0].value, 8.3);
  EXPECT_EQ(nfo.ratings[0].votes, 700000);
}

TEST(Nfo, LegacyIdThatIsNotImdbIsNotTakenForOne) {
  const auto nfo = parse_movie_or_fail("<movie><title>X</title><id>12345</id></movie>");
  EXPECT_FALSE(nfo.imdb_id);
}

TEST(Nfo, UrlOnlyIsAParsingNfoWithoutMetadata) {
  const auto parsed = parse_movie_nfo("https://www.themoviedb.org/movie/603-the-matrix\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_FALSE(parsed->movie);
  EXPECT_EQ(parsed->url, "https://www.themoviedb.org/movie/603-the-matrix");
}

TEST(Nfo, XmlFollowedByUrlParsesTheXml) {
  const auto parsed = parse_movie_nfo(
      "<movie>\n  <title>The Matrix</title>\n</movie>\nhttps://www.imdb.com/title/tt0133093/\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_TRUE(parsed->movie);
  EXPECT_EQ(parsed->movie->title, "The Matrix");
  EXPECT_EQ(parsed->url, "https://www.imdb.com/title/tt0133093/");
}

TEST(Nfo, UrlBeforeXmlParsesTheXmlWithOffsetsIntoTheFile) {
  const std::string head = "http://www.imdb.com/title/tt0113277/\n";
  const auto parsed = parse_movie_nfo(head + "<movie><title>Heat</title></movie>");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_TRUE(parsed->movie);
  EXPECT_EQ(parsed->movie->title, "Heat");
  EXPECT_EQ(parsed->url, "http://www.imdb.com/title/tt0113277/");

  const auto broken = parse_movie_nfo(head + "<movie><title>Heat</movie>");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().offset, static_cast<std::ptrdiff_t>(head.size() + 20));
}

TEST(Nfo, DeclarationAfterALeadingUrlStillNamesTheEncoding) {
  const auto parsed = parse_movie_nfo(
      "https://www.themoviedb.org/movie/194\n<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
      "<movie><title>Am\xE9lie</title></movie>");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_TRUE(parsed->movie);
  EXPECT_EQ(parsed->movie->title, "Am\xC3\xA9lie");
  EXPECT_EQ(parsed->url, "https://www.themoviedb.org/movie/194");
}

TEST(Nfo, VoteCountsWithThousandsSeparators) {
  const auto nfo = parse_movie_or_fail(
      "<movie><ratings><rating name=\"imdb\"><value>8,3</value><votes>1,976,532</votes>"
      "</rating></ratings></movie>");
  ASSERT_EQ(nfo.ratings.size(), 1u);
  EXPECT_DOUBLE_EQ(nfo.ratings[0].value, 8.3);
  EXPECT_EQ(nfo.ratings[0].votes, 1976532);
}

TEST(Nfo, EmptyFileIsNeitherMetadataNorError) {
  const auto parsed = parse_movie_nfo("  \r\n");
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->movie);
  EXPECT_FALSE(parsed->url);
}

TEST(Nfo, BrokenXmlIsAnErrorWithPugixmlsReasonAndOffset) {
  const std::string text = "<movie>\n  <title>The Matrix</titel>\n</movie>\n";
  const auto parsed = parse_movie_nfo(text);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("Start-end tags mismatch"), std::string::npos)
      << parsed.error().message;
  EXPECT_EQ(parsed.error().offset, static_cast<std::ptrdiff_t>(text.find("</titel>") + 2));
}

// pugixml converts a UTF-16 file to UTF-8 before parsing, and counts its offset there: in a
// title of Ethiopic letters (3 bytes in UTF-8, 2 in UTF-16) that offset lies past the file's end.
TEST(Nfo, BrokenXmlInUtf16HasNoOffsetOutsideTheFile) {
  std::u16string title(40, u'\u1212');
  const std::u16string xml = u"\uFEFF<movie><title>" + title + u"</titel></movie>";
  const std::string text(reinterpret_cast<const char*>(xml.data()), xml.size() * 2);
  const auto parsed = parse_movie_nfo(text);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("Start-end tags mismatch"), std::string::npos)
      << parsed.error().message;
  EXPECT_EQ(parsed.error().offset, -1);
}

// pugixml reports this attribute error one byte past the end of the text (found by the fuzzer).
TEST(Nfo, AnErrorAtTheEndHasAnOffsetInsideTheText) {
  const std::string text("<A\nt\xbdS", 6);
  const auto parsed = parse_movie_nfo(text);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().offset, static_cast<std::ptrdiff_t>(text.size()));
}

TEST(Nfo, TruncatedXmlIsAnError) {
  const auto parsed = parse_movie_nfo("<movie><title>The Mat");
  ASSERT_FALSE(parsed);
  EXPECT_GE(parsed.error().offset, 0);
}

TEST(Nfo, OtherRootElementIsAnError) {
  const auto parsed = parse_movie_nfo("<tvshow><title>Lost</title></tvshow>");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "root element is <tvshow>, not <movie>");
}

TEST(Nfo, TextThatIsNeitherXmlNorUrlIsAnError) {
  const auto parsed = parse_movie_nfo("just some notes about this rip");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "neither XML nor a URL");
}

TEST(Nfo, Latin1DeclaredEncodingIsConvertedToUtf8) {
  const auto nfo = parse_movie_or_fail(
      "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<movie><title>Am\xE9lie</title></movie>");
  EXPECT_EQ(nfo.title, "Am\xC3\xA9lie");
}

TEST(Nfo, InvalidUtf8IsReplacedAndUnknownTagsIgnored) {
  const auto nfo = parse_movie_or_fail(
      "<movie><title>Caf\xE9</title><watched>true</watched><fancy a=\"1\"><x/></fancy>"
      "<genre>Drama</genre></movie>");
  EXPECT_EQ(nfo.title, "Caf\xEF\xBF\xBD");
  EXPECT_EQ(nfo.genres, (std::vector<std::string>{"Drama"}));
}

// Attribute values too (found by the fuzzer): a rating's name and a uniqueid's type reach JSON.
TEST(Nfo, InvalidUtf8InAttributesIsReplaced) {
  const auto nfo = parse_movie_or_fail(
      "<movie><ratings><rating name=\"imdb\xE9\"><value>7</value></rating></ratings>"
      "<uniqueid type=\"tm\xFF" "db\">603</uniqueid></movie>");
  ASSERT_EQ(nfo.ratings.size(), 1u);
  EXPECT_EQ(nfo.ratings[0].name, "imdb\xEF\xBF\xBD");
  ASSERT_EQ(nfo.unique_ids.size(), 1u);
  EXPECT_EQ(nfo.unique_ids[0].type, "tm\xEF\xBF\xBD" "db");
}

TEST(Nfo, Utf16WithBomIsRead) {
  const std::string utf8 = "<movie><title>Heat</title></movie>";
  std::string utf16 = "\xFF\xFE";
  for (const char c : utf8) {
    utf16.push_back(c);
    utf16.push_back('\0');
  }
  const auto nfo = parse_movie_or_fail(utf16);
  EXPECT_EQ(nfo.title, "Heat");
}

TEST(Nfo, ReadsAFileAndReportsAMissingOne) {
  test::TempDir dir;
  {
    std::ofstream out(dir / "movie.nfo", std::ios::binary);
    out << kFullNfo;
  }
  const auto parsed = media::read_movie_nfo(dir / "movie.nfo");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_TRUE(parsed->movie);
  EXPECT_EQ(parsed->movie->title, "The Matrix");

  const auto missing = media::read_movie_nfo(dir / "absent.nfo");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("absent.nfo"), std::string::npos);
  EXPECT_EQ(missing.error().offset, -1);
}

// Not a fuzzer (tests/fuzz is libFuzzer's place), but a bounded sweep that can fail: every
// prefix of a real nfo and a few thousand seeded byte mutations must come back as a value or
// an NfoError, never a crash or an exception.
TEST(Nfo, TruncatedAndMutatedFilesAreValuesNeverCrashes) {
  const std::string full(kFullNfo);
  std::size_t errors = 0;
  for (std::size_t size = 0; size <= full.size(); ++size) {
    const auto parsed = parse_movie_nfo(std::string_view(full).substr(0, size));
    if (!parsed) ++errors;
  }
  EXPECT_GT(errors, full.size() / 2) << "most prefixes are broken XML";

  std::mt19937 random(20261121);
  for (int i = 0; i < 3000; ++i) {
    std::string text = full;
    const int edits = 1 + static_cast<int>(random() % 8);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = random() % text.size();
      switch (random() % 3) {
        case 0: text[at] = static_cast<char>(random() % 256); break;
        case 1: text.erase(at, 1 + random() % 16); break;
        default: text.insert(at, 1, "<>&/\"\0\xFF"[random() % 7]); break;
      }
      if (text.empty()) text = "<";
    }
    EXPECT_NO_THROW((void)parse_movie_nfo(text)) << "mutation " << i;
  }
}
