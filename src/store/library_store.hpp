#pragma once
// Libraries table. Not thread-safe: one instance per connection (see store/store.hpp).

#include "core/library.hpp"
#include "lib/sqlite/statement.hpp"

#include <optional>
#include <vector>

namespace scanhub::store {

class LibraryStore {
 public:
  explicit LibraryStore(sqlite::Database& db) : db_(db) {}

  /// Inserts a library; `library.path` must be absolute and normalized. Returns it with its id.
  /// Throws sqlite::Error (SQLITE_CONSTRAINT_UNIQUE when the path is already a library).
  core::Library add(core::Library library);
  std::optional<core::Library> get(core::LibraryId id);
  std::optional<core::Library> find_by_path(const std::string& path);
  std::vector<core::Library> list();
  /// Deletes the library with its tracks and scans. False when there was none.
  bool remove(core::LibraryId id);
  void set_last_scan(core::LibraryId id, core::TimePoint time);
  /// The id of the newest scan that covered library `id` (scan_libraries), or nullopt.
  std::optional<core::ScanId> last_scan_id(core::LibraryId id);

 private:
  sqlite::Database& db_;
};

}  // namespace scanhub::store
