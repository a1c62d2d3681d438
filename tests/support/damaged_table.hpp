#pragma once
// Damages one table of a database file: every page of its b-tree overwritten with garbage (its
// indexes and every other table left intact), so a test decides which rows meet the damage
// whatever the file's layout (migrations that rebuild tables move them around the file).

#include "lib/sqlite/database.hpp"
#include "lib/sqlite/statement.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace scanhub::test {

/// Overwrites every page of `table`'s b-tree (found with SQLite's dbstat table) with
/// pseudo-random bytes. The database must be closed, with its WAL checkpointed.
inline void damage_table_pages(const std::filesystem::path& db, const std::string& table) {
  std::vector<std::int64_t> pages;
  std::int64_t page_size = 0;
  {
    sqlite::Database reader(db, {.read_only = true});
    sqlite::Statement size(reader, "PRAGMA page_size");
    if (size.step()) page_size = size.column_int64(0);
    sqlite::Statement list(reader, "SELECT pageno FROM dbstat WHERE name = ?1 ORDER BY pageno");
    list.bind(1, table);
    while (list.step()) pages.push_back(list.column_int64(0));
  }
  if (pages.empty() || page_size <= 0) {
    throw std::runtime_error("damage_table_pages: no pages of " + table + " in " + db.string());
  }
  std::fstream file(db, std::ios::in | std::ios::out | std::ios::binary);
  if (!file) throw std::runtime_error("damage_table_pages: cannot open " + db.string());
  std::mt19937 random(14);
  std::vector<char> garbage(static_cast<std::size_t>(page_size));
  for (const std::int64_t page : pages) {
    for (auto& byte : garbage) byte = static_cast<char>(random());
    file.seekp(static_cast<std::streamoff>((page - 1) * page_size));  // pages count from 1
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  if (!file.flush()) throw std::runtime_error("damage_table_pages: cannot write " + db.string());
}

}  // namespace scanhub::test
