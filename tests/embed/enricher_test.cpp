// Storage, similarity search and the enricher together, on a real SQLite file and real audio
// (issue 5 acceptance: short and long tracks are skipped and counted; a broken external
// command is reported, not hung on; the nearest track to a re-encoded copy is its original).

#include "embed/embedding_enricher.hpp"
#include "embed/mel_statistics.hpp"
#include "embed/similar_tracks.hpp"
#include "queue/job_context.hpp"
#include "support/temp_dir.hpp"

#include "audio_fixtures.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <map>

namespace scanhub::embed {
namespace {

using test::audio_fixtures;

class Embeddings : public ::testing::Test {
 protected:
  // A music library at the fixtures' directory with these files as tracks.
  std::map<std::string, core::TrackId> add_tracks(const std::vector<std::string>& names) {
    std::map<std::string, core::TrackId> ids;
    store_.write_sync([&](store::Connection& c) {
      auto existing = c.libraries.find_by_path(audio_fixtures().dir.string());
      if (!existing) {
        core::Library library;
        library.path = audio_fixtures().dir.string();
        library.name = "fixtures";
        library.created_at = core::Clock::now();
        existing = c.libraries.add(library);
      }
      library_ = *existing;
      for (const auto& name : names) {
        core::TrackMetadata metadata;
        metadata.title = "Title of " + name;
        metadata.artist = "Artist";
        ids[name] = c.tracks.insert(library_.id, name, {1, 1}, metadata, core::Clock::now());
      }
    });
    return ids;
  }

  // Runs the enricher over every pending item as the queue would: enrich, then commit.
  struct Outcome {
    int completed = 0, skipped = 0;
    std::map<core::TrackId, std::string> reasons;  // skipped or failed
  };
  Outcome run(EmbeddingEnricher& enricher) {
    const auto pending = store_.read([&](store::Connection& c) {
      return enricher.pending_items(c, library_, core::ScanOptions{});
    });
    Outcome outcome;
    outcome.skipped = static_cast<int>(pending.skipped);
    for (const auto& item : pending.items) {
      try {
        auto result = enricher.enrich(item, {});
        if (result.skipped) {
          ++outcome.skipped;
          outcome.reasons[item.owner_id] = result.reason;
        } else {
          store_.write_sync(result.commit);
          ++outcome.completed;
        }
      } catch (const std::exception& e) {
        outcome.reasons[item.owner_id] = e.what();
      }
    }
    return outcome;
  }

  test::TempDir dir_;
  store::Store store_{dir_ / "scanhub.db"};
  core::Library library_;
};

TEST(SimilarityIndex, RanksByCosineLeavesOutTheQueryAndBreaksTiesByTrackId) {
  store::EmbeddingMatrix matrix;
  matrix.dimension = 3;
  matrix.track_ids = {1, 2, 3, 4};
  matrix.values = {1, 0, 0, 0.6f, 0.8f, 0, 0, 1, 0, 0.6f, 0.8f, 0};
  const SimilarityIndex index(std::move(matrix));
  ASSERT_EQ(index.size(), 4u);
  const auto query = *index.vector_of(1);
  const auto nearest = index.nearest(query, 10, core::TrackId{1});
  ASSERT_EQ(nearest.size(), 3u);
  EXPECT_EQ(nearest[0].track_id, 2);
  EXPECT_EQ(nearest[1].track_id, 4);
  EXPECT_EQ(nearest[2].track_id, 3);
  EXPECT_FLOAT_EQ(nearest[0].score, 0.6f);
  EXPECT_FLOAT_EQ(nearest[2].score, 0.0f);
  EXPECT_EQ(index.nearest(query, 1).front().track_id, 1);           // not excluded: itself, score 1
  EXPECT_TRUE(index.nearest(std::vector<float>{1, 0}, 5).empty());  // wrong dimension
  EXPECT_FALSE(index.vector_of(9));
}

TEST(SimilarityIndex, DotProductMatchesAPlainLoopForEveryLength) {
  std::vector<float> a(300), b(300);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = std::sin(static_cast<float>(i));
    b[i] = std::cos(static_cast<float>(i) * 0.7f);
  }
  for (const std::size_t n : {0u, 1u, 3u, 4u, 15u, 16u, 17u, 256u, 300u}) {
    double expected = 0;
    for (std::size_t i = 0; i < n; ++i) expected += static_cast<double>(a[i]) * b[i];
    EXPECT_NEAR(dot_product(a.data(), b.data(), n), expected, 1e-4) << n;
  }
}

TEST_F(Embeddings, StoreKeepsVectorsPerModelAndDropsThemWithTheirTrack) {
  const auto ids = add_tracks({"a.flac", "b.flac"});
  const std::vector<float> v{0.6f, 0.8f};
  store_.write_sync([&](store::Connection& c) {
    EXPECT_TRUE(c.embeddings.put(ids.at("a.flac"), "m", 1, v, core::Clock::now()));
    EXPECT_TRUE(c.embeddings.put(ids.at("a.flac"), "other", 3, std::vector<float>{1, 0, 0},
                                 core::Clock::now()));
    EXPECT_FALSE(c.embeddings.put(999, "m", 1, v, core::Clock::now()));  // no such track
  });
  store_.read([&](store::Connection& c) {
    EXPECT_TRUE(c.embeddings.has(ids.at("a.flac"), "m", 1));
    EXPECT_FALSE(c.embeddings.has(ids.at("a.flac"), "m", 2));
    EXPECT_FALSE(c.embeddings.has(ids.at("b.flac"), "m", 1));
    EXPECT_EQ(c.embeddings.get(ids.at("a.flac"), "m"), v);
    const auto matrix = c.embeddings.load_all("m", 1);
    EXPECT_EQ(matrix.dimension, 2u);
    EXPECT_EQ(matrix.track_ids, std::vector<core::TrackId>{ids.at("a.flac")});
    EXPECT_EQ(matrix.values, v);
    const auto needing = c.embeddings.tracks_needing(library_.id, "m", 1);
    ASSERT_EQ(needing.size(), 1u);
    EXPECT_EQ(needing[0].id, ids.at("b.flac"));
    EXPECT_EQ(needing[0].path, (audio_fixtures().dir / "b.flac").string());
    EXPECT_EQ(c.embeddings.tracks_needing(library_.id, "m", 2).size(), 2u);  // a new version
    EXPECT_EQ(c.embeddings.find_track((audio_fixtures().dir / "b.flac").string()),
              ids.at("b.flac"));
    EXPECT_FALSE(c.embeddings.find_track("/elsewhere/b.flac"));
  });
  const auto before =
      store_.read([](store::Connection& c) { return c.embeddings.version_of("m", 1); });
  store_.write_sync([&](store::Connection& c) { c.tracks.remove(ids.at("a.flac")); });
  store_.read([&](store::Connection& c) {
    EXPECT_TRUE(c.embeddings.load_all("m", 1).track_ids.empty());
    EXPECT_FALSE(c.embeddings.get(ids.at("a.flac"), "other"));
    EXPECT_NE(c.embeddings.version_of("m", 1), before);
  });
}

TEST_F(Embeddings, TheEnricherStoresVectorsSkipsShortAndLongTracksAndTheCopyFindsItsOriginal) {
  const auto& files = audio_fixtures();
  std::vector<std::string> names = files.originals;
  names.insert(names.end(), {"melody-64k.mp3", "chirp-q2.ogg", files.short_track, files.long_track,
                             files.not_audio});
  const auto ids = add_tracks(names);

  EmbeddingOptions options;
  options.max_duration = std::chrono::seconds(90);  // so the 100-s track is "too long"
  EmbeddingEnricher enricher(options);
  EXPECT_EQ(enricher.job_type(), "audio-embedding");
  EXPECT_EQ(enricher.model(), "mel-statistics");
  EXPECT_GE(enricher.concurrency(), 1);
  EXPECT_TRUE(enricher.applies_to(core::LibraryType::music));
  EXPECT_FALSE(enricher.applies_to(core::LibraryType::movie));

  const auto outcome = run(enricher);
  EXPECT_EQ(outcome.completed, static_cast<int>(files.originals.size()) + 2);
  EXPECT_EQ(outcome.skipped, 2);
  EXPECT_NE(outcome.reasons.at(ids.at(files.short_track)).find("too short: 10.0 s, under 60.0 s"),
            std::string::npos)
      << outcome.reasons.at(ids.at(files.short_track));
  EXPECT_NE(outcome.reasons.at(ids.at(files.long_track)).find("too long: 100.0 s, over 90.0 s"),
            std::string::npos)
      << outcome.reasons.at(ids.at(files.long_track));
  EXPECT_NE(outcome.reasons.at(ids.at(files.not_audio)).find("random-bytes.mp3"),
            std::string::npos);

  // Not audio: failed for good at once (another attempt cannot fix it), not retried.
  EXPECT_THROW(
      enricher.enrich({"track", ids.at(files.not_audio), (files / files.not_audio).string()}, {}),
      queue::PermanentJobError);

  // Stored with the model's name, version and dimension; nothing left to do but the skipped
  // and the broken (seed 000: an embedded track is not recomputed).
  const auto pending = store_.read([&](store::Connection& c) {
    return enricher.pending_items(c, library_, core::ScanOptions{});
  });
  EXPECT_EQ(pending.items.size(), 3u);
  EXPECT_EQ(pending.skipped, 0);  // the fixtures' tracks have no stored duration
  const auto matrix = store_.read([](store::Connection& c) {
    return c.embeddings.load_all(kMelStatisticsModel, kMelStatisticsVersion);
  });
  EXPECT_EQ(matrix.dimension, kMelStatisticsDimension);
  EXPECT_EQ(matrix.track_ids.size(), files.originals.size() + 2);

  SimilarTracks similar(store_, std::string(kMelStatisticsModel), kMelStatisticsVersion);
  for (const auto& [copy, original] : std::vector<std::pair<std::string, std::string>>{
           {"melody-64k.mp3", "melody.flac"}, {"chirp-q2.ogg", "chirp.flac"}}) {
    const auto result = similar.find(ids.at(copy), 3);
    ASSERT_TRUE(result) << result.error();
    ASSERT_EQ(result->similar.size(), 3u);
    EXPECT_EQ(result->similar[0].track.id, ids.at(original)) << copy;
    EXPECT_EQ(result->similar[0].track.path, (files.dir / original).string());
    EXPECT_EQ(result->similar[0].track.title, "Title of " + original);
    EXPECT_GT(result->similar[0].score, result->similar[1].score);
  }
  EXPECT_EQ(similar.find(ids.at(files.short_track), 3).error(),
            "track " + std::to_string(ids.at(files.short_track)) +
                " has no mel-statistics embedding yet");
  EXPECT_EQ(similar.find(424242, 3).error(), "no track 424242");
}

TEST_F(Embeddings, ATrackOverTheFileTimeBudgetFailsForGoodWithTheReason) {
  const auto& files = audio_fixtures();
  const auto ids = add_tracks({"melody.flac"});
  EmbeddingOptions options;
  options.file_time_budget = std::chrono::milliseconds(0);  // spent before the first read
  EmbeddingEnricher enricher(options);
  try {
    enricher.enrich({"track", ids.at("melody.flac"), (files / "melody.flac").string()}, {});
    ADD_FAILURE() << "no error";
  } catch (const queue::PermanentJobError& e) {
    // Another attempt would take as long: not retried.
    EXPECT_NE(std::string(e.what()).find("reading took longer than the 0 s budget"),
              std::string::npos) << e.what();
  }
}

TEST_F(Embeddings, StoredDurationsOutsideTheLimitsAreCountedAsSkippedWithoutAJob) {
  // Seed 000's "< 60" and "> 60 * 15" decided from tracks.duration_ms: no job, a count. A track
  // without a stored duration (0) is left to its job; the limits are inclusive.
  add_tracks({});
  std::map<std::string, core::TrackId> ids;
  store_.write_sync([&](store::Connection& c) {
    for (const auto& [name, ms] : std::vector<std::pair<std::string, std::int64_t>>{
             {"short.mp3", 59'999},
             {"exactly-60.mp3", 60'000},
             {"unknown.mp3", 0},
             {"fifteen-minutes.mp3", 900'000},
             {"long.mp3", 900'001}}) {
      core::TrackMetadata metadata;
      metadata.duration_ms = ms;
      ids[name] = c.tracks.insert(library_.id, name, {1, 1}, metadata, core::Clock::now());
    }
  });
  EmbeddingEnricher enricher(EmbeddingOptions{});
  const auto pending = store_.read(
      [&](store::Connection& c) { return enricher.pending_items(c, library_, core::ScanOptions{}); });
  EXPECT_EQ(pending.skipped, 2);
  std::vector<core::TrackId> items;
  for (const auto& item : pending.items) items.push_back(item.owner_id);
  EXPECT_EQ(items, (std::vector<core::TrackId>{ids.at("exactly-60.mp3"), ids.at("unknown.mp3"),
                                                ids.at("fifteen-minutes.mp3")}));

  // Nothing records a skip: the next scan counts them again. A vector of the same model and
  // version takes its track out of the work; another version's does not.
  store_.write_sync([&](store::Connection& c) {
    c.embeddings.put(ids.at("exactly-60.mp3"), enricher.model(), enricher.version(),
                     std::vector<float>{1, 0}, core::Clock::now());
    c.embeddings.put(ids.at("unknown.mp3"), enricher.model(), enricher.version() + 1,
                     std::vector<float>{1, 0}, core::Clock::now());
  });
  const auto again = store_.read(
      [&](store::Connection& c) { return enricher.pending_items(c, library_, core::ScanOptions{}); });
  EXPECT_EQ(again.skipped, 2);
  ASSERT_EQ(again.items.size(), 2u);
  EXPECT_EQ(again.items[0].owner_id, ids.at("unknown.mp3"));

  // Limits are options; metadata-only and enrichment-off scans have no embedding work at all.
  EmbeddingOptions tight;
  tight.min_duration = std::chrono::seconds(61);
  tight.max_duration = std::chrono::seconds(61);
  EmbeddingEnricher strict(tight);
  EXPECT_EQ(store_.read([&](store::Connection& c) {
              return strict.pending_items(c, library_, core::ScanOptions{}).skipped;
            }),
            3);  // all but the unknown one and the one already embedded
  core::ScanOptions metadata_only;
  metadata_only.enrichment_mode = "metadata-only";
  const auto none = store_.read(
      [&](store::Connection& c) { return enricher.pending_items(c, library_, metadata_only); });
  EXPECT_TRUE(none.items.empty());
  EXPECT_EQ(none.skipped, 0);
}

TEST_F(Embeddings, AnExternalModelsVectorsAreStoredUnderItsNameAndItsFailuresAreReported) {
  const auto& files = audio_fixtures();
  const auto ids = add_tracks({"melody.flac", "chirp.flac", files.short_track});
  const auto write_script = [&](const char* name, const std::string& body) {
    const auto path = dir_ / name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    ::chmod(path.c_str(), 0755);
    return path.string();
  };

  EmbeddingOptions options;
  options.external = ExternalModelOptions{
      .model = "test-essentia",
      .version = 2,
      .command = {write_script(
          "good.sh", "case \"$1\" in *melody*) echo '[3, 4]';; *) echo '[1, 0]';; esac")}};
  EmbeddingEnricher good(options);
  EXPECT_EQ(good.concurrency(), 10);  // seed 000
  const auto outcome = run(good);
  EXPECT_EQ(outcome.completed, 2);
  EXPECT_EQ(outcome.skipped, 1);  // the length rules hold for external models too
  store_.read([&](store::Connection& c) {
    EXPECT_EQ(c.embeddings.get(ids.at("melody.flac"), "test-essentia"),
              (std::vector<float>{0.6f, 0.8f}));
    EXPECT_TRUE(c.embeddings.has(ids.at("chirp.flac"), "test-essentia", 2));
  });

  // Broken commands: each job fails with the reason, and none hangs.
  for (const auto& [name, body, reason] :
       std::vector<std::tuple<const char*, std::string, std::string>>{
           {"exit1.sh", "echo 'no model' >&2; exit 1", "exited with status 1: no model"},
           {"sleep.sh", "sleep 30", "timed out after 500 ms"},
           {"garbage.sh", "echo 'Segmentation fault'", "printed no JSON"}}) {
    SCOPED_TRACE(name);
    EmbeddingOptions broken;
    broken.external = ExternalModelOptions{.model = std::string("broken-") + name,
                                           .command = {write_script(name, body)},
                                           .timeout = std::chrono::milliseconds(500)};
    EmbeddingEnricher enricher(broken);
    const auto start = std::chrono::steady_clock::now();
    const auto result = run(enricher);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
    EXPECT_EQ(result.completed, 0);
    const auto& error = result.reasons.at(ids.at("melody.flac"));
    EXPECT_NE(error.find(reason), std::string::npos) << error;
  }
  EmbeddingOptions no_command;
  no_command.external.emplace().model = "x";
  EXPECT_THROW(EmbeddingEnricher{no_command}, std::invalid_argument);
}

}  // namespace
}  // namespace scanhub::embed
