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
  const auto stored =
      store_.read([&](store::Connection& c) { return c.embeddings.version_of(model_, version_); });
  std::shared_ptr<const SimilarityIndex> old;
  store::EmbeddingsVersion old_version;
  {
    std::lock_guard lock(mutex_);
    if (index_ && loaded_version_ == stored) return index_;
  }
  std::lock_guard reload(reload_mutex_);
  {
    std::lock_guard lock(mutex_);  // another thread may have reloaded meanwhile
    if (index_ && loaded_version_ == stored) return index_;
    old = index_;
    old_version = loaded_version_;
  }
  // Version and rows read in one read transaction, so they agree.
  std::shared_ptr<const SimilarityIndex> index;
  store::EmbeddingsVersion version;
  if (old && stored.max_rowid > old_version.max_rowid && stored.rows >= old_version.rows) {
    // Vectors were added or replaced (the enricher at work): apply only those, unless rows
    // were removed too (the row count then disagrees), which needs the full load.
    auto [v, changes] = store_.read([&](store::Connection& c) {
      sqlite::Transaction snapshot(c.db, sqlite::Transaction::Mode::deferred);
      auto current = c.embeddings.version_of(model_, version_);
      auto rows = c.embeddings.load_since(model_, version_, old_version.max_rowid);
      snapshot.commit();
      return std::pair(current, std::move(rows));
    });
    auto updated = std::make_shared<const SimilarityIndex>(old->with_changes(changes));
    if (static_cast<std::int64_t>(updated->size()) == v.rows) {
      index = std::move(updated);
      version = v;
    }
  }
  if (!index) {
    auto [v, matrix] = store_.read([&](store::Connection& c) {
      sqlite::Transaction snapshot(c.db, sqlite::Transaction::Mode::deferred);
      auto current = c.embeddings.version_of(model_, version_);
      auto rows = c.embeddings.load_all(model_, version_);
      snapshot.commit();
      return std::pair(current, std::move(rows));
    });
    index = std::make_shared<const SimilarityIndex>(std::move(matrix));
    version = v;
  }
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
