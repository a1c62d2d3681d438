#include "app/similar_command.hpp"

#include "api/similar_routes.hpp"
#include "app/setup.hpp"
#include "embed/mel_statistics.hpp"
#include "embed/similar_tracks.hpp"
#include "text/json_text.hpp"
#include "text/terminal_text.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <system_error>

namespace scanhub::app {

namespace {

// PATH_OR_ID as a track id: a decimal id unless a file of that name exists here.
std::optional<core::TrackId> resolve_track(store::Store& store, const std::string& text) {
  std::error_code ec;
  const bool is_file = std::filesystem::exists(text, ec);
  if (const auto id = core::parse_id(text); id && !is_file) return id;
  const auto path = std::filesystem::weakly_canonical(std::filesystem::absolute(text, ec), ec);
  if (ec) return std::nullopt;
  return store.read([&](store::Connection& c) { return c.embeddings.find_track(path.string()); });
}

}  // namespace

int run_similar_command(const SimilarCommandOptions& options) {
  try {
    if (!std::filesystem::exists(options.database)) {
      std::fprintf(stderr, "scanhub similar: no database at %s (scan a library first)\n",
                   options.database.c_str());
      return 1;
    }
    const auto store = open_store(options.database);
    const auto track = resolve_track(*store, options.track);
    if (!track) {
      std::fprintf(stderr, "scanhub similar: %s is not a track of a scanned library\n",
                   text::escape_for_terminal(options.track).c_str());
      return 1;
    }
    const std::string model =
        options.model.empty() ? std::string(embed::kMelStatisticsModel) : options.model;
    const int version = options.model_version > 0 ? options.model_version
                        : options.model.empty()   ? embed::kMelStatisticsVersion
                                                  : 1;
    embed::SimilarTracks similar(*store, model, version);
    const auto result = similar.find(*track, static_cast<std::size_t>(options.limit));
    if (!result) {
      std::fprintf(stderr, "scanhub similar: %s\n", result.error().c_str());
      return 1;
    }
    if (options.json) {
      std::printf("%s\n", text::serialize_json(api::similar_tracks_json(*result)).c_str());
      return 0;
    }
    const auto self = store->read([&](store::Connection& c) {
      const core::TrackId ids[] = {*track};
      return c.embeddings.summaries(ids);
    });
    std::printf("Tracks similar to %lld %s (%s):\n", static_cast<long long>(*track),
                self.empty() ? "" : text::escape_for_terminal(self.front().path).c_str(),
                model.c_str());
    if (result->similar.empty())
      std::printf("  (no other track has a %s embedding yet)\n", model.c_str());
    for (const auto& entry : result->similar) {
      const auto& t = entry.track;
      std::string name = t.artist.value_or("");
      if (t.title) name += (name.empty() ? "" : " - ") + *t.title;
      std::printf("  %7.4f  %6lld  %s%s%s\n", static_cast<double>(entry.score),
                  static_cast<long long>(t.id), text::escape_for_terminal(name).c_str(),
                  name.empty() ? "" : "  ", text::escape_for_terminal(t.path).c_str());
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scanhub similar: %s\n", text::escape_for_terminal(e.what()).c_str());
    return 1;
  }
}

}  // namespace scanhub::app
