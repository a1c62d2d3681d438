#pragma once
// Movies table (schema migration 3): issue 4 "Movie libraries", seed 002 phase 2 step 4
// ("Create/update movie record"). Not thread-safe: one instance per connection (see
// store/store.hpp). Throws sqlite::Error on database failures.

#include "core/movie.hpp"
#include "core/time.hpp"
#include "lib/sqlite/statement.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace scanhub::store {

/// What an incremental rescan needs to know of a stored movie to decide "unchanged".
struct IndexedMovie {
  core::MovieId id = 0;
  std::string video_path;  ///< relative to the library root
  core::FileStamp stamp;   ///< of the main video
  std::optional<std::string> nfo_path;
  std::optional<std::int64_t> nfo_mtime_ns;
  std::optional<std::string> nfo_error;  ///< reported again for an unchanged directory
  bool has_streams = false;  ///< false when stored by a scan with skipFFprobe
  /// The movie's stored local assets as (source path, stamp), sorted by path: a directory
  /// whose assets were added, removed or rewritten is not unchanged.
  std::vector<std::pair<std::string, core::FileStamp>> assets;
};

/// directory (relative to the library root) -> stored movie.
using MovieIndex = std::unordered_map<std::string, IndexedMovie>;

class MovieStore {
 public:
  explicit MovieStore(sqlite::Database& db) : db_(db) {}

  /// Every movie of `library` keyed by directory: one query, for a rescan's start.
  MovieIndex load_index(core::LibraryId library);
  /// The stored movie of one directory (what a single directory-scan job looks up).
  std::optional<IndexedMovie> find_indexed(core::LibraryId library, const std::string& directory);

  /// Inserts `movie` (its id is ignored); returns the new id. Throws sqlite::Error with
  /// SQLITE_CONSTRAINT_UNIQUE when the library already has a movie in that directory.
  core::MovieId insert(const core::Movie& movie, core::TimePoint now);
  /// Replaces every stored field of movie `movie.id` (created_at stays). With `keep_streams`
  /// the stored stream details stay as they are (a scan with skipFFprobe of a movie whose video
  /// did not change). False if there is no such movie.
  bool update(const core::Movie& movie, core::TimePoint now, bool keep_streams = false);
  /// Deletes the movie and (by trigger) its item_assets rows. False if none.
  bool remove(core::MovieId id);

  std::optional<core::Movie> get(core::MovieId id);
  /// Movies of `library` ordered by directory (byte order).
  std::vector<core::Movie> list(core::LibraryId library);
  std::int64_t count(core::LibraryId library);

 private:
  sqlite::Database& db_;
  std::optional<sqlite::Statement> insert_;
  std::optional<sqlite::Statement> update_;
};

}  // namespace scanhub::store
