#include "api/similar_routes.hpp"

#include "http/json_response.hpp"
#include "http/query.hpp"

#include <boost/json.hpp>

#include <charconv>

namespace scanhub::api {

namespace {

using http::Status;

int limit_param(const http::QueryParams& query) {
  const auto value = query.get("limit");
  if (!value) return kDefaultSimilarLimit;
  int limit = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), limit);
  if (ec != std::errc() || end != value->data() + value->size() || limit < 1 ||
      limit > kMaxSimilarLimit) {
    throw std::invalid_argument("limit must be an integer from 1 to " +
                                std::to_string(kMaxSimilarLimit));
  }
  return limit;
}

boost::json::value optional_text(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return boost::json::string(*text);
}

}  // namespace

boost::json::value similar_tracks_json(const embed::SimilarTracksResult& result) {
  boost::json::array similar;
  for (const auto& entry : result.similar) {
    similar.push_back(boost::json::object{{"trackId", entry.track.id},
                                          {"path", entry.track.path},
                                          {"title", optional_text(entry.track.title)},
                                          {"artist", optional_text(entry.track.artist)},
                                          {"score", entry.score}});
  }
  return boost::json::object{
      {"trackId", result.track_id}, {"model", result.model}, {"similar", std::move(similar)}};
}

void add_similar_routes(http::Router& router, embed::SimilarTracks& similar) {
  router.add(http::Verb::get, "/api/tracks/{id}/similar",
             [&similar](const http::Request& request, const http::PathParams& params) {
               const std::string& text = params.at("id");
               const auto id = core::parse_id(text);
               if (!id) throw http::HttpError(Status::not_found, "no track " + text);
               const http::QueryParams query(http::split_target(request.target()).query);
               const int limit = limit_param(query);
               const auto result = similar.find(*id, static_cast<std::size_t>(limit));
               if (!result) throw http::HttpError(Status::not_found, result.error());
               return http::json_response(Status::ok, similar_tracks_json(*result));
             });
}

}  // namespace scanhub::api
