#include "store/library_store.hpp"

namespace scanhub::store {

namespace {
constexpr const char* kColumns = "id, path, name, type, created_at, last_scan_at, follow_symlinks";

core::Library read_library(const sqlite::Statement& s) {
  core::Library library;
  library.id = s.column_int64(0);
  library.path = s.column_string(1);
  library.name = s.column_string(2);
  library.type = core::parse_library_type(s.column_text(3)).value_or(core::LibraryType::music);
  library.created_at = core::parse_iso8601(s.column_text(4)).value_or(core::TimePoint{});
  if (!s.is_null(5)) library.last_scan_at = core::parse_iso8601(s.column_text(5));
  library.follow_symlinks = s.column_int64(6) != 0;
  return library;
}
}  // namespace

core::Library LibraryStore::add(core::Library library) {
  sqlite::Statement s(db_,
                      "INSERT INTO libraries (path, name, type, created_at, follow_symlinks) "
                      "VALUES (?, ?, ?, ?, ?)");
  s.bind(1, library.path).bind(2, library.name).bind(3, core::to_string(library.type));
  s.bind(4, core::format_iso8601(library.created_at));
  s.bind(5, static_cast<std::int64_t>(library.follow_symlinks ? 1 : 0));
  s.run();
  library.id = db_.last_insert_rowid();
  return library;
}

std::optional<core::Library> LibraryStore::get(core::LibraryId id) {
  sqlite::Statement s(db_, std::string("SELECT ") + kColumns + " FROM libraries WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_library(s);
}

std::optional<core::Library> LibraryStore::find_by_path(const std::string& path) {
  sqlite::Statement s(db_, std::string("SELECT ") + kColumns + " FROM libraries WHERE path = ?");
  s.bind(1, path);
  if (!s.step()) return std::nullopt;
  return read_library(s);
}

std::vector<core::Library> LibraryStore::list() {
  sqlite::Statement s(db_, std::string("SELECT ") + kColumns + " FROM libraries ORDER BY id");
  std::vector<core::Library> libraries;
  while (s.step()) libraries.push_back(read_library(s));
  return libraries;
}

bool LibraryStore::remove(core::LibraryId id) {
  sqlite::Statement s(db_, "DELETE FROM libraries WHERE id = ?");
  s.bind(1, id);
  s.run();
  return db_.changes() > 0;
}

void LibraryStore::set_last_scan(core::LibraryId id, core::TimePoint time) {
  sqlite::Statement s(db_, "UPDATE libraries SET last_scan_at = ? WHERE id = ?");
  s.bind(1, core::format_iso8601(time)).bind(2, id);
  s.run();
}

std::optional<core::ScanId> LibraryStore::last_scan_id(core::LibraryId id) {
  sqlite::Statement s(db_, "SELECT MAX(scan_id) FROM scan_libraries WHERE library_id = ?");
  s.bind(1, id);
  if (!s.step() || s.is_null(0)) return std::nullopt;
  return s.column_int64(0);
}

}  // namespace scanhub::store
