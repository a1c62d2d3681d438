#pragma once
// Start-up steps shared by the subcommands: opening the database and registering libraries.
// Each throws std::runtime_error with a one-line message meant for the terminal.

#include "core/library.hpp"
#include "store/store.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace scanhub::app {

/// The database path when --db is not given.
inline constexpr const char* kDefaultDatabase = "data/scanhub.db";

/// Opens (creating it and its parent directories if needed), checks (PRAGMA quick_check: a
/// damaged file is refused with the path, the first problem and `scanhub db check`) and
/// migrates the database.
std::unique_ptr<store::Store> open_store(const std::filesystem::path& path);

/// `path` as a library of `type`: the existing library at its canonical path, or a new one.
/// Throws with scan::check_library_root's reason when `path` cannot be a library (missing, not a
/// directory, unreadable, a link loop, `/`, a system directory or pseudo file system), or when
/// it is a library of another type.
core::Library ensure_library(store::Store& store, const std::string& path, core::LibraryType type);

}  // namespace scanhub::app
