#include "scan/walker.hpp"

#include "core/text.hpp"
#include "media/tag_reader.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <utility>

namespace scanhub::scan {

namespace {

constexpr int kMaxDepth = 128;

using FileId = std::pair<dev_t, ino_t>;

struct Entry {
  std::string name;
  unsigned char type;  // DT_* after resolving links and DT_UNKNOWN
  bool link = false;   // the entry itself is a symbolic link
};

// realpath(3) of `path`, or nullopt when it cannot be resolved.
std::optional<std::string> resolved(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  if (!real) return std::nullopt;
  return std::string(real.get());
}

// Lists `path` with each entry's type (links resolved). Returns (0, _) on success, else the
// errno and whether the directory was opened (a read error) or not (an open error).
std::pair<int, bool> read_entries(const std::string& path, std::vector<Entry>& entries) {
  DIR* dir = ::opendir(path.c_str());
  if (!dir) return {errno, false};
  const int fd = ::dirfd(dir);
  errno = 0;
  while (const dirent* d = ::readdir(dir)) {
    Entry entry{d->d_name, d->d_type};
    if (entry.name == "." || entry.name == "..") continue;
    if (entry.type == DT_UNKNOWN) {
      struct stat st {};
      if (::fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
        entry.type = DT_LNK;
      }
    }
    entry.link = entry.type == DT_LNK;
    if (entry.type == DT_UNKNOWN || entry.type == DT_LNK) {
      struct stat st {};
      if (::fstatat(fd, d->d_name, &st, 0) == 0) {
        entry.type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
      } else if (errno == ELOOP && entry.type == DT_LNK) {
        entry.type = DT_LNK;  // a link chain looping on itself: reported below if audio
      }
      // A dangling link keeps DT_LNK: listed if it looks like audio, and the directory scan
      // reports it with its reason.
    }
    entries.push_back(std::move(entry));
    errno = 0;
  }
  const int e = errno;
  ::closedir(dir);
  return {e, true};
}

// A link `entry` of `directory` that the rule says not to follow: one to a directory or to an
// audio-looking file (others are never used, so never counted).
bool skipped_link(const Entry& entry, const std::string& directory, const LinkRule& links) {
  if (!entry.link) return false;
  if (entry.type != DT_DIR && !media::has_audio_extension(entry.name)) return false;
  return !links.follows(directory + "/" + entry.name);
}

class Walk {
 public:
  Walk(const std::filesystem::path& root, const std::atomic<bool>& cancelled,
       const WalkCallbacks& callbacks, const LinkRule& links)
      : root_(root.string()), cancelled_(cancelled), callbacks_(callbacks), links_(links) {}

  void run() {
    struct stat st {};
    if (::stat(root_.c_str(), &st) != 0) {
      throw std::filesystem::filesystem_error("cannot open library", root_,
                                              std::error_code(errno, std::generic_category()));
    }
    if (!S_ISDIR(st.st_mode)) {
      throw std::filesystem::filesystem_error(
          "library is not a directory", root_,
          std::make_error_code(std::errc::not_a_directory));
    }
    std::vector<FileId> ancestors;
    visit("", {st.st_dev, st.st_ino}, ancestors, 0);
  }

 private:
  void error(std::string path, std::string reason, bool keep_contents) {
    if (callbacks_.on_error) callbacks_.on_error({std::move(path), std::move(reason), keep_contents});
  }

  std::string full(const std::string& relative) const {
    return relative.empty() ? root_ : root_ + "/" + relative;
  }

  static std::string join(const std::string& directory, const std::string& name) {
    return directory.empty() ? name : directory + "/" + name;
  }

  void visit(const std::string& relative, FileId id, std::vector<FileId>& ancestors, int depth) {
    if (cancelled_.load(std::memory_order_relaxed)) return;
    if (!visited_.insert(id).second) return;  // reached before through another link
    if (callbacks_.on_enter) callbacks_.on_enter(relative);

    std::vector<Entry> entries;
    if (!list(relative, entries)) {
      if (relative.empty()) {
        throw std::filesystem::filesystem_error(
            "cannot read library", root_, std::error_code(list_errno_, std::generic_category()));
      }
      return;
    }
    if (std::any_of(entries.begin(), entries.end(),
                    [](const Entry& e) { return e.name == ".scanignore"; })) {
      return;
    }

    DirectoryWork work{relative, {}};
    std::vector<std::pair<std::string, FileId>> subdirectories;
    for (Entry& entry : entries) {
      if (entry.name.front() == '.') continue;  // hidden, including "." and ".."
      const std::string path = join(relative, entry.name);
      if (skipped_link(entry, full(relative), links_)) {
        if (callbacks_.on_link_skipped) callbacks_.on_link_skipped(path);
        continue;
      }
      if (entry.type == DT_DIR) {
        if (!core::is_valid_utf8(entry.name)) {
          error(path, "directory name is not valid UTF-8; skipped with everything below it",
                false);
          continue;
        }
        struct stat st {};
        if (::stat(full(path).c_str(), &st) != 0) {
          const int e = errno;
          error(path, e == ELOOP ? "symbolic link loop" : std::strerror(e), e != ENOENT);
          continue;
        }
        const FileId child{st.st_dev, st.st_ino};
        if (std::find(ancestors.begin(), ancestors.end(), child) != ancestors.end() || child == id) {
          error(path, "symbolic link loop: points back to a directory above it", false);
          continue;
        }
        subdirectories.emplace_back(path, child);
      } else if (media::has_audio_extension(entry.name)) {
        work.files.push_back(std::move(entry.name));
      }
    }

    if (!work.files.empty()) {
      std::sort(work.files.begin(), work.files.end());
      if (callbacks_.on_directory) callbacks_.on_directory(std::move(work));
    }
    if (depth + 1 >= kMaxDepth) {
      if (!subdirectories.empty()) error(relative, "directory tree too deep; not descending", true);
      return;
    }
    std::sort(subdirectories.begin(), subdirectories.end());
    ancestors.push_back(id);
    for (const auto& [path, child] : subdirectories) visit(path, child, ancestors, depth + 1);
    ancestors.pop_back();
  }

  // Lists the entries of `relative` with their types (links resolved). False on error.
  bool list(const std::string& relative, std::vector<Entry>& entries) {
    const auto [e, listed] = read_entries(full(relative), entries);
    if (e == 0) return true;
    list_errno_ = e;
    if (relative.empty()) return false;
    if (!listed) {
      error(relative,
            e == ENOENT ? "directory disappeared during the scan"
                        : std::string("cannot open directory: ") + std::strerror(e),
            e != ENOENT && e != ENOTDIR);
    } else {
      error(relative, std::string("cannot read directory: ") + std::strerror(e), true);
    }
    return false;
  }

  std::string root_;
  const std::atomic<bool>& cancelled_;
  const WalkCallbacks& callbacks_;
  const LinkRule& links_;
  std::set<FileId> visited_;
  int list_errno_ = 0;
};

}  // namespace

LinkRule::LinkRule(const std::string& library_root, bool follow_outside)
    : root_(resolved(library_root).value_or(library_root)), follow_outside_(follow_outside) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

bool LinkRule::follows(const std::string& link) const {
  if (follow_outside_) return true;
  const auto target = resolved(link);
  if (!target) return true;  // dangling or a loop: reported where it is used, reaches nothing
  if (root_ == "/") return true;  // refused as a root since, but an older database may hold one
  return target->compare(0, root_.size(), root_) == 0 &&
         (target->size() == root_.size() || (*target)[root_.size()] == '/');
}

std::optional<std::string> LinkRule::refused_link(const std::string& directory,
                                                  std::string_view name) const {
  if (follow_outside_) return std::nullopt;
  // Each prefix of `name` in turn: lstat sees a link itself, while the prefixes before it
  // were followed (they were checked first), so a link reached through a followed link counts.
  for (std::size_t end = name.find('/');; end = name.find('/', end + 1)) {
    const std::string prefix(name.substr(0, end));
    const std::string path = directory + "/" + prefix;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode) && !follows(path)) return prefix;
    if (end == std::string_view::npos) return std::nullopt;
  }
}

void walk_library(const std::filesystem::path& root, const std::atomic<bool>& cancelled,
                  const WalkCallbacks& callbacks, const LinkRule& links) {
  Walk(root, cancelled, callbacks, links).run();
}

std::expected<std::vector<std::string>, std::error_code> list_audio_files(
    const std::filesystem::path& directory, const LinkRule& links) {
  const std::string path = directory.string();
  std::vector<Entry> entries;
  const auto [e, listed] = read_entries(path, entries);
  if (e != 0) return std::unexpected(std::error_code(e, std::generic_category()));
  std::vector<std::string> files;
  for (Entry& entry : entries) {
    if (entry.name.front() == '.' || entry.type == DT_DIR) continue;
    if (skipped_link(entry, path, links)) continue;  // counted by discovery
    if (media::has_audio_extension(entry.name)) files.push_back(std::move(entry.name));
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace scanhub::scan
