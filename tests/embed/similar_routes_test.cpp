// GET /api/tracks/{id}/similar through the router, on a real SQLite file (issue 5 item 3).

#include "api/similar_routes.hpp"
#include "http/query.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace scanhub::api {
namespace {

namespace json = boost::json;

class SimilarRoutes : public ::testing::Test {
 protected:
  SimilarRoutes() {
    store_.write_sync([&](store::Connection& c) {
      core::Library library;
      library.path = "/music";
      library.name = "music";
      library.created_at = core::Clock::now();
      const auto id = c.libraries.add(library).id;
      const auto add = [&](const char* path, std::optional<std::string> title,
                           std::vector<float> vector) {
        core::TrackMetadata metadata;
        metadata.title = std::move(title);
        metadata.artist = "Artist";
        const auto track = c.tracks.insert(id, path, {1, 1}, metadata, core::Clock::now());
        if (!vector.empty())
          c.embeddings.put(track, "mel-statistics", 1, vector, core::Clock::now());
        return track;
      };
      a_ = add("a.flac", "A", {1, 0, 0});
      b_ = add("b/b.mp3", "B", {0.8f, 0.6f, 0});
      c_ = add("c.ogg", std::nullopt, {0, 0.6f, 0.8f});
      bare_ = add("d.flac", "D", {});
    });
    add_similar_routes(router_, similar_);
  }
  http::Response get(const std::string& target) {
    http::Request request{http::Verb::get, target, 11};
    const auto path = http::split_target(target).path;
    auto response = router_.dispatch(request, path);
    EXPECT_TRUE(response) << target;
    return response ? *response : http::Response{};
  }

  test::TempDir dir_;
  store::Store store_{dir_ / "scanhub.db"};
  embed::SimilarTracks similar_{store_, "mel-statistics", 1};
  http::Router router_;
  core::TrackId a_ = 0, b_ = 0, c_ = 0, bare_ = 0;
};

TEST_F(SimilarRoutes, ReturnsTheNearestTracksBestFirst) {
  const auto response = get("/api/tracks/" + std::to_string(a_) + "/similar?limit=5");
  ASSERT_EQ(response.result(), http::Status::ok) << response.body();
  const auto body = json::parse(response.body()).as_object();
  EXPECT_EQ(body.at("trackId").as_int64(), a_);
  EXPECT_EQ(body.at("model").as_string(), "mel-statistics");
  const auto& similar = body.at("similar").as_array();
  ASSERT_EQ(similar.size(), 2u);  // itself and the track without a vector left out
  EXPECT_EQ(similar[0].at("trackId").as_int64(), b_);
  EXPECT_EQ(similar[0].at("path").as_string(), "/music/b/b.mp3");
  EXPECT_EQ(similar[0].at("title").as_string(), "B");
  EXPECT_EQ(similar[0].at("artist").as_string(), "Artist");
  EXPECT_NEAR(similar[0].at("score").to_number<double>(), 0.8, 1e-6);
  EXPECT_EQ(similar[1].at("trackId").as_int64(), c_);
  EXPECT_TRUE(similar[1].at("title").is_null());
  EXPECT_NEAR(similar[1].at("score").to_number<double>(), 0.0, 1e-6);

  const auto one =
      json::parse(get("/api/tracks/" + std::to_string(c_) + "/similar?limit=1").body());
  ASSERT_EQ(one.at("similar").as_array().size(), 1u);
  EXPECT_EQ(one.at("similar").as_array()[0].at("trackId").as_int64(), b_);
}

TEST_F(SimilarRoutes, SeesVectorsStoredAfterTheFirstSearch) {
  EXPECT_EQ(json::parse(get("/api/tracks/" + std::to_string(a_) + "/similar").body())
                .at("similar")
                .as_array()
                .size(),
            2u);
  store_.write_sync([&](store::Connection& c) {
    c.embeddings.put(bare_, "mel-statistics", 1, std::vector<float>{1, 0, 0}, core::Clock::now());
  });
  const auto body = json::parse(get("/api/tracks/" + std::to_string(a_) + "/similar").body());
  EXPECT_EQ(body.at("similar").as_array()[0].at("trackId").as_int64(), bare_);
}

TEST_F(SimilarRoutes, SeesReplacedAndRemovedVectors) {
  const auto first = [&] {
    const auto body = json::parse(get("/api/tracks/" + std::to_string(a_) + "/similar").body());
    const auto& similar = body.at("similar").as_array();
    return similar.empty() ? core::TrackId{0} : similar[0].at("trackId").as_int64();
  };
  EXPECT_EQ(first(), b_);
  store_.write_sync([&](store::Connection& c) {  // c now points where a does
    c.embeddings.put(c_, "mel-statistics", 1, std::vector<float>{1, 0, 0}, core::Clock::now());
  });
  EXPECT_EQ(first(), c_);
  EXPECT_EQ(similar_.index()->size(), 3u);
  store_.write_sync([&](store::Connection& c) { c.tracks.remove(c_); });  // its vector goes too
  EXPECT_EQ(first(), b_);
  EXPECT_EQ(similar_.index()->size(), 2u);
}

TEST_F(SimilarRoutes, UnknownTracksAndTracksWithoutAVectorAre404) {
  for (const std::string& target :
       std::vector<std::string>{"/api/tracks/999/similar", "/api/tracks/x/similar",
                                "/api/tracks/" + std::to_string(bare_) + "/similar"}) {
    const auto response = get(target);
    EXPECT_EQ(response.result(), http::Status::not_found) << target;
    EXPECT_TRUE(json::parse(response.body()).at("error").is_string()) << target;
  }
  EXPECT_EQ(json::parse(get("/api/tracks/999/similar").body()).at("error"), "no track 999");
  EXPECT_EQ(json::parse(get("/api/tracks/" + std::to_string(bare_) + "/similar").body())
                .at("error")
                .as_string(),
            "track " + std::to_string(bare_) + " has no mel-statistics embedding yet");
}

TEST_F(SimilarRoutes, ABadLimitIs400) {
  for (const char* limit : {"0", "101", "-1", "ten", "5x", ""}) {
    const auto response = get("/api/tracks/" + std::to_string(a_) + "/similar?limit=" + limit);
    EXPECT_EQ(response.result(), http::Status::bad_request) << limit;
    EXPECT_EQ(json::parse(response.body()).at("error"), "limit must be an integer from 1 to 100");
  }
}

}  // namespace
}  // namespace scanhub::api
