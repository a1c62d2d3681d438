#pragma once
// Similar-track search over one model's stored vectors (issue 5 item 3), shared by
// `GET /api/tracks/{id}/similar` and `scanhub similar`. Keeps a SimilarityIndex of every vector
// of the model in memory and brings it up to date when the stored vectors changed (a count and
// max-rowid query per search: the enricher may be writing vectors while clients search): added
// or replaced vectors are read alone and applied to a copy of the index; a removal reloads all.
//
// Thread-safety: find() may be called from any number of threads; they share one index (a
// reload is made by one of them while the others keep using the old one).

#include "embed/similarity_index.hpp"
#include "store/store.hpp"

#include <cstddef>
#include <expected>
#include <memory>
#include <mutex>
#include <string>

namespace scanhub::embed {

struct SimilarTrack {
  store::TrackSummary track;
  float score = 0;  ///< cosine similarity in [-1, 1]
};

struct SimilarTracksResult {
  core::TrackId track_id = 0;
  std::string model;
  std::vector<SimilarTrack> similar;  ///< best first, the track itself left out
};

class SimilarTracks {
 public:
  /// Searches the vectors of `model` at `version` in `store` (which must outlive this).
  SimilarTracks(store::Store& store, std::string model, int version);

  /// The `limit` tracks nearest to `track`. The error, for a 404: "no track 7" or "track 7 has
  /// no mel-statistics embedding yet". Throws sqlite::Error.
  std::expected<SimilarTracksResult, std::string> find(core::TrackId track, std::size_t limit);

  const std::string& model() const noexcept { return model_; }
  int version() const noexcept { return version_; }

  /// The index as of the last find() (nullptr before the first); for tests and the benchmark.
  std::shared_ptr<const SimilarityIndex> index() const;

 private:
  std::shared_ptr<const SimilarityIndex> current_index();

  store::Store& store_;
  std::string model_;
  int version_;
  mutable std::mutex mutex_;  // guards index_ and loaded_version_
  std::mutex reload_mutex_;   // one reload at a time
  std::shared_ptr<const SimilarityIndex> index_;
  store::EmbeddingsVersion loaded_version_{-1, -1};
};

}  // namespace scanhub::embed
