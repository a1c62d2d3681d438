#pragma once
// The database schema, as versioned migrations (PRAGMA user_version).
// Tables follow seed 002's scan_jobs (here `scans`) and the foundation issue: libraries, scans,
// scan_libraries, tracks, scan_errors.

#include "lib/sqlite/database.hpp"

namespace scanhub::store {

/// The schema version this build writes.
int schema_version() noexcept;

/// Brings `db` up to schema_version(), each migration in its own transaction; one that rebuilds
/// referenced tables runs with foreign keys off and is checked (PRAGMA foreign_key_check)
/// before its commit (sqlite.org/lang_altertable.html section 7). Call it on a connection no
/// transaction is open on, before other connections use the file. Throws sqlite::Error, or
/// std::runtime_error when the file was written by a newer scanhub or a rebuild broke a
/// reference (nothing of that migration is committed).
void migrate(sqlite::Database& db);

/// migrate(), stopping at schema `version` (1..schema_version()): a test makes a database as an
/// older scanhub left it, then migrates it.
void migrate_for_test(sqlite::Database& db, int version);

}  // namespace scanhub::store
