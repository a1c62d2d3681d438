#include "app/db_command.hpp"

#include "store/database_file.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <system_error>

namespace scanhub::app {

int run_db_check_command(const DbCheckOptions& options) {
  const std::filesystem::path path = options.database;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    std::fprintf(stderr, "scanhub db check: no database at %s\n", path.c_str());
    return 1;
  }
  constexpr int kMaxProblems = 100;
  std::vector<std::string> problems;
  const auto started = std::chrono::steady_clock::now();
  const auto check = [&](bool immutable) {
    auto db = store::open_read_only(path, immutable);
    problems = store::check_integrity(db, store::IntegrityCheck::full, kMaxProblems).problems;
  };
  try {
    try {
      check(false);
    } catch (const sqlite::Error& e) {
      // On a read-only file system SQLite cannot make the -shm file a WAL database needs to be
      // read; nothing can change the file there, so it may be read as immutable.
      if (sqlite::fault_of(e.code()) != sqlite::Fault::cannot_open) throw;
      check(true);
    }
  } catch (const store::OpenError& e) {
    std::fprintf(stderr, "scanhub db check: %s\n", e.what());
    return 1;
  } catch (const sqlite::Error& e) {
    std::fprintf(stderr, "scanhub db check: %s\n", store::describe_open_failure(path, e).c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scanhub db check: %s\n", e.what());
    return 1;
  }
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto bytes = std::filesystem::file_size(path, ec);
  const double megabytes = ec ? 0.0 : static_cast<double>(bytes) / (1024.0 * 1024.0);
  if (problems.empty()) {
    std::printf("%s: ok (integrity_check and foreign_key_check, %.1f MB in %.1f s)\n", path.c_str(),
                megabytes, seconds);
    return 0;
  }
  std::printf("%s: damaged, %zu problem%s%s:\n", path.c_str(), problems.size(),
              problems.size() == 1 ? "" : "s",
              problems.size() >= static_cast<std::size_t>(kMaxProblems) ? " (the first shown)" : "");
  for (const auto& problem : problems) std::printf("  %s\n", problem.c_str());
  std::printf("Restore a backup of %s, or move it aside and scan the libraries again "
              "(a new database is made at the next start).\n",
              path.c_str());
  return 1;
}

}  // namespace scanhub::app
