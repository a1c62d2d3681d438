#include "embed/similar_tracks.hpp"

#include "lib/sqlite/transaction.hpp"

namespace scanhub::embed {

SimilarTracks::SimilarTracks(store::Store& store, std::string model, int version)
    : store_(store), model_(std::move(model)), version_(version) {}

std::shared_ptr<const SimilarityIndex> SimilarTracks::index() const {
  std::lock_guard lock(mutex_);
  return index_;
}

std::shared_ptr<const SimilarityIndex> SimilarTracks::current_index() {
  const auto stored = store_.read([&](store::Connection& c) { return c.embeddings.version_of(model_); });
  {
    std::lock_guard lock(mutex_);
    if (index_ && loaded_version_ == stored) return index_;
  }
  std::lock_guard reload(reload_mutex_);
  {
    std::lock_guard lock(mutex_);  // another thread may have reloaded meanwhile
    if (index_ && loaded_version_ == stored) return index_;
  }
  // Version and rows read in one read transaction, so they agree.
  auto [version, matrix] = store_.read([&](store::Connection& c) {
    sqlite::Transaction snapshot(c.db, sqlite::Transaction::Mode::deferred);
    auto v = c.embeddings.version_of(model_);
    auto m = c.embeddings.load_all(model_, version_);
    snapshot.commit();
    return std::pair(v, std::move(m));
  });
  auto index = std::make_shared<const SimilarityIndex>(std::move(matrix));
  std::lock_guard lock(mutex_);
  index_ = index;
  loaded_version_ = version;
  return index;
}

std::expected<SimilarTracksResult, std::string> SimilarTracks::find(core::TrackId track,
                                                                    std::size_t limit) {
  const auto index = current_index();
  const auto query = index->vector_of(track);
  if (!query) {
    const bool exists = store_.read([&](store::Connection& c) {
      const core::TrackId ids[] = {track};
      return !c.embeddings.summaries(ids).empty();
    });
    if (!exists) return std::unexpected("no track " + std::to_string(track));
    return std::unexpected("track " + std::to_string(track) + " has no " + model_ +
                           " embedding yet");
  }
  const auto neighbors = index->nearest(*query, limit, track);
  std::vector<core::TrackId> ids;
  ids.reserve(neighbors.size());
  for (const auto& n : neighbors) ids.push_back(n.track_id);
  auto summaries = store_.read([&](store::Connection& c) { return c.embeddings.summaries(ids); });
  SimilarTracksResult result{track, model_, {}};
  // summaries() keeps the order asked and leaves out tracks removed since the index was loaded.
  std::size_t s = 0;
  for (const auto& n : neighbors) {
    if (s < summaries.size() && summaries[s].id == n.track_id) {
      result.similar.push_back({std::move(summaries[s]), n.score});
      ++s;
    }
  }
  return result;
}

}  // namespace scanhub::embed
