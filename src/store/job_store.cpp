#include "store/job_store.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <tuple>

namespace scanhub::store {

namespace {

constexpr const char* kColumns =
    "id, type, payload, priority, status, attempts, max_attempts, parent_id, scan_id, run_after, "
    "lease_owner, lease_expires, created_at, started_at, finished_at, last_error, progress, created_by";

std::int64_t to_ms(core::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

core::TimePoint from_ms(std::int64_t ms) {
  return core::TimePoint(std::chrono::duration_cast<core::Clock::duration>(
      std::chrono::milliseconds(ms)));
}

std::optional<core::TimePoint> optional_time(const sqlite::Statement& s, int column) {
  if (s.is_null(column)) return std::nullopt;
  return core::parse_iso8601(s.column_text(column));
}

std::string progress_json(const core::JobProgress& p) {
  boost::json::object o;
  o["current"] = p.current;
  o["total"] = p.total;
  o["percentage"] = p.percentage;
  o["message"] = p.message;
  o["detail"] = p.detail;
  return boost::json::serialize(o);
}

std::optional<core::JobProgress> parse_progress(std::string_view text) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;  // only a hand-edited row gets here
  const auto& o = v.as_object();
  core::JobProgress p;
  if (const auto* x = o.if_contains("current"); x && x->is_int64()) p.current = x->as_int64();
  if (const auto* x = o.if_contains("total"); x && x->is_int64()) p.total = x->as_int64();
  if (const auto* x = o.if_contains("percentage"); x && x->is_number()) {
    p.percentage = x->to_number<double>();
  }
  if (const auto* x = o.if_contains("message"); x && x->is_string()) {
    p.message = std::string(x->as_string());
  }
  if (const auto* x = o.if_contains("detail"); x && x->is_string()) {
    p.detail = std::string(x->as_string());
  }
  return p;
}

core::Job read_job(const sqlite::Statement& s) {
  core::Job job;
  job.id = s.column_int64(0);
  job.type = s.column_string(1);
  job.payload = s.column_string(2);
  job.priority = s.column_int(3);
  job.status = core::parse_job_status(s.column_text(4)).value_or(core::JobStatus::failed);
  job.attempts = s.column_int(5);
  job.max_attempts = s.column_int(6);
  job.parent_id = s.column_optional_int64(7);
  job.scan_id = s.column_optional_int64(8);
  job.run_after = from_ms(s.column_int64(9));
  job.lease_owner = s.column_optional_string(10);
  if (auto ms = s.column_optional_int64(11)) job.lease_expires = from_ms(*ms);
  job.created_at = optional_time(s, 12).value_or(core::TimePoint{});
  job.started_at = optional_time(s, 13);
  job.finished_at = optional_time(s, 14);
  job.last_error = s.column_optional_string(15);
  if (!s.is_null(16)) job.progress = parse_progress(s.column_text(16));
  job.created_by = s.column_optional_string(17);
  return job;
}

std::vector<core::JobId> collect_ids(sqlite::Statement& s) {
  std::vector<core::JobId> ids;
  while (s.step()) ids.push_back(s.column_int64(0));
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

sqlite::Statement& SqliteJobStore::cached(std::optional<sqlite::Statement>& slot,
                                          const char* sql) {
  if (!slot) slot.emplace(db_, sql);
  return *slot;
}

std::vector<core::JobId> SqliteJobStore::enqueue(std::span<const core::NewJob> jobs,
                                                 core::TimePoint now, int default_max_attempts) {
  auto& insert = cached(insert_,
                        "INSERT INTO jobs (type, payload, priority, max_attempts, parent_id, "
                        "scan_id, run_after, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const std::string created = core::format_iso8601(now);
  std::vector<core::JobId> ids;
  ids.reserve(jobs.size());
  for (const auto& job : jobs) {
    sqlite::Statement::Scope scope(insert);
    insert.bind(1, job.type).bind(2, job.payload).bind(3, job.priority);
    insert.bind(4, std::max(1, job.max_attempts > 0 ? job.max_attempts : default_max_attempts));
    insert.bind(5, job.parent_id).bind(6, job.scan_id);
    insert.bind(7, to_ms(job.run_after.value_or(now))).bind(8, created).bind(9, job.created_by);
    insert.step();
    ids.push_back(db_.last_insert_rowid());
  }
  return ids;
}

std::vector<core::Job> SqliteJobStore::claim(const ClaimRequest& request, core::TimePoint now) {
  if (request.limit <= 0) return {};
  const std::int64_t expires = to_ms(now + request.lease);
  const std::string started = core::format_iso8601(now);
  if (request.slots.size() == 1) {
    // One type (the common case): pick and take in one statement.
    const auto& slot = request.slots.front();
    auto& take = cached(claim_one_type_,
                        "UPDATE jobs SET status = 'processing', attempts = attempts + 1, "
                        "lease_owner = ?1, lease_expires = ?2, started_at = ?3 WHERE id IN "
                        "(SELECT id FROM jobs WHERE status = 'pending' AND type = ?4 AND "
                        "run_after <= ?5 ORDER BY priority, id LIMIT ?6) RETURNING id, type, "
                        "payload, priority, status, attempts, max_attempts, parent_id, scan_id, "
                        "run_after, lease_owner, lease_expires, created_at, started_at, "
                        "finished_at, last_error, progress");
    sqlite::Statement::Scope scope(take);
    take.bind(1, request.owner).bind(2, expires).bind(3, started).bind(4, slot.type);
    take.bind(5, to_ms(now)).bind(6, std::min(slot.limit, request.limit));
    std::vector<core::Job> claimed;
    while (take.step()) claimed.push_back(read_job(take));
    std::sort(claimed.begin(), claimed.end(), [](const core::Job& a, const core::Job& b) {
      return std::tie(a.priority, a.id) < std::tie(b.priority, b.id);
    });
    return claimed;
  }
  auto& select = cached(claim_select_,
                        "SELECT id, priority FROM jobs WHERE status = 'pending' AND type = ? "
                        "AND run_after <= ? ORDER BY priority, id LIMIT ?");
  const std::int64_t now_ms = to_ms(now);
  // Best per type (each bounded by its slot), then the best of those overall: priorities hold
  // across types while every type keeps its own concurrency limit.
  std::vector<std::tuple<int, core::JobId>> candidates;
  for (const auto& slot : request.slots) {
    const int limit = std::min(slot.limit, request.limit);
    if (limit <= 0) continue;
    sqlite::Statement::Scope scope(select);
    select.bind(1, slot.type).bind(2, now_ms).bind(3, limit);
    while (select.step()) candidates.emplace_back(select.column_int(1), select.column_int64(0));
  }
  std::sort(candidates.begin(), candidates.end());
  if (candidates.size() > static_cast<std::size_t>(request.limit)) {
    candidates.resize(static_cast<std::size_t>(request.limit));
  }

  auto& update = cached(claim_update_,
                        "UPDATE jobs SET status = 'processing', attempts = attempts + 1, "
                        "lease_owner = ?, lease_expires = ?, started_at = ? "
                        "WHERE id = ? AND status = 'pending' RETURNING id, type, payload, "
                        "priority, status, attempts, max_attempts, parent_id, scan_id, run_after, "
                        "lease_owner, lease_expires, created_at, started_at, finished_at, "
                        "last_error, progress");
  std::vector<core::Job> claimed;
  claimed.reserve(candidates.size());
  for (const auto& [priority, id] : candidates) {
    sqlite::Statement::Scope scope(update);
    update.bind(1, request.owner).bind(2, expires).bind(3, started).bind(4, id);
    if (update.step()) claimed.push_back(read_job(update));
    while (update.step()) {
    }
  }
  return claimed;
}

std::vector<core::JobId> SqliteJobStore::renew_leases(std::span<const core::JobId> ids,
                                                      const std::string& owner,
                                                      core::TimePoint expires) {
  auto& renew = cached(renew_,
                       "UPDATE jobs SET lease_expires = ? WHERE id = ? AND status = 'processing' "
                       "AND lease_owner = ?");
  std::vector<core::JobId> renewed;
  for (core::JobId id : ids) {
    sqlite::Statement::Scope scope(renew);
    renew.bind(1, to_ms(expires)).bind(2, id).bind(3, owner);
    renew.step();
    if (db_.changes() == 1) renewed.push_back(id);
  }
  return renewed;
}

bool SqliteJobStore::complete(core::JobId id, const std::optional<std::string>& owner,
                              core::TimePoint now) {
  constexpr const char* kSet =
      "UPDATE jobs SET status = 'completed', finished_at = ?, lease_owner = NULL, "
      "lease_expires = NULL WHERE id = ? AND status = 'processing'";
  auto& s = owner ? cached(complete_owned_, (std::string(kSet) + " AND lease_owner = ?").c_str())
                  : cached(complete_any_, kSet);
  sqlite::Statement::Scope scope(s);
  s.bind(1, core::format_iso8601(now)).bind(2, id);
  if (owner) s.bind(3, *owner);
  s.step();
  return db_.changes() == 1;
}

FailOutcome SqliteJobStore::fail(core::JobId id, const std::optional<std::string>& owner,
                                 const std::string& error, core::TimePoint now,
                                 std::chrono::milliseconds retry_delay, bool retry) {
  auto& select = cached(fail_select_,
                        "SELECT attempts, max_attempts FROM jobs WHERE id = ? AND "
                        "status = 'processing' AND (?2 IS NULL OR lease_owner = ?2)");
  FailOutcome outcome;
  {
    sqlite::Statement::Scope scope(select);
    select.bind(1, id).bind(2, owner);
    if (!select.step()) return outcome;
    outcome.found = true;
    outcome.attempts = select.column_int(0);
    outcome.max_attempts = select.column_int(1);
  }
  outcome.will_retry = retry && outcome.attempts < outcome.max_attempts;
  auto& update = cached(fail_update_,
                        "UPDATE jobs SET status = ?, run_after = ?, finished_at = ?, "
                        "last_error = ?, lease_owner = NULL, lease_expires = NULL WHERE id = ?");
  sqlite::Statement::Scope scope(update);
  if (outcome.will_retry) {
    outcome.retry_at = now + retry_delay;
    update.bind(1, "pending").bind(2, to_ms(outcome.retry_at)).bind_null(3);
  } else {
    update.bind(1, "failed").bind(2, to_ms(now)).bind(3, core::format_iso8601(now));
  }
  update.bind(4, error).bind(5, id);
  update.step();
  return outcome;
}

int SqliteJobStore::release(std::span<const core::JobId> ids, const std::string& owner) {
  auto& s = cached(release_,
                   "UPDATE jobs SET status = 'pending', attempts = MAX(attempts - 1, 0), "
                   "lease_owner = NULL, lease_expires = NULL "
                   "WHERE id = ? AND status = 'processing' AND lease_owner = ?");
  int released = 0;
  for (core::JobId id : ids) {
    sqlite::Statement::Scope scope(s);
    s.bind(1, id).bind(2, owner);
    s.step();
    released += db_.changes();
  }
  return released;
}

std::vector<core::JobId> SqliteJobStore::cancel(core::JobId id, core::TimePoint now) {
  sqlite::Statement s(db_,
                      "WITH RECURSIVE tree(id) AS (SELECT ?1 UNION SELECT j.id FROM jobs j "
                      "JOIN tree t ON j.parent_id = t.id) "
                      "UPDATE jobs SET status = 'cancelled', finished_at = ?2, lease_owner = NULL, "
                      "lease_expires = NULL WHERE id IN tree AND status IN "
                      "('pending', 'processing') RETURNING id");
  s.bind(1, id).bind(2, core::format_iso8601(now));
  auto ids = collect_ids(s);
  // The root first (it has the smallest id only when no child was re-parented).
  if (auto it = std::find(ids.begin(), ids.end(), id); it != ids.end()) {
    std::rotate(ids.begin(), it, it + 1);
  }
  return ids;
}

std::vector<core::JobId> SqliteJobStore::cancel_scan(core::ScanId scan_id, core::TimePoint now) {
  sqlite::Statement s(db_,
                      "UPDATE jobs SET status = 'cancelled', finished_at = ?, lease_owner = NULL, "
                      "lease_expires = NULL WHERE scan_id = ? AND status IN "
                      "('pending', 'processing') RETURNING id");
  s.bind(1, core::format_iso8601(now)).bind(2, scan_id);
  return collect_ids(s);
}

std::vector<core::JobId> SqliteJobStore::cancel_jobs_of_ended_scans(core::TimePoint now) {
  sqlite::Statement s(db_,
                      "UPDATE jobs SET status = 'cancelled', finished_at = ?, lease_owner = NULL, "
                      "lease_expires = NULL WHERE status IN ('pending', 'processing') AND scan_id "
                      "IN (SELECT id FROM scans WHERE status IN ('completed', 'failed', "
                      "'cancelled')) RETURNING id");
  s.bind(1, core::format_iso8601(now));
  return collect_ids(s);
}

core::QueueCounts SqliteJobStore::count_for_scan(core::ScanId scan_id) {
  sqlite::Statement s(db_, "SELECT status, COUNT(*) FROM jobs WHERE scan_id = ? GROUP BY status");
  s.bind(1, scan_id);
  core::QueueCounts counts;
  while (s.step()) {
    const auto status = core::parse_job_status(s.column_text(0));
    const std::int64_t n = s.column_int64(1);
    if (!status) continue;
    switch (*status) {
      case core::JobStatus::pending: counts.pending = n; break;
      case core::JobStatus::processing: counts.processing = n; break;
      case core::JobStatus::completed: counts.completed = n; break;
      case core::JobStatus::failed: counts.failed = n; break;
      case core::JobStatus::cancelled: counts.cancelled = n; break;
    }
  }
  return counts;
}

bool SqliteJobStore::start(core::JobId id, const std::string& owner, core::TimePoint lease_expires,
                           core::TimePoint now) {
  sqlite::Statement s(db_,
                      "UPDATE jobs SET status = 'processing', attempts = attempts + 1, "
                      "lease_owner = ?, lease_expires = ?, started_at = ?, run_after = ? "
                      "WHERE id = ? AND status = 'pending'");
  s.bind(1, owner).bind(2, to_ms(lease_expires)).bind(3, core::format_iso8601(now));
  s.bind(4, to_ms(now)).bind(5, id);
  s.step();
  return db_.changes() == 1;
}

std::vector<core::JobId> SqliteJobStore::make_due(core::ScanId scan_id, std::string_view type,
                                                 core::TimePoint now) {
  sqlite::Statement s(db_,
                      "UPDATE jobs SET run_after = ? WHERE scan_id = ? AND type = ? AND "
                      "status = 'pending' AND run_after > ? RETURNING id");
  s.bind(1, to_ms(now)).bind(2, scan_id).bind(3, type).bind(4, to_ms(now));
  return collect_ids(s);
}

std::int64_t SqliteJobStore::count_live(core::ScanId scan_id, std::string_view type, core::JobId except) {
  sqlite::Statement s(db_,
                      "SELECT COUNT(*) FROM jobs WHERE scan_id = ? AND type = ? AND id != ? AND "
                      "status IN ('pending', 'processing')");
  s.bind(1, scan_id).bind(2, type).bind(3, except);
  s.step();
  return s.column_int64(0);
}

namespace {

// The processing jobs stalled-job recovery takes: with `all` every one (of `all_types` when
// given), else those whose lease expired. Placeholders: ?1 all, ?2 now (ms), ?3... the types.
std::string stalled_jobs(bool all, std::span<const std::string> all_types) {
  std::string forced = "?1";
  if (all && !all_types.empty()) {
    forced = "(?1 AND type IN (";
    for (std::size_t i = 0; i < all_types.size(); ++i) {
      forced += (i == 0 ? "?" : ", ?") + std::to_string(i + 3);
    }
    forced += "))";
  }
  return "status = 'processing' AND (" + forced + " OR lease_expires IS NULL OR lease_expires < ?2)";
}

// Binds stalled_jobs' placeholders; returns the next free index.
int bind_stalled(sqlite::Statement& s, core::TimePoint now, bool all,
                 std::span<const std::string> all_types) {
  s.bind(1, all ? 1 : 0).bind(2, to_ms(now));
  int index = 3;
  if (all) {
    for (const auto& type : all_types) s.bind(index++, type);
  }
  return index;
}

}  // namespace

std::vector<core::JobId> SqliteJobStore::recover_stalled(core::TimePoint now, bool all,
                                                        std::span<const std::string> all_types) {
  sqlite::Statement s(db_,
                      "UPDATE jobs SET status = 'pending', attempts = MAX(attempts - 1, 0), "
                      "stalled_count = stalled_count + 1, lease_owner = NULL, "
                      "lease_expires = NULL WHERE " + stalled_jobs(all, all_types) + " RETURNING id");
  bind_stalled(s, now, all, all_types);
  return collect_ids(s);
}

std::vector<core::Job> SqliteJobStore::fail_stalled(core::TimePoint now, int max_stalled,
                                                    const std::string& error, bool all,
                                                    std::span<const std::string> all_types) {
  const int next = 3 + static_cast<int>(all ? all_types.size() : 0);
  const std::string error_at = "?" + std::to_string(next);
  const std::string finished_at = "?" + std::to_string(next + 1);
  const std::string max_at = "?" + std::to_string(next + 2);
  sqlite::Statement s(db_,
                      "UPDATE jobs SET status = 'failed', last_error = " + error_at +
                          ", finished_at = " + finished_at +
                          ", lease_owner = NULL, lease_expires = NULL WHERE " +
                          stalled_jobs(all, all_types) + " AND stalled_count >= " + max_at +
                          " RETURNING id, type, payload, priority, status, attempts, max_attempts, "
                          "parent_id, scan_id, run_after, lease_owner, lease_expires, created_at, "
                          "started_at, finished_at, last_error, progress");
  const int index = bind_stalled(s, now, all, all_types);
  s.bind(index, error).bind(index + 1, core::format_iso8601(now)).bind(index + 2, max_stalled);
  std::vector<core::Job> failed;
  while (s.step()) failed.push_back(read_job(s));
  return failed;
}

bool SqliteJobStore::save_progress(core::JobId id, const core::JobProgress& progress) {
  sqlite::Statement s(db_, "UPDATE jobs SET progress = ? WHERE id = ?");
  s.bind(1, progress_json(progress)).bind(2, id);
  s.step();
  return db_.changes() == 1;
}

core::QueueStats SqliteJobStore::stats() {
  sqlite::Statement s(db_, "SELECT status, type, COUNT(*) FROM jobs GROUP BY status, type");
  core::QueueStats stats;
  auto add = [](core::QueueCounts& counts, core::JobStatus status, std::int64_t n) {
    switch (status) {
      case core::JobStatus::pending: counts.pending += n; break;
      case core::JobStatus::processing: counts.processing += n; break;
      case core::JobStatus::completed: counts.completed += n; break;
      case core::JobStatus::failed: counts.failed += n; break;
      case core::JobStatus::cancelled: counts.cancelled += n; break;
    }
  };
  while (s.step()) {
    const auto status = core::parse_job_status(s.column_text(0));
    if (!status) continue;
    const std::int64_t n = s.column_int64(2);
    add(stats.total, *status, n);
    add(stats.by_type[s.column_string(1)], *status, n);
  }
  return stats;
}

std::optional<core::Job> SqliteJobStore::get(core::JobId id) {
  sqlite::Statement s(db_, std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_job(s);
}

std::vector<core::Job> SqliteJobStore::list(const JobFilter& filter) {
  std::string sql = std::string("SELECT ") + kColumns +
                    " FROM jobs WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR type = ?2) "
                    "AND (?3 IS NULL OR scan_id = ?3) AND (?6 = 0 OR status IN ('pending', 'processing')) "
                    "AND (?7 IS NULL OR type != 'external' OR created_by = ?7) "
                    "AND (?8 IS NULL OR (type = 'external' AND json_extract(payload, '$.videoId') = ?8)) "
                    "ORDER BY id DESC LIMIT ?4 OFFSET ?5";
  sqlite::Statement s(db_, sql);
  if (filter.status) {
    s.bind(1, core::to_string(*filter.status));
  } else {
    s.bind_null(1);
  }
  s.bind(2, filter.type).bind(3, filter.scan_id);
  s.bind(4, std::max(0, filter.limit)).bind(5, std::max(0, filter.offset));
  s.bind(6, filter.active_only ? 1 : 0);
  s.bind(7, filter.visible_to).bind(8, filter.video_id);
  std::vector<core::Job> jobs;
  while (s.step()) jobs.push_back(read_job(s));
  return jobs;
}

}  // namespace scanhub::store
