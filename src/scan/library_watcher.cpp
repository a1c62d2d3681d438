#include "scan/library_watcher.hpp"

#include "media/tag_reader.hpp"
#include "scan/scan_service.hpp"
#include "scan/walker.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

namespace scanhub::scan {

namespace {

constexpr int kMaxDepth = 128;  // as the walker
constexpr std::uint32_t kMask = IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO |
                                IN_DELETE | IN_ATTRIB | IN_ONLYDIR | IN_EXCL_UNLINK;

std::string join(const std::string& directory, const std::string& name) {
  return directory.empty() ? name : directory + "/" + name;
}

// `path` is `ancestor` or below it ("" is everyone's ancestor).
bool within(const std::string& path, const std::string& ancestor) {
  if (ancestor.empty() || path == ancestor) return true;
  return path.size() > ancestor.size() && path.compare(0, ancestor.size(), ancestor) == 0 &&
         path[ancestor.size()] == '/';
}

std::string watch_limit_text() {
  std::ifstream in("/proc/sys/fs/inotify/max_user_watches");
  std::string limit;
  if (!(in >> limit)) return "fs.inotify.max_user_watches";
  return "fs.inotify.max_user_watches = " + limit;
}

}  // namespace

// ---- ChangeQueue ----------------------------------------------------------------------------

void ChangeQueue::fold(std::vector<std::string>& queued, const std::string& directory) {
  for (const std::string& q : queued) {
    if (within(directory, q)) return;  // a queued ancestor covers it
  }
  std::erase_if(queued, [&](const std::string& q) { return within(q, directory); });
  queued.push_back(directory);
}

void ChangeQueue::add(core::LibraryId library, const std::string& directory, TimePoint now) {
  auto [it, fresh] = pending_.try_emplace(library);
  Pending& p = it->second;
  if (fresh) p.first = now;
  p.last = now;
  if (!p.full) fold(p.directories, directory);
}

void ChangeQueue::add_full(core::LibraryId library, TimePoint now) {
  auto [it, fresh] = pending_.try_emplace(library);
  Pending& p = it->second;
  if (fresh) p.first = now;
  p.last = now;
  p.full = true;
  p.directories.clear();
}

ChangeQueue::TimePoint ChangeQueue::due(const Pending& p) const {
  const TimePoint debounced = std::min(p.last + timings_.quiet_period, p.first + timings_.max_delay);
  return p.not_before ? std::max(debounced, *p.not_before) : debounced;
}

std::vector<ChangeQueue::Batch> ChangeQueue::take_due(TimePoint now) {
  std::vector<Batch> batches;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (due(it->second) <= now) {
      Batch batch{it->first, std::move(it->second.directories), it->second.full};
      std::sort(batch.directories.begin(), batch.directories.end());
      batches.push_back(std::move(batch));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  return batches;
}

void ChangeQueue::defer(Batch batch, TimePoint now) {
  auto [it, fresh] = pending_.try_emplace(batch.library);
  Pending& p = it->second;
  if (fresh) {
    // Its changes are old: only the retry interval holds it back.
    p.first = now - timings_.max_delay;
    p.last = now - timings_.quiet_period;
  }
  if (batch.full) {
    p.full = true;
    p.directories.clear();
  } else if (!p.full) {
    for (const std::string& d : batch.directories) fold(p.directories, d);
  }
  p.not_before = now + timings_.retry_interval;
}

std::optional<ChangeQueue::TimePoint> ChangeQueue::next_due() const {
  std::optional<TimePoint> next;
  for (const auto& [library, p] : pending_) {
    const TimePoint t = due(p);
    if (!next || t < *next) next = t;
  }
  return next;
}

std::vector<std::string> ChangeQueue::pending(core::LibraryId library) const {
  const auto it = pending_.find(library);
  if (it == pending_.end()) return {};
  if (it->second.full) return {""};
  auto directories = it->second.directories;
  std::sort(directories.begin(), directories.end());
  return directories;
}

// ---- LibraryWatcher -------------------------------------------------------------------------

struct LibraryWatcher::Watched {
  core::Library library;
  int fd = -1;                                  // this library's inotify instance
  std::unordered_map<int, std::string> paths;   // watch descriptor -> directory (relative)
  std::unordered_set<int> ignored;              // watched only for their .scanignore going away
  std::size_t unwatched = 0;
  int last_error = 0;  // errno of the last watch that could not be added
  bool limit_reported = false;
  std::uint64_t scans_started = 0;
  std::uint64_t overflows = 0;
  std::optional<core::ScanId> last_scan;

  ~Watched() {
    if (fd >= 0) ::close(fd);
  }
};

LibraryWatcher::LibraryWatcher(ScanService& scans, LibraryWatcherOptions options)
    : scans_(scans), options_(options), queue_(options.timings) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "watcher: eventfd");
  thread_ = std::thread([this] { run(); });
}

LibraryWatcher::~LibraryWatcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake();
  if (thread_.joinable()) thread_.join();
  libraries_.clear();
  ::close(wake_fd_);
}

void LibraryWatcher::wake() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
}

void LibraryWatcher::watch(const core::Library& library) {
  std::lock_guard lock(mutex_);
  auto it = libraries_.find(library.id);
  if (it == libraries_.end()) {
    auto w = std::make_unique<Watched>();
    w->library = library;
    w->fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->fd < 0) {
      const int e = errno;
      throw std::system_error(e, std::generic_category(),
                              "cannot watch " + library.path +
                                  (e == EMFILE ? " (inotify instance limit, fs.inotify.max_user_instances)"
                                               : ""));
    }
    it = libraries_.emplace(library.id, std::move(w)).first;
  }
  Watched& w = *it->second;
  add_tree(w, "");
  if (w.paths.empty()) {
    const int e = w.last_error != 0 ? w.last_error : ENOENT;
    libraries_.erase(it);
    throw std::system_error(e, std::generic_category(), "cannot watch " + library.path);
  }
  spdlog::info("watcher: library {} ({}): {} directories watched", library.id, library.path,
               w.paths.size());
  wake();  // the thread polls the new descriptor from its next round
}

bool LibraryWatcher::unwatch(core::LibraryId library) {
  std::lock_guard lock(mutex_);
  queue_.drop(library);
  const bool erased = libraries_.erase(library) > 0;
  wake();
  return erased;
}

std::vector<LibraryWatcher::Status> LibraryWatcher::status() const {
  std::lock_guard lock(mutex_);
  std::vector<Status> out;
  for (const auto& [id, w] : libraries_) {
    out.push_back({id, w->paths.size(), w->unwatched, w->scans_started, w->overflows, w->last_scan,
                   queue_.pending(id)});
  }
  return out;
}

void LibraryWatcher::overflow_for_test(core::LibraryId library) {
  std::lock_guard lock(mutex_);
  const auto it = libraries_.find(library);
  if (it != libraries_.end()) on_overflow(*it->second, std::chrono::steady_clock::now());
  wake();
}

std::size_t LibraryWatcher::total_watches() const {
  std::size_t total = 0;
  for (const auto& [id, w] : libraries_) total += w->paths.size();
  return total;
}

void LibraryWatcher::add_tree(Watched& w, const std::string& relative) {
  std::set<int> visited;
  add_tree(w, relative, 0, visited);
}

// Watches `relative` and every directory below it the walker would enter. Requires mutex_.
void LibraryWatcher::add_tree(Watched& w, const std::string& relative, int depth,
                              std::set<int>& visited) {
  const std::string path = relative.empty() ? w.library.path : w.library.path + "/" + relative;
  int wd = -1;
  if (options_.max_watches_for_test != 0 && total_watches() >= options_.max_watches_for_test) {
    errno = ENOSPC;
  } else {
    wd = ::inotify_add_watch(w.fd, path.c_str(), kMask);
  }
  if (wd < 0) {
    const int e = errno;
    w.last_error = e;
    if (e == ENOSPC) {
      ++w.unwatched;
      if (!w.limit_reported) {
        w.limit_reported = true;
        spdlog::warn("watcher: the inotify watch limit is reached ({}): {} and directories like it "
                     "in library {} are not watched, so changes there need a manual scan; raise "
                     "it with `sysctl fs.inotify.max_user_watches=N`",
                     watch_limit_text(), path, w.library.path);
      }
    } else if (e != ENOENT && e != ENOTDIR) {
      spdlog::warn("watcher: cannot watch {}: {}", path, std::strerror(e));
    }
    return;
  }
  // A directory reached twice (a link, or a re-walk after an overflow): one watch, the first
  // path; below it is walked once per walk.
  if (!visited.insert(wd).second) return;
  w.paths.try_emplace(wd, relative);

  DIR* dir = ::opendir(path.c_str());
  if (!dir) return;  // unreadable: its own events still come; the scan reports the error
  std::vector<std::string> children;
  bool scanignore = false;
  const int fd = ::dirfd(dir);
  while (const dirent* d = ::readdir(dir)) {
    const std::string name = d->d_name;
    if (name == ".scanignore") scanignore = true;
    if (name.empty() || name.front() == '.') continue;
    bool is_directory = d->d_type == DT_DIR;
    bool is_link = d->d_type == DT_LNK;
    if (d->d_type == DT_UNKNOWN || d->d_type == DT_LNK) {
      struct stat st {};
      if (d->d_type == DT_UNKNOWN && ::fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        is_link = S_ISLNK(st.st_mode);
      }
      is_directory = ::fstatat(fd, d->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
    }
    // The walker's rule (walker.hpp): a link out of the library is not scanned, so not watched.
    if (is_directory && is_link &&
        !LinkRule(w.library.path, w.library.follow_symlinks).follows(path + "/" + name)) {
      continue;
    }
    if (is_directory) children.push_back(name);
  }
  ::closedir(dir);
  if (scanignore) {
    // Not scanned, but watched itself so that removing its .scanignore is seen.
    w.ignored.insert(wd);
    return;
  }
  w.ignored.erase(wd);
  if (depth + 1 >= kMaxDepth) return;
  for (const std::string& child : children) add_tree(w, join(relative, child), depth + 1, visited);
}

// Drops the watches of `relative` and below (moved out of reach, or now .scanignore'd).
void LibraryWatcher::remove_tree(Watched& w, const std::string& relative) {
  for (auto it = w.paths.begin(); it != w.paths.end();) {
    if (within(it->second, relative)) {
      ::inotify_rm_watch(w.fd, it->first);
      w.ignored.erase(it->first);
      it = w.paths.erase(it);
    } else {
      ++it;
    }
  }
}

void LibraryWatcher::on_overflow(Watched& w, ChangeQueue::TimePoint now) {
  ++w.overflows;
  spdlog::warn("watcher: events of library {} were lost (inotify queue overflow): scanning it whole",
               w.library.path);
  queue_.add_full(w.library.id, now);
  add_tree(w, "");  // directories made while events were lost need their watches
}

void LibraryWatcher::read_events(Watched& w, ChangeQueue::TimePoint now) {
  alignas(inotify_event) char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(w.fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) spdlog::warn("watcher: reading events of {}: {}", w.library.path, std::strerror(errno));
      return;
    }
    if (n == 0) return;
    for (ssize_t offset = 0; offset + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if (event->mask & IN_Q_OVERFLOW) {
        on_overflow(w, now);
        continue;
      }
      const auto it = w.paths.find(event->wd);
      if (it == w.paths.end()) continue;  // a watch removed meanwhile
      if (event->mask & IN_IGNORED) {     // its directory is gone
        w.ignored.erase(event->wd);
        w.paths.erase(it);
        continue;
      }
      const std::string name = event->len ? std::string(event->name) : std::string();
      if (name.empty()) continue;  // about the directory itself: its parent reports it
      const std::string directory = it->second;
      const std::string child = join(directory, name);
      spdlog::trace("watcher: event {:#x} in '{}' on '{}'", event->mask, directory, name);
      if (name == ".scanignore") {
        // The directory's whole subtree appears or disappears for the scan.
        if (event->mask & (IN_CREATE | IN_MOVED_TO)) {
          remove_tree(w, directory);
          add_tree(w, directory);  // watches the directory alone, marked ignored
        } else if (event->mask & (IN_DELETE | IN_MOVED_FROM)) {
          w.ignored.erase(event->wd);
          add_tree(w, directory);
        }
        queue_.add(w.library.id, directory, now);
        continue;
      }
      if (name.front() == '.' || w.ignored.contains(event->wd)) continue;
      if (event->mask & IN_ISDIR) {
        if (event->mask & (IN_DELETE | IN_MOVED_FROM)) remove_tree(w, child);
        if (event->mask & (IN_CREATE | IN_MOVED_TO)) add_tree(w, child);
      } else if (!media::has_audio_extension(name)) {
        continue;
      }
      queue_.add(w.library.id, directory, now);
    }
  }
}

void LibraryWatcher::launch(ChangeQueue::Batch batch, ChangeQueue::TimePoint now) {
  const auto it = libraries_.find(batch.library);
  if (it == libraries_.end()) return;  // unwatched meanwhile
  Watched& w = *it->second;
  // Our previous scan of this library still runs: wait for it rather than ask and be refused.
  if (w.last_scan && !scans_.wait_for(*w.last_scan, std::chrono::milliseconds(0))) {
    return queue_.defer(std::move(batch), now);
  }
  try {
    const auto started = scans_.start({w.library}, core::ScanTrigger::file_system_event, {},
                                      batch.full ? std::vector<std::string>{} : batch.directories);
    if (started.already_running) {
      // A full scan of this library that began before these changes may have passed them.
      return queue_.defer(std::move(batch), now);
    }
    w.last_scan = started.id;
    ++w.scans_started;
    spdlog::info("watcher: scan {} of library {}: {}", started.id, w.library.path,
                 batch.full ? std::string("whole library")
                            : std::to_string(batch.directories.size()) + " changed directories");
  } catch (const ScanConflict&) {
    queue_.defer(std::move(batch), now);  // someone else's scan: after it ends
  } catch (const std::exception& e) {
    // E.g. the database is busy or failing: keep the changes and try again later.
    spdlog::warn("watcher: cannot start a scan of {}: {}; trying again", w.library.path, e.what());
    queue_.defer(std::move(batch), now);
  }
}

void LibraryWatcher::run() {
  std::vector<pollfd> fds;
  std::vector<core::LibraryId> ids;  // ids[i] owns fds[i + 1]
  for (;;) {
    int timeout_ms = -1;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      fds.assign(1, pollfd{wake_fd_, POLLIN, 0});
      ids.clear();
      for (const auto& [id, w] : libraries_) {
        fds.push_back(pollfd{w->fd, POLLIN, 0});
        ids.push_back(id);
      }
      if (const auto next = queue_.next_due()) {
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next - std::chrono::steady_clock::now());
        timeout_ms = static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, 60'000));
      }
    }
    const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0 && errno != EINTR) {
      spdlog::error("watcher: poll failed: {}; the watcher stops", std::strerror(errno));
      return;
    }
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    const auto now = std::chrono::steady_clock::now();
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      std::uint64_t count = 0;
      [[maybe_unused]] const auto n = ::read(wake_fd_, &count, sizeof count);
    }
    for (std::size_t i = 1; ready > 0 && i < fds.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      const auto it = libraries_.find(ids[i - 1]);
      if (it != libraries_.end() && it->second->fd == fds[i].fd) read_events(*it->second, now);
    }
    for (auto& batch : queue_.take_due(now)) launch(std::move(batch), now);
  }
}

}  // namespace scanhub::scan
