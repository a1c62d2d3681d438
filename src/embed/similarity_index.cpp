#include "embed/similarity_index.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

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
    : dimension_(matrix.dimension), ids_(std::move(matrix.track_ids)), values_(std::move(matrix.values)) {
  row_of_.reserve(ids_.size());
  for (std::size_t i = 0; i < ids_.size(); ++i) row_of_.emplace(ids_[i], i);
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
  std::vector<float> scores(rows);
  const float* row = values_.data();
  for (std::size_t i = 0; i < rows; ++i, row += dimension_) {
    scores[i] = dot_product(query.data(), row, dimension_);
  }
  std::vector<std::uint32_t> order;
  order.reserve(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    if (!exclude || ids_[i] != *exclude) order.push_back(static_cast<std::uint32_t>(i));
  }
  const std::size_t count = std::min(limit, order.size());
  // Rows are in track id order, so comparing row numbers breaks ties by track id.
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count), order.end(),
                    [&](std::uint32_t x, std::uint32_t y) {
                      return scores[x] > scores[y] || (scores[x] == scores[y] && x < y);
                    });
  std::vector<Neighbor> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back({ids_[order[i]], scores[order[i]]});
  return out;
}

}  // namespace scanhub::embed
