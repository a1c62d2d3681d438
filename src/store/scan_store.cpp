#include "store/scan_store.hpp"

namespace scanhub::store {

namespace {

constexpr const char* kColumns =
    "id, trigger, status, directories_total, directories_queued, directories_scanned, "
    "tracks_found, tracks_new, tracks_updated, tracks_removed, movies_found, movies_new, "
    "movies_updated, assets_queued, assets_cached, enrichment_queued, enrichment_completed, "
    "errors_count, last_error, failure, current_operation, options, started_at, "
    "discovery_completed_at, scanning_completed_at, caching_completed_at, completed_at, "
    "assets_failed, enrichment_skipped, enrichment_failed, symlinks_skipped ";

const std::string kSelect = std::string("SELECT ") + kColumns + "FROM scans ";

std::optional<core::TimePoint> optional_time(const sqlite::Statement& s, int column) {
  if (s.is_null(column)) return std::nullopt;
  return core::parse_iso8601(s.column_text(column));
}

core::ScanSnapshot read_scan(const sqlite::Statement& s) {
  core::ScanSnapshot scan;
  scan.id = s.column_int64(0);
  scan.trigger = core::parse_scan_trigger(s.column_text(1)).value_or(core::ScanTrigger::manual);
  scan.status = core::parse_scan_status(s.column_text(2)).value_or(core::ScanStatus::failed);
  auto& c = scan.counters;
  std::int64_t* fields[] = {&c.directories_total, &c.directories_queued, &c.directories_scanned,
                            &c.tracks_found,      &c.tracks_new,         &c.tracks_updated,
                            &c.tracks_removed,    &c.movies_found,       &c.movies_new,
                            &c.movies_updated,    &c.assets_queued,      &c.assets_cached,
                            &c.enrichment_queued, &c.enrichment_completed, &c.errors_count};
  int column = 3;
  for (std::int64_t* field : fields) *field = s.column_int64(column++);
  scan.last_error = s.column_optional_string(18);
  scan.failure = s.column_optional_string(19);
  scan.current_operation = s.column_string(20);
  try {
    scan.options = core::ScanOptions::from_json(s.column_text(21));
  } catch (const std::invalid_argument&) {
    // Written by us, so only a hand-edited row gets here; defaults are the safe reading.
  }
  scan.times.started_at = optional_time(s, 22).value_or(core::TimePoint{});
  scan.times.discovery_completed_at = optional_time(s, 23);
  scan.times.scanning_completed_at = optional_time(s, 24);
  scan.times.caching_completed_at = optional_time(s, 25);
  scan.times.completed_at = optional_time(s, 26);
  c.assets_failed = s.column_int64(27);
  c.enrichment_skipped = s.column_int64(28);
  c.enrichment_failed = s.column_int64(29);
  c.symlinks_skipped = s.column_int64(30);
  return scan;
}

void bind_optional_time(sqlite::Statement& s, int index, const std::optional<core::TimePoint>& t) {
  if (t) {
    s.bind(index, core::format_iso8601(*t));
  } else {
    s.bind_null(index);
  }
}

}  // namespace

core::ScanId ScanStore::create(const core::ScanSnapshot& scan) {
  sqlite::Statement insert(db_,
                           "INSERT INTO scans (library_id, trigger, status, options, started_at, "
                           "current_operation) VALUES (?, ?, ?, ?, ?, ?)");
  if (scan.libraries.size() == 1) {
    insert.bind(1, scan.libraries.front().id);
  } else {
    insert.bind_null(1);
  }
  insert.bind(2, core::to_string(scan.trigger)).bind(3, core::to_string(scan.status));
  insert.bind(4, scan.options.to_json()).bind(5, core::format_iso8601(scan.times.started_at));
  insert.bind(6, scan.current_operation);
  insert.run();
  const core::ScanId id = db_.last_insert_rowid();
  sqlite::Statement link(db_, "INSERT INTO scan_libraries (scan_id, library_id) VALUES (?, ?)");
  for (const auto& library : scan.libraries) {
    sqlite::Statement::Scope scope(link);
    link.bind(1, id).bind(2, library.id);
    while (link.step()) {
    }
  }
  return id;
}

std::vector<core::ScanLibrary> ScanStore::libraries_of(core::ScanId id) {
  if (!libraries_of_) {
    libraries_of_.emplace(db_,
                          "SELECT l.id, l.path FROM scan_libraries sl JOIN libraries l "
                          "ON l.id = sl.library_id WHERE sl.scan_id = ? ORDER BY l.id");
  }
  auto& s = *libraries_of_;
  sqlite::Statement::Scope scope(s);
  s.bind(1, id);
  std::vector<core::ScanLibrary> libraries;
  while (s.step()) libraries.push_back({s.column_int64(0), s.column_string(1)});
  return libraries;
}

std::optional<core::ScanSnapshot> ScanStore::get(core::ScanId id) {
  // Prepared once per connection: every job's commit reads its scan back (the phase machine).
  if (!get_) get_.emplace(db_, std::string(kSelect) + "WHERE id = ?");
  core::ScanSnapshot scan;
  {
    auto& s = *get_;
    sqlite::Statement::Scope scope(s);
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    scan = read_scan(s);
  }
  scan.libraries = libraries_of(id);
  return scan;
}

std::vector<core::ScanSnapshot> ScanStore::list(int limit, bool active_only) {
  std::string sql = kSelect;
  if (active_only) sql += "WHERE status NOT IN ('completed', 'failed', 'cancelled') ";
  sql += "ORDER BY id DESC LIMIT ?";
  sqlite::Statement s(db_, sql);
  s.bind(1, limit);
  std::vector<core::ScanSnapshot> scans;
  while (s.step()) scans.push_back(read_scan(s));
  for (auto& scan : scans) scan.libraries = libraries_of(scan.id);
  return scans;
}

std::optional<core::ScanSnapshot> ScanStore::add_counters(core::ScanId id, const core::ScanCounters& d,
                             const std::string& current_operation,
                             const std::optional<std::string>& last_error) {
  if (!add_counters_) {
    add_counters_.emplace(
        db_,
        "UPDATE scans SET directories_total = directories_total + ?, "
        "directories_queued = directories_queued + ?, "
        "directories_scanned = directories_scanned + ?, tracks_found = tracks_found + ?, "
        "tracks_new = tracks_new + ?, tracks_updated = tracks_updated + ?, "
        "tracks_removed = tracks_removed + ?, movies_found = movies_found + ?, "
        "movies_new = movies_new + ?, movies_updated = movies_updated + ?, "
        "assets_queued = assets_queued + ?, assets_cached = assets_cached + ?, "
        "enrichment_queued = enrichment_queued + ?, "
        "enrichment_completed = enrichment_completed + ?, errors_count = errors_count + ?, "
        "assets_failed = assets_failed + ?, enrichment_skipped = enrichment_skipped + ?, "
        "enrichment_failed = enrichment_failed + ?, symlinks_skipped = symlinks_skipped + ?, "
        "current_operation = ?, last_error = COALESCE(?, last_error) WHERE id = ?");
  }
  auto& s = *add_counters_;
  sqlite::Statement::Scope scope(s);
  const std::int64_t values[] = {d.directories_total,  d.directories_queued,  d.directories_scanned,
                                 d.tracks_found,       d.tracks_new,          d.tracks_updated,
                                 d.tracks_removed,     d.movies_found,        d.movies_new,
                                 d.movies_updated,     d.assets_queued,       d.assets_cached,
                                 d.enrichment_queued,  d.enrichment_completed, d.errors_count,
                                 d.assets_failed,      d.enrichment_skipped,  d.enrichment_failed,
                                 d.symlinks_skipped};
  int index = 1;
  for (std::int64_t value : values) s.bind(index++, value);
  s.bind(index, current_operation);
  s.bind(index + 1, last_error);
  s.bind(index + 2, id);
  std::optional<core::ScanSnapshot> scan;
  while (s.step()) scan = read_scan(s);
  return scan;
}

void ScanStore::save_status(const core::ScanSnapshot& scan) {
  sqlite::Statement s(db_,
                      "UPDATE scans SET status = ?, failure = ?, discovery_completed_at = ?, "
                      "scanning_completed_at = ?, caching_completed_at = ?, completed_at = ?, "
                      "current_operation = ? WHERE id = ?");
  s.bind(1, core::to_string(scan.status)).bind(2, scan.failure);
  bind_optional_time(s, 3, scan.times.discovery_completed_at);
  bind_optional_time(s, 4, scan.times.scanning_completed_at);
  bind_optional_time(s, 5, scan.times.caching_completed_at);
  bind_optional_time(s, 6, scan.times.completed_at);
  s.bind(7, scan.current_operation).bind(8, scan.id);
  s.run();
}

std::vector<core::ScanId> ScanStore::fail_interrupted(const std::string& reason,
                                                      core::TimePoint now) {
  std::vector<core::ScanId> ids;
  {
    sqlite::Statement s(db_,
                        "SELECT id FROM scans WHERE status NOT IN "
                        "('completed', 'failed', 'cancelled')");
    while (s.step()) ids.push_back(s.column_int64(0));
  }
  sqlite::Statement update(db_,
                           "UPDATE scans SET status = 'failed', failure = ?, completed_at = ? "
                           "WHERE id = ?");
  for (core::ScanId id : ids) {
    sqlite::Statement::Scope scope(update);
    update.bind(1, reason).bind(2, core::format_iso8601(now)).bind(3, id);
    while (update.step()) {
    }
  }
  return ids;
}

void ScanStore::add_error(core::ScanId id, const ScanError& error, core::TimePoint now) {
  if (!add_error_) {
    add_error_.emplace(
        db_, "INSERT INTO scan_errors (scan_id, path, reason, created_at) VALUES (?, ?, ?, ?)");
  }
  sqlite::Statement::Scope scope(*add_error_);
  add_error_->bind(1, id).bind(2, error.path).bind(3, error.reason).bind(4, core::format_iso8601(now));
  while (add_error_->step()) {
  }
}

std::vector<ScanError> ScanStore::errors(core::ScanId id, int limit, int offset) {
  sqlite::Statement s(db_,
                      "SELECT path, reason FROM scan_errors WHERE scan_id = ? ORDER BY id "
                      "LIMIT ? OFFSET ?");
  s.bind(1, id).bind(2, limit).bind(3, offset);
  std::vector<ScanError> errors;
  while (s.step()) errors.push_back({s.column_string(0), s.column_string(1)});
  return errors;
}

}  // namespace scanhub::store
