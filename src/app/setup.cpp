#include "app/setup.hpp"

#include "scan/library_root.hpp"

#include <stdexcept>
#include <system_error>

namespace scanhub::app {

std::unique_ptr<store::Store> open_store(const std::filesystem::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    throw std::runtime_error("cannot create the database directory " +
                             path.parent_path().string() + ": " + ec.message());
  }
  try {
    store::StoreOptions options;
    options.quick_check = true;  // a damaged file is refused, not served from
    return std::make_unique<store::Store>(path, options);
  } catch (const store::DamagedDatabase& e) {
    std::string problems = e.problems().empty() ? std::string("integrity check failed") : e.problems().front();
    if (e.problems().size() > 1) {
      // The check stops listing at 10 (store.cpp): there may be more.
      problems += (e.problems().size() >= 10 ? "; at least " : "; ") +
                  std::to_string(e.problems().size() - 1) + " more";
    }
    throw std::runtime_error("the database " + path.string() + " is damaged (quick_check: " +
                             problems + "): run `scanhub db check --db " + path.string() +
                             "` for the full report, and restore a backup");
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()));
  }
}

core::Library ensure_library(store::Store& store, const std::string& path, core::LibraryType type) {
  auto root = scan::check_library_root(path);
  if (!root) throw std::runtime_error(root.error());
  const std::string canonical = std::move(*root);

  core::Library library;
  store.write_sync([&](store::Connection& c) {
    if (auto existing = c.libraries.find_by_path(canonical)) {
      if (existing->type != type) {
        throw std::runtime_error(canonical + " is already a " + std::string(core::to_string(existing->type)) +
                                 " library");
      }
      library = *existing;
      return;
    }
    core::Library fresh;
    fresh.path = canonical;
    fresh.name = std::filesystem::path(canonical).filename().string();
    if (fresh.name.empty()) fresh.name = canonical;
    fresh.type = type;
    fresh.created_at = core::Clock::now();
    library = c.libraries.add(fresh);
  });
  return library;
}

}  // namespace scanhub::app
