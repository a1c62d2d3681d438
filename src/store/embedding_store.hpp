#pragma once
// Track embeddings (issue 5 item 3; migration 5, table track_embeddings): one vector per track
// and model, float32 in host byte order (little-endian on every platform we build for) in a
// BLOB of 4 x dimension bytes, with the model's version and dimension; removed with its track
// (ON DELETE CASCADE). Not thread-safe: one instance per connection (see store/store.hpp).

#include "core/ids.hpp"
#include "core/time.hpp"
#include "lib/sqlite/statement.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::store {

/// Every stored vector of one model and version, contiguous: row i (track_ids[i]) is
/// values[i * dimension, (i + 1) * dimension). Rows are in track id order.
struct EmbeddingMatrix {
  std::size_t dimension = 0;
  std::vector<core::TrackId> track_ids;
  std::vector<float> values;
  /// Rows left out because their dimension differs from the first row's (a model that changed
  /// its output without a new version).
  std::size_t skipped_rows = 0;
};

/// A track that needs an embedding: no vector of the model and version, or one older than the
/// track's last update (the file changed since).
struct TrackToEmbed {
  core::TrackId id = 0;
  std::string path;              ///< absolute: the library's path, '/', the track's path
  std::int64_t duration_ms = 0;  ///< as the tag reader found it
};

/// What similar-track results show of a track.
struct TrackSummary {
  core::TrackId id = 0;
  std::string path;  ///< absolute
  std::optional<std::string> title;
  std::optional<std::string> artist;
};

/// Changes whenever a vector of the model and version is added, replaced or removed (row count
/// and the largest rowid; a replaced row gets a new rowid): what a cached similarity index
/// compares to know it is stale.
struct EmbeddingsVersion {
  std::int64_t rows = 0;
  std::int64_t max_rowid = 0;
  bool operator==(const EmbeddingsVersion&) const = default;
};

class EmbeddingStore {
 public:
  explicit EmbeddingStore(sqlite::Database& db) : db_(db) {}

  /// Stores (or replaces) the vector of `track` for `model`. Returns false, storing nothing,
  /// when the track is gone (removed by a rescan while its vector was computed). Throws
  /// sqlite::Error, or std::invalid_argument for an empty vector.
  bool put(core::TrackId track, std::string_view model, int version, std::span<const float> vector,
           core::TimePoint now);
  /// True when `track` has a vector of `model` at `version`.
  bool has(core::TrackId track, std::string_view model, int version);
  /// The vector of `track` for `model` (any version), or nullopt.
  std::optional<std::vector<float>> get(core::TrackId track, std::string_view model);
  /// Every vector of `model` at `version` (one query).
  EmbeddingMatrix load_all(std::string_view model, int version);
  /// The vectors of `model` at `version` stored or replaced after rowid `after` (what changed
  /// since an EmbeddingsVersion's max_rowid), in rowid order.
  EmbeddingMatrix load_since(std::string_view model, int version, std::int64_t after);
  EmbeddingsVersion version_of(std::string_view model, int version);
  /// Tracks of `library` needing a vector of `model` at `version`, in id order (one query; the
  /// enricher's pending_items).
  std::vector<TrackToEmbed> tracks_needing(core::LibraryId library, std::string_view model,
                                           int version);

  /// Path, title and artist of each of `tracks` that exists, in the order asked.
  std::vector<TrackSummary> summaries(std::span<const core::TrackId> tracks);
  /// The track whose file is `absolute_path` (library path + '/' + track path), or nullopt.
  std::optional<core::TrackId> find_track(std::string_view absolute_path);

 private:
  sqlite::Database& db_;
  std::optional<sqlite::Statement> put_;
};

}  // namespace scanhub::store
