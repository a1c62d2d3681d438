#pragma once
// The database schema, as versioned migrations (PRAGMA user_version).
// Tables follow seed 002's scan_jobs (here `scans`) and the foundation issue: libraries, scans,
// scan_libraries, tracks, scan_errors.

#include "lib/sqlite/database.hpp"

namespace scanhub::store {

/// The schema version this build writes.
int schema_version() noexcept;

/// Brings `db` up to schema_version(), each migration in its own transaction. Throws
/// sqlite::Error, or std::runtime_error when the file was written by a newer scanhub.
void migrate(sqlite::Database& db);

}  // namespace scanhub::store
