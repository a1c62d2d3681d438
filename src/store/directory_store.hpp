#pragma once
// Directory fingerprints: per library directory, the fingerprint (scan/directory_fingerprint.hpp)
// its last complete directory-scan saw. A rescan's discovery compares them to skip unchanged
// directories without a job (issue 4's no-change rescan). Not thread-safe: one instance per
// connection (see store/store.hpp).

#include "core/ids.hpp"
#include "core/time.hpp"
#include "lib/sqlite/statement.hpp"

#include <optional>
#include <string>
#include <unordered_map>

namespace scanhub::store {

/// Directory path (relative to its library, '/'-separated; "" = the root) -> fingerprint.
using FingerprintIndex = std::unordered_map<std::string, std::string>;

class DirectoryStore {
 public:
  explicit DirectoryStore(sqlite::Database& db) : db_(db) {}

  /// The fingerprints stored for `library`, except those of directories with album art not
  /// cached yet (so that their art is queued again): one query, for discovery.
  FingerprintIndex load_fingerprints(core::LibraryId library);
  /// Records that `directory` of `library` was scanned completely as `fingerprint` describes.
  void put_fingerprint(core::LibraryId library, const std::string& directory,
                       const std::string& fingerprint, core::TimePoint now);
  /// Forgets `directory`'s fingerprint: its next scan is a full directory-scan.
  void forget(core::LibraryId library, const std::string& directory);

 private:
  sqlite::Database& db_;
  std::optional<sqlite::Statement> put_;
  std::optional<sqlite::Statement> forget_;
};

}  // namespace scanhub::store
