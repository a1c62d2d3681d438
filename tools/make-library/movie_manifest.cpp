#include "movie_manifest.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <stdexcept>

#include <boost/json.hpp>

namespace scanhub::make_library {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

template <typename T>
json::value or_null(const std::optional<T>& value) {
  return value ? json::value_from(*value) : json::value(nullptr);
}

std::string_view nfo_kind_name(NfoStyle style) {
  switch (style) {
    case NfoStyle::kNone:
      return "none";
    case NfoStyle::kValid:
      return "valid";
    case NfoStyle::kUnknownTags:
      return "unknown-tags";
    case NfoStyle::kBroken:
      return "broken";
  }
  return "";
}

json::object streams_json(const VideoTemplate& video) {
  const StreamDetails& s = video.streams;
  json::array audio;
  for (const AudioStreamDetails& a : s.audio) {
    audio.push_back(json::object{
        {"codec", a.codec}, {"channels", a.channels}, {"language", or_null(a.language)}});
  }
  json::array subtitles;
  for (const SubtitleStreamDetails& sub : s.subtitles) {
    subtitles.push_back(json::object{
        {"codec", sub.codec}, {"language", or_null(sub.language)}, {"forced", sub.forced}});
  }
  return {
      {"container", s.container},
      {"durationMs", s.duration_ms},
      {"video", json::object{{"codec", s.video_codec}, {"width", s.width}, {"height", s.height}}},
      {"audio", std::move(audio)},
      {"subtitles", std::move(subtitles)},
  };
}

json::object movie_json(const MoviePlan& movie, const VideoTemplate& video,
                        const std::vector<WrittenAsset>& written) {
  json::array genres;
  for (const std::string& genre : movie.genres) genres.push_back(json::string(genre));
  json::array assets;
  for (std::size_t i = 0; i < movie.assets.size(); ++i) {
    const AssetPlan& asset = movie.assets[i];
    json::object entry{{"path", asset.path},
                       {"kind", asset_kind_name(asset.kind)},
                       {"size", written[i].size},
                       {"sha256", written[i].sha256}};
    if (asset.kind == AssetKind::kSubtitle) {
      entry["language"] = or_null(asset.language);
      entry["forced"] = asset.forced;
    }
    assets.push_back(std::move(entry));
  }
  return {
      {"directory", movie.directory},
      {"video", movie.video},
      {"videoSize", video.size},
      {"nfo", or_null(movie.nfo)},
      {"nfoKind", nfo_kind_name(movie.nfo_style)},
      {"title", movie.title},
      {"originalTitle", or_null(movie.original_title)},
      {"year", movie.year},
      {"premiered", or_null(movie.premiered)},
      {"plot", or_null(movie.plot)},
      {"runtime", or_null(movie.runtime_minutes)},
      {"genres", std::move(genres)},
      {"tmdb", or_null(movie.tmdb)},
      {"imdb", or_null(movie.imdb)},
      {"defaultUniqueId", or_null(movie.default_uniqueid)},
      {"streams", streams_json(video)},
      {"assets", std::move(assets)},
  };
}

// Boost.JSON has no pretty printer; one element per line keeps a 3,000-movie manifest
// greppable and diffable.
void write_array(std::string& out, std::string_view key, const json::array& items) {
  out += "  " + json::serialize(json::string(key)) + ": [";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += i == 0 ? "\n    " : ",\n    ";
    out += json::serialize(items[i]);
  }
  out += items.empty() ? "],\n" : "\n  ],\n";
}

}  // namespace

MovieTotals write_movie_manifest(const fs::path& path, const MovieManifestInput& input) {
  const MovieLibraryPlan& plan = *input.plan;
  MovieTotals totals;
  json::array movies;
  json::array errors;
  std::vector<std::string> directories;
  std::map<std::string, std::size_t> by_kind;
  std::map<std::string, std::uintmax_t> distinct;  // sha256 -> size
  for (std::size_t m = 0; m < plan.movies.size(); ++m) {
    const MoviePlan& movie = plan.movies[m];
    const std::vector<WrittenAsset>& written = (*input.written)[m];
    movies.push_back(movie_json(movie, input.templates->video(movie.video_template), written));
    directories.push_back(movie.directory);
    if (movie.nfo_style == NfoStyle::kValid || movie.nfo_style == NfoStyle::kUnknownTags) {
      ++totals.nfos;
    }
    if (movie.nfo_style == NfoStyle::kBroken) {
      errors.push_back(json::object{{"path", *movie.nfo}, {"kind", "broken-nfo"}});
    }
    for (std::size_t i = 0; i < movie.assets.size(); ++i) {
      ++by_kind[std::string(asset_kind_name(movie.assets[i].kind))];
      totals.asset_bytes += written[i].size;
      distinct.emplace(written[i].sha256, written[i].size);
    }
    totals.assets += movie.assets.size();
  }
  for (const BadDirectoryPlan& bad : plan.bad_directories) {
    errors.push_back(json::object{{"path", bad.error_path}, {"kind", bad.kind}});
    directories.push_back(bad.directory);
  }
  std::sort(directories.begin(), directories.end());
  totals.movies = plan.movies.size();
  totals.directories = directories.size();
  totals.distinct_asset_hashes = distinct.size();
  for (const auto& [hash, size] : distinct) totals.distinct_asset_bytes += size;
  totals.errors = errors.size();

  json::object assets_by_kind;
  for (const auto& [kind, count] : by_kind) assets_by_kind[kind] = count;
  const json::object totals_json{
      {"movies", totals.movies},
      {"directories", totals.directories},
      {"nfos", totals.nfos},
      {"assets", totals.assets},
      {"assetsByKind", std::move(assets_by_kind)},
      {"assetBytes", totals.asset_bytes},
      {"distinctAssetHashes", totals.distinct_asset_hashes},
      {"distinctAssetBytes", totals.distinct_asset_bytes},
      {"errors", totals.errors},
  };
  json::array directory_array;
  for (const std::string& directory : directories)
    directory_array.push_back(json::string(directory));

  std::string out = "{\n  \"version\": 1,\n  \"kind\": \"movies\",\n";
  out += "  \"seed\": " + std::to_string(input.seed) + ",\n";
  write_array(out, "movies", movies);
  write_array(out, "errors", errors);
  write_array(out, "directories", directory_array);
  out += "  \"totals\": " + json::serialize(totals_json) + "\n}\n";

  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << out;
  file.close();
  if (!file) throw std::runtime_error("cannot write manifest " + path.string());
  return totals;
}

}  // namespace scanhub::make_library
