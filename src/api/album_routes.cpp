#include "api/album_routes.hpp"

#include "http/json_response.hpp"

#include <boost/json.hpp>

namespace scanhub::api {

namespace {

using http::Status;

template <typename T>
boost::json::value or_null(const std::optional<T>& value) {
  if (!value) return nullptr;
  return boost::json::value_from(*value);
}

boost::json::value album_json(const store::StoredAlbum& stored) {
  boost::json::array art;
  for (const auto& piece : stored.art) {
    art.push_back(boost::json::object{{"id", piece.asset.id},
                                      {"kind", core::to_string(piece.asset.kind)},
                                      {"source", store::to_string(piece.source)},
                                      {"path", piece.asset.source_path},
                                      {"size", piece.asset.stamp.size},
                                      {"sha256", or_null(piece.asset.sha256)},
                                      {"cachePath", or_null(piece.asset.cache_path)}});
  }
  const auto& album = stored.album;
  return boost::json::object{{"id", album.id},
                             {"libraryId", album.library_id},
                             {"directory", album.directory},
                             {"title", or_null(album.title)},
                             {"albumArtist", or_null(album.album_artist)},
                             {"year", or_null(album.year)},
                             {"trackCount", album.track_count},
                             {"art", std::move(art)}};
}

}  // namespace

void add_album_routes(http::Router& router, store::Store& store) {
  router.add(http::Verb::get, "/api/albums/{id}",
             [&store](const http::Request&, const http::PathParams& params) {
               const std::string& text = params.at("id");
               const auto id = core::parse_id(text);
               if (!id) throw http::HttpError(Status::not_found, "no album " + text);
               const auto album = store.read([&](store::Connection& c) { return c.albums.get(*id); });
               if (!album) throw http::HttpError(Status::not_found, "no album " + text);
               return http::json_response(Status::ok, album_json(*album));
             });
}

}  // namespace scanhub::api
