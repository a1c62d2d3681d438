#pragma once
// Tracks table. Not thread-safe: one instance per connection (see store/store.hpp).
// Statements used in the scan's hot path are prepared once per connection and reused.

#include "core/track.hpp"
#include "core/time.hpp"
#include "lib/sqlite/statement.hpp"

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace scanhub::store {

/// What an incremental rescan needs to know of a stored track.
struct IndexedTrack {
  core::TrackId id = 0;
  core::FileStamp stamp;
};

/// path (relative to the library) -> stored id and stamp.
using TrackIndex = std::unordered_map<std::string, IndexedTrack>;

class TrackStore {
 public:
  explicit TrackStore(sqlite::Database& db) : db_(db) {}

  /// Every track of `library` keyed by path: one query, for a rescan's start.
  TrackIndex load_index(core::LibraryId library);
  /// The tracks directly in `directory` ('/'-separated, relative to the library; "" = the
  /// root), not below it, keyed by path: what one directory-scan job compares against. One
  /// range query over the (library_id, path) index.
  TrackIndex load_directory_index(core::LibraryId library, const std::string& directory);
  /// Inserts a new track; returns its id. Throws sqlite::Error (unique (library, path)).
  core::TrackId insert(core::LibraryId library, const std::string& path,
                       const core::FileStamp& stamp, const core::TrackMetadata& metadata,
                       core::TimePoint now);
  /// Replaces the stamp and metadata of track `id`.
  void update(core::TrackId id, const core::FileStamp& stamp, const core::TrackMetadata& metadata,
              core::TimePoint now);
  void remove(core::TrackId id);

  std::vector<core::Track> list(core::LibraryId library);
  std::optional<core::Track> get(core::TrackId id);
  std::int64_t count(core::LibraryId library);

 private:
  sqlite::Database& db_;
  std::optional<sqlite::Statement> insert_;
  std::optional<sqlite::Statement> update_;
  std::optional<sqlite::Statement> remove_;
  std::optional<sqlite::Statement> directory_index_;
  std::optional<sqlite::Statement> root_index_;
};

}  // namespace scanhub::store
