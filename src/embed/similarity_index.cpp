#include "embed/similarity_index.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace scanhub::embed {

namespace {

// GCC's vector extension: four floats as one value, one SSE register on x86-64 (NEON on
// arm64). The loop below needs no -ffast-math to be vectorized: its partial sums are
// independent by construction.
typedef float Float4 __attribute__((vector_size(16)));

Float4 load4(const float* p) noexcept {
  Float4 v;
  std::memcpy(&v, p, sizeof(v));  // unaligned load
  return v;
}

}  // namespace

float dot_product(const float* a, const float* b, std::size_t n) noexcept {
  Float4 sum0{}, sum1{}, sum2{}, sum3{};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    sum0 += load4(a + i) * load4(b + i);
    sum1 += load4(a + i + 4) * load4(b + i + 4);
    sum2 += load4(a + i + 8) * load4(b + i + 8);
    sum3 += load4(a + i + 12) * load4(b + i + 12);
  }
  for (; i + 4 <= n; i += 4) sum0 += load4(a + i) * load4(b + i);
  const Float4 sum = (sum0 + sum1) + (sum2 + sum3);
  float total = (sum[0] + sum[2]) + (sum[1] + sum[3]);
  for (; i < n; ++i) total += a[i] * b[i];
  return total;
}

SimilarityIndex::SimilarityIndex(store::EmbeddingMatrix matrix)
    : dimension_(matrix.dimension),
      ids_(std::move(matrix.track_ids)),
      values_(std::move(matrix.values)) {
  row_of_.reserve(ids_.size());
  for (std::size_t i = 0; i < ids_.size(); ++i) row_of_.emplace(ids_[i], i);
}

SimilarityIndex SimilarityIndex::with_changes(const store::EmbeddingMatrix& changes) const {
  SimilarityIndex copy(*this);
  if (copy.dimension_ == 0) copy.dimension_ = changes.dimension;
  if (changes.dimension != copy.dimension_) return copy;
  for (std::size_t i = 0; i < changes.track_ids.size(); ++i) {
    const float* row = changes.values.data() + i * changes.dimension;
    const auto [it, added] = copy.row_of_.emplace(changes.track_ids[i], copy.ids_.size());
    if (added) {
      copy.ids_.push_back(changes.track_ids[i]);
      copy.values_.insert(copy.values_.end(), row, row + copy.dimension_);
    } else {
      std::copy(row, row + copy.dimension_,
                copy.values_.begin() + static_cast<std::ptrdiff_t>(it->second * copy.dimension_));
    }
  }
  return copy;
}

std::optional<std::span<const float>> SimilarityIndex::vector_of(core::TrackId track) const {
  const auto it = row_of_.find(track);
  if (it == row_of_.end()) return std::nullopt;
  return std::span<const float>(values_.data() + it->second * dimension_, dimension_);
}

std::vector<Neighbor> SimilarityIndex::nearest(std::span<const float> query, std::size_t limit,
                                               std::optional<core::TrackId> exclude) const {
  if (query.size() != dimension_ || dimension_ == 0 || limit == 0 || ids_.empty()) return {};
  const std::size_t rows = ids_.size();
  // The best `limit` rows so far in a heap whose top is the worst of them, so most rows cost
  // one dot product and one comparison. Rows are in track id order, so comparing row numbers
  // breaks ties by track id.
  struct Candidate {
    float score;
    std::uint32_t row;
  };
  const auto better = [](const Candidate& x, const Candidate& y) {
    return x.score > y.score || (x.score == y.score && x.row < y.row);
  };
  std::vector<Candidate> best;
  best.reserve(std::min(limit, rows) + 1);
  const float* row = values_.data();
  for (std::size_t i = 0; i < rows; ++i, row += dimension_) {
    const Candidate candidate{dot_product(query.data(), row, dimension_),
                              static_cast<std::uint32_t>(i)};
    if (best.size() == limit && !better(candidate, best.front())) continue;
    if (exclude && ids_[i] == *exclude) continue;
    best.push_back(candidate);
    std::push_heap(best.begin(), best.end(), better);
    if (best.size() > limit) {
      std::pop_heap(best.begin(), best.end(), better);
      best.pop_back();
    }
  }
  std::sort_heap(best.begin(), best.end(), better);
  std::vector<Neighbor> out;
  out.reserve(best.size());
  for (const Candidate& c : best) out.push_back({ids_[c.row], c.score});
  return out;
}

}  // namespace scanhub::embed
