#include "store/directory_store.hpp"

namespace scanhub::store {

FingerprintIndex DirectoryStore::load_fingerprints(core::LibraryId library) {
  // Not a directory whose album art is not cached yet (its cache-asset failed for good, or the
  // scan that found it did not cache): its next directory-scan queues the art again.
  sqlite::Statement s(db_,
                      "SELECT f.path, f.fingerprint FROM directory_fingerprints f WHERE f.library_id = ?1 "
                      "AND NOT EXISTS (SELECT 1 FROM albums a JOIN item_assets i ON i.owner_kind = 'album' "
                      "AND i.owner_id = a.id WHERE a.library_id = f.library_id AND a.directory = f.path "
                      "AND i.sha256 IS NULL)");
  s.bind(1, library);
  FingerprintIndex index;
  while (s.step()) index.emplace(s.column_string(0), s.column_string(1));
  return index;
}

void DirectoryStore::put_fingerprint(core::LibraryId library, const std::string& directory,
                                     const std::string& fingerprint, core::TimePoint now) {
  if (!put_) {
    put_.emplace(db_, "INSERT INTO directory_fingerprints (library_id, path, fingerprint, scanned_at) "
                      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (library_id, path) DO UPDATE SET "
                      "fingerprint = excluded.fingerprint, scanned_at = excluded.scanned_at");
  }
  sqlite::Statement::Scope scope(*put_);
  put_->bind(1, library).bind(2, directory).bind(3, fingerprint).bind(4, core::format_iso8601(now));
  while (put_->step()) {
  }
}

void DirectoryStore::forget(core::LibraryId library, const std::string& directory) {
  if (!forget_) forget_.emplace(db_, "DELETE FROM directory_fingerprints WHERE library_id = ? AND path = ?");
  sqlite::Statement::Scope scope(*forget_);
  forget_->bind(1, library).bind(2, directory);
  while (forget_->step()) {
  }
}

}  // namespace scanhub::store
