#pragma once
// Damages a database file as a failing disk or a stray write would: pages in the middle of the
// file overwritten with garbage, its first page (the header) left intact, so SQLite still
// opens it and only reading those pages (or an integrity check) finds the damage.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <vector>

namespace scanhub::test {

/// Overwrites `pages` pages of `page_size` bytes starting three quarters into the file with
/// pseudo-random bytes (a fixed seed: the same damage every run). The database must be closed,
/// with its WAL checkpointed (SQLite does that when the last connection closes).
inline void damage_middle_pages(const std::filesystem::path& db, int pages = 8,
                                std::size_t page_size = 4096) {
  const auto size = std::filesystem::file_size(db);
  const auto total = size / page_size;
  if (total < 4) throw std::runtime_error("damage_middle_pages: " + db.string() + " is too small");
  // Three quarters in, never page 1 (the header): the schema's pages come first, written by the
  // migrations of an empty file, and in a small test database its last ones reach the middle
  // (damaging them fails the open itself, which is not the damage this helper stands for).
  const auto first = std::max<std::uintmax_t>(1, total * 3 / 4);
  std::fstream file(db, std::ios::in | std::ios::out | std::ios::binary);
  if (!file) throw std::runtime_error("damage_middle_pages: cannot open " + db.string());
  std::mt19937 random(14);
  std::vector<char> garbage(page_size);
  for (std::uintmax_t page = first; page < std::min<std::uintmax_t>(total, first + pages); ++page) {
    for (auto& byte : garbage) byte = static_cast<char>(random());
    file.seekp(static_cast<std::streamoff>(page * page_size));
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  if (!file.flush()) throw std::runtime_error("damage_middle_pages: cannot write " + db.string());
}

}  // namespace scanhub::test
