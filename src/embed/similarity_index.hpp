#pragma once
// Exact nearest-neighbour search by cosine similarity over every stored vector of one model
// (issue 5 item 3: "fast on 100,000 tracks; contiguous vectors in memory, SIMD-friendly loop;
// no index needed at that size"). Vectors are unit length (the embedding models normalize them),
// so cosine similarity is the dot product. 100,000 x 256 floats is 100 MB of memory and one
// pass over it per query (bench/embed measures it).
//
// Immutable after construction: any number of threads may query one index at once.

#include "core/ids.hpp"
#include "store/embedding_store.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

namespace scanhub::embed {

struct Neighbor {
  core::TrackId track_id = 0;
  float score = 0;  ///< cosine similarity in [-1, 1]; 1 is the same direction
};

class SimilarityIndex {
 public:
  SimilarityIndex() = default;
  /// Takes the rows of `matrix` (one vector per track, row-major, float32).
  explicit SimilarityIndex(store::EmbeddingMatrix matrix);

  /// A copy with `changes` applied: a track already in the index gets its new vector, a new
  /// track is appended (so ties among appended rows go by the order they were stored). Rows of
  /// another dimension are left out.
  SimilarityIndex with_changes(const store::EmbeddingMatrix& changes) const;

  std::size_t size() const noexcept { return ids_.size(); }
  std::size_t dimension() const noexcept { return dimension_; }

  /// The stored vector of `track`, or nullopt when the index has none.
  std::optional<std::span<const float>> vector_of(core::TrackId track) const;

  /// The `limit` tracks most similar to `query` (dimension() floats), best first, leaving out
  /// `exclude` (the query's own track). Ties keep the earlier row first (the lower track id,
  /// for rows in load_all's order). Returns nothing for
  /// a query of another dimension.
  std::vector<Neighbor> nearest(std::span<const float> query, std::size_t limit,
                                std::optional<core::TrackId> exclude = std::nullopt) const;

 private:
  std::size_t dimension_ = 0;
  std::vector<core::TrackId> ids_;
  std::vector<float> values_;  ///< row i: values_[i * dimension_, (i + 1) * dimension_)
  std::unordered_map<core::TrackId, std::size_t> row_of_;
};

/// The dot product of `a` and `b` (n floats each), written so g++ -O2 vectorizes it: sixteen
/// independent partial sums in four SSE registers (the order of additions differs from a plain loop
/// by rounding).
float dot_product(const float* a, const float* b, std::size_t n) noexcept;

}  // namespace scanhub::embed
