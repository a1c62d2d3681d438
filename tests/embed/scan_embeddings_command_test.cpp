// `scanhub scan` with audio embeddings on by default (issue 5 items 1 and 4): the real binary
// on a library of ffmpeg-made tracks. The limits and the external model are set by flag; the
// embedding phase shows in the progress lines, the --json events and the summary; skipped
// tracks are counted again by the next scan and embedded ones are not recomputed.

#include "support/temp_dir.hpp"

#include "audio_fixtures.hpp"
#include "run_scanhub.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace scanhub::embed {
namespace {

using test::audio_fixtures;
using test::run_scanhub;

class ScanEmbeddings : public ::testing::Test {
 protected:
  void SetUp() override {
    // Three long tracks (61 s), a 10-s one and a 100-s one.
    std::filesystem::create_directories(library_);
    for (const auto& name : {"tone440.flac", "chirp.flac", "melody-64k.mp3",
                             audio_fixtures().short_track.c_str(), audio_fixtures().long_track.c_str()}) {
      std::filesystem::copy_file(audio_fixtures() / name, library_ / name);
    }
  }

  std::vector<std::string> scan(std::vector<std::string> extra) const {
    std::vector<std::string> args{"scan", library_.string(), "--db", db_};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  test::TempDir dir_;
  std::filesystem::path library_ = dir_ / "music";
  std::string db_ = (dir_ / "scanhub.db").string();
};

TEST_F(ScanEmbeddings, ThePhaseShowsAndSkippedTracksAreCountedAgainButNothingIsRecomputed) {
  const auto first = run_scanhub(scan({"--embedding-max-seconds", "90"}));
  ASSERT_EQ(first.status, 0) << first.out;
  // Not a terminal: one line at the phase change, then the summary.
  EXPECT_NE(first.out.find("scan 1: enriching"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("/5 tracks through embeddings"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("embeddings:  3 computed, 2 skipped, 0 failed"), std::string::npos)
      << first.out;

  const auto again = run_scanhub(scan({"--embedding-max-seconds", "90"}));
  ASSERT_EQ(again.status, 0) << again.out;
  EXPECT_EQ(again.out.find("scan 2: enriching"), std::string::npos) << "no job, no phase: " << again.out;
  EXPECT_NE(again.out.find("embeddings:  0 computed, 2 skipped, 0 failed"), std::string::npos)
      << again.out;

  // With a 5-s minimum the 10-s track is embedded now; the 100-s one is still too long.
  const auto json = run_scanhub(scan({"--json", "--embedding-min-seconds", "5",
                                      "--embedding-max-seconds", "90"}));
  ASSERT_EQ(json.status, 0) << json.out;
  std::vector<std::string> targets;
  boost::json::object summary;
  std::istringstream lines(json.out);
  for (std::string line; std::getline(lines, line);) {
    boost::system::error_code ec;
    const auto value = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    targets.emplace_back(value.at("target").as_string());
    if (targets.back() == "EmbeddingProgress") {
      const auto& p = value.at("arguments").at(0);
      EXPECT_EQ(p.at("totalTracksForEmbedding").as_int64(), 2);
      EXPECT_EQ(p.at("embeddingsSkipped").as_int64(), 1);
    }
    if (targets.back() == "ScanCompleted") summary = value.at("arguments").at(1).as_object();
  }
  // Seed 000's order: ..., IndexingCompleted, EmbeddingProgress..., EmbeddingCompleted,
  // ScanCompleted.
  const auto indexed = std::find(targets.begin(), targets.end(), "IndexingCompleted");
  ASSERT_NE(indexed, targets.end()) << json.out;
  ASSERT_GE(targets.end() - indexed, 4) << json.out;
  EXPECT_TRUE(std::all_of(indexed + 1, targets.end() - 2,
                          [](const std::string& t) { return t == "EmbeddingProgress"; }))
      << json.out;
  EXPECT_EQ(std::vector<std::string>(targets.end() - 2, targets.end()),
            (std::vector<std::string>{"EmbeddingCompleted", "ScanCompleted"}));
  EXPECT_EQ(summary.at("totalEmbeddingsGenerated").as_int64(), 1);
  EXPECT_EQ(summary.at("embeddingsFailed").as_int64(), 1);  // seed 000 counts the skipped here
  EXPECT_EQ(summary.at("embeddingsSkipped").as_int64(), 1);

  const auto off = run_scanhub(scan({"--no-embeddings"}));
  ASSERT_EQ(off.status, 0) << off.out;
  EXPECT_EQ(off.out.find("embeddings:"), std::string::npos) << off.out;
}

TEST_F(ScanEmbeddings, AnExternalModelIsRunPerTrackAndItsVectorsAreSearchable) {
  // The command gets each track's path as its last argument and prints a JSON array.
  const auto run = run_scanhub(scan({"--embedding-command",
                                     "sh -c 'echo \"[1, ${#1}, 2]\"' model-script",
                                     "--embedding-model", "path-length", "--embedding-timeout", "5",
                                     "--embedding-max-seconds", "90"}));
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_NE(run.out.find("embeddings:  3 computed, 2 skipped, 0 failed"), std::string::npos)
      << run.out;
  const auto similar = run_scanhub({"similar", (library_ / "tone440.flac").string(), "--db", db_,
                                    "--model", "path-length", "--json"});
  ASSERT_EQ(similar.status, 0) << similar.out;
  EXPECT_EQ(boost::json::parse(similar.out).at("similar").as_array().size(), 2u) << similar.out;
}

TEST_F(ScanEmbeddings, BadEmbeddingOptionsAreClearErrors) {
  const auto unterminated =
      run_scanhub(scan({"--embedding-command", "'model", "--embedding-model", "m"}));
  EXPECT_EQ(unterminated.status, 2);
  EXPECT_NE(unterminated.out.find("unterminated"), std::string::npos) << unterminated.out;

  const auto alone = run_scanhub(scan({"--embedding-model", "m"}));
  EXPECT_NE(alone.status, 0);
  EXPECT_NE(alone.out.find("--embedding-command"), std::string::npos) << alone.out;

  const auto crossed =
      run_scanhub(scan({"--embedding-min-seconds", "100", "--embedding-max-seconds", "90"}));
  EXPECT_EQ(crossed.status, 1);
  EXPECT_NE(crossed.out.find("is longer than the longest"), std::string::npos) << crossed.out;
}

}  // namespace
}  // namespace scanhub::embed
