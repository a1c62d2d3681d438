// `scanhub similar` as a user runs it: the real binary against a real database whose vectors
// the enricher computed from ffmpeg-made audio (issue 5 item 3).

#include "embed/embedding_enricher.hpp"
#include "support/temp_dir.hpp"

#include "audio_fixtures.hpp"
#include "run_scanhub.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>


namespace scanhub::embed {
namespace {

using test::audio_fixtures;

// Runs the scanhub binary with `args`, stdout and stderr captured together.
test::ScanhubRun scanhub(const std::vector<std::string>& args) { return test::run_scanhub(args); }

TEST(SimilarCommand, ListsTheOriginalFirstForAReencodedCopy) {
  const auto& files = audio_fixtures();
  test::TempDir dir;
  const auto db = (dir / "scanhub.db").string();
  std::map<std::string, core::TrackId> ids;
  {
    store::Store store(db);
    core::Library library;
    store.write_sync([&](store::Connection& c) {
      library.path = files.dir.string();
      library.name = "fixtures";
      library.created_at = core::Clock::now();
      library = c.libraries.add(library);
      for (const char* name :
           {"melody.flac", "melody-64k.mp3", "chirp.flac", "pink.flac", "tone440.flac"}) {
        core::TrackMetadata metadata;
        metadata.title = name;
        ids[name] = c.tracks.insert(library.id, name, {1, 1}, metadata, core::Clock::now());
      }
    });
    EmbeddingEnricher enricher(EmbeddingOptions{});
    const auto items = store.read([&](store::Connection& c) {
      return enricher.pending_items(c, library, core::ScanOptions{}).items;
    });
    ASSERT_EQ(items.size(), 5u);
    for (const auto& item : items) store.write_sync(enricher.enrich(item, {}).commit);
  }

  const auto by_path =
      scanhub({"similar", (files.dir / "melody-64k.mp3").string(), "--db", db, "--limit", "2"});
  ASSERT_EQ(by_path.status, 0) << by_path.out;
  const auto first_line = by_path.out.find('\n');
  const auto first_result =
      by_path.out.substr(first_line + 1, by_path.out.find('\n', first_line + 1) - first_line);
  EXPECT_NE(first_result.find((files.dir / "melody.flac").string()), std::string::npos)
      << by_path.out;

  const auto json =
      scanhub({"similar", std::to_string(ids.at("melody.flac")), "--db", db, "--json"});
  ASSERT_EQ(json.status, 0) << json.out;
  const auto body = boost::json::parse(json.out).as_object();
  EXPECT_EQ(body.at("model").as_string(), "mel-statistics");
  const auto& similar = body.at("similar").as_array();
  ASSERT_EQ(similar.size(), 4u);
  EXPECT_EQ(similar[0].at("trackId").as_int64(), ids.at("melody-64k.mp3"));

  const auto unknown = scanhub({"similar", "424242", "--db", db});
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.out.find("no track 424242"), std::string::npos) << unknown.out;
  const auto not_a_track =
      scanhub({"similar", (files.dir / files.short_track).string(), "--db", db});
  EXPECT_EQ(not_a_track.status, 1);
  EXPECT_NE(not_a_track.out.find("is not a track of a scanned library"), std::string::npos)
      << not_a_track.out;
  EXPECT_NE(scanhub({"similar", "1", "--db", db, "--limit", "0"}).status, 0);
}

}  // namespace
}  // namespace scanhub::embed
