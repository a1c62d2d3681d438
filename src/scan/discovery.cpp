// Discovery's walks for the discover job (scan_service.hpp): incremental scans of some
// directories, a movie library's folders, and the path rules removal needs.
#include "scan/discovery.hpp"

#include "core/text.hpp"
#include "scan/directory_fingerprint.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <unordered_map>

namespace scanhub::scan::detail {

namespace {

std::string display_path(const std::string& raw) { return core::to_valid_utf8(raw); }

}  // namespace

std::vector<std::string> fold_scope(std::vector<std::string> directories) {
  for (std::string& d : directories) {
    while (!d.empty() && d.back() == '/') d.pop_back();
    if (!d.empty() && d.front() == '/') throw std::invalid_argument("scan directory is absolute: " + d);
    for (std::size_t begin = 0; !d.empty() && begin <= d.size();) {
      const std::size_t end = std::min(d.find('/', begin), d.size());
      const std::string_view part(d.data() + begin, end - begin);
      if (part.empty() || part == "." || part == "..") {
        throw std::invalid_argument("scan directory must be relative to its library: " + d);
      }
      begin = end + 1;
    }
  }
  std::sort(directories.begin(), directories.end());
  directories.erase(std::unique(directories.begin(), directories.end()), directories.end());
  std::vector<std::string> folded;
  for (std::string& d : directories) {
    // Sorted order puts an ancestor before its descendants ('/' sorts before letters, and a
    // sibling like "a b" between "a" and "a/x" is no ancestor of "a/x").
    if (!std::any_of(folded.begin(), folded.end(), [&](const std::string& kept) {
          return kept.empty() || (d.size() > kept.size() && d.compare(0, kept.size(), kept) == 0 &&
                                  d[kept.size()] == '/');
        })) {
      folded.push_back(std::move(d));
    }
  }
  return folded;
}


std::string join_path(const std::string& directory, const std::string& relative) {
  if (directory.empty()) return relative;
  return relative.empty() ? directory : directory + "/" + relative;
}

std::string parent_directory(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

bool under_prefix(const std::string& path, const std::vector<std::string>& prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& prefix) {
    return path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
           path[prefix.size()] == '/';
  });
}

// True when `path` is one of `directories` or below one ("" holds everything).
bool in_scope(const std::string& path, const std::vector<std::string>& directories) {
  return std::any_of(directories.begin(), directories.end(), [&](const std::string& d) {
    return d.empty() || (path.size() > d.size() && path.compare(0, d.size(), d) == 0 &&
                         path[d.size()] == '/');
  });
}

// True when the full walk would never reach `directory`: a hidden or non-UTF-8 component, or a
// `.scanignore` in an ancestor (one in `directory` itself is the walk's own rule).
static bool excluded_by_walk_rules(const std::string& root, const std::string& directory) {
  std::string ancestor;
  for (std::size_t begin = 0; begin < directory.size();) {
    const std::size_t end = std::min(directory.find('/', begin), directory.size());
    const std::string part = directory.substr(begin, end - begin);
    if (part.front() == '.' || !core::is_valid_utf8(part)) return true;
    std::error_code ec;
    if (std::filesystem::exists(join_path(root, ancestor) + "/.scanignore", ec)) return true;
    ancestor = join_path(ancestor, part);
    begin = end + 1;
  }
  return false;
}

// The discovery walk of an incremental scan: each directory's subtree, with paths relative to
// the library root. A directory that is gone holds nothing; one that cannot be read is an error
// whose stored tracks are kept. Throws like walk_library when the library root is unusable.
void walk_scope(const std::string& root, const std::vector<std::string>& directories,
                const std::atomic<bool>& cancelled, const WalkCallbacks& callbacks,
                const LinkRule& links) {
  for (const std::string& directory : directories) {
    if (directory.empty()) {
      walk_library(root, cancelled, callbacks, links);
      continue;
    }
    struct stat st {};
    if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      // The library itself is gone (unmounted?): nothing under it may be removed.
      throw std::filesystem::filesystem_error(
          "cannot open library", root, std::make_error_code(std::errc::no_such_file_or_directory));
    }
    if (excluded_by_walk_rules(root, directory)) continue;
    WalkCallbacks scoped;
    scoped.on_enter = [&](const std::string& relative) {
      if (callbacks.on_enter) callbacks.on_enter(join_path(directory, relative));
    };
    scoped.on_directory = [&](DirectoryWork&& work) {
      work.directory = join_path(directory, work.directory);
      if (callbacks.on_directory) callbacks.on_directory(std::move(work));
    };
    scoped.on_error = [&](WalkError&& error) {
      error.path = join_path(directory, error.path);
      if (callbacks.on_error) callbacks.on_error(std::move(error));
    };
    scoped.on_link_skipped = [&](const std::string& path) {
      if (callbacks.on_link_skipped) callbacks.on_link_skipped(join_path(directory, path));
    };
    try {
      walk_library(root + "/" + directory, cancelled, scoped, links);
    } catch (const std::filesystem::filesystem_error& e) {
      const std::error_code code = e.code();
      if (code == std::errc::no_such_file_or_directory || code == std::errc::not_a_directory) {
        continue;  // removed (or replaced by a file) since the event: its tracks are gone
      }
      if (callbacks.on_error) {
        callbacks.on_error({directory, std::string("cannot open directory: ") + code.message(), true});
      }
    }
  }
}

// A movie library's directories (Kodi: one movie per directory): the root's sub-directories,
// not hidden, not under a `.scanignore`, names valid UTF-8; links followed as `links` says.
// Throws filesystem_error when the root cannot be read.
std::vector<std::string> list_movie_directories(const std::string& root, const LinkRule& links,
                                                std::vector<store::ScanError>& errors,
                                                std::int64_t& links_skipped) {
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw std::filesystem::filesystem_error(
        "cannot open library", root,
        std::error_code(errno != 0 ? errno : ENOTDIR, std::generic_category()));
  }
  DIR* dir = ::opendir(root.c_str());
  if (!dir) {
    throw std::filesystem::filesystem_error("cannot read library", root,
                                            std::error_code(errno, std::generic_category()));
  }
  std::vector<std::string> directories;
  std::int64_t skipped = 0;
  bool ignored = false;
  while (const dirent* d = ::readdir(dir)) {
    const std::string name = d->d_name;
    if (name == ".scanignore") ignored = true;
    if (name.front() == '.') continue;
    const std::string path = root + "/" + name;
    struct stat entry {};
    if (::stat(path.c_str(), &entry) != 0 || !S_ISDIR(entry.st_mode)) continue;
    struct stat self {};
    if (::lstat(path.c_str(), &self) == 0 && S_ISLNK(self.st_mode) && !links.follows(path)) {
      ++skipped;
      continue;
    }
    if (!core::is_valid_utf8(name)) {
      errors.push_back({display_path(name), "directory name is not valid UTF-8; skipped"});
      continue;
    }
    directories.push_back(name);
  }
  ::closedir(dir);
  if (ignored) return {};
  links_skipped += skipped;
  std::sort(directories.begin(), directories.end());
  return directories;
}

Unchanged skip_unchanged(const std::string& root, const std::vector<std::string>& directories,
                         const store::TrackIndex& index, const store::FingerprintIndex& fingerprints,
                         std::vector<std::string>& changed, const std::atomic<bool>& cancelled) {
  Unchanged unchanged;
  if (fingerprints.empty()) {
    changed.insert(changed.end(), directories.begin(), directories.end());
    return unchanged;
  }
  std::unordered_map<std::string, std::int64_t> tracks_in;  // directory -> stored tracks
  for (const auto& [path, track] : index) ++tracks_in[parent_directory(path)];
  for (const std::string& directory : directories) {
    if (!cancelled.load(std::memory_order_relaxed)) {
      const auto stored = fingerprints.find(directory);
      if (stored != fingerprints.end()) {
        const auto now = directory_fingerprint(join_path(root, directory));
        if (now && *now == stored->second) {
          ++unchanged.directories;
          const auto count = tracks_in.find(directory);
          if (count != tracks_in.end()) unchanged.tracks += count->second;
          continue;
        }
      }
    }
    changed.push_back(directory);
  }
  return unchanged;
}

}  // namespace scanhub::scan::detail
