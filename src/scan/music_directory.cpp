#include "scan/music_directory.hpp"

#include "core/text.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace scanhub::scan {

namespace {

std::string file_type_name(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISDIR(mode)) return "a directory";
  return "not a regular file";
}

// Why stat() failed for `full`, in words a person can act on.
std::string stat_failure(const std::string& full, int error) {
  if (error == ENOENT) {
    struct stat st {};
    if (::lstat(full.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      return "broken symbolic link: its target does not exist";
    }
    return "file disappeared during the scan";
  }
  if (error == ELOOP) return "symbolic link loop";
  return std::string("cannot stat file: ") + std::strerror(error);
}

}  // namespace

DirectoryResult scan_music_directory(const std::string& root, core::LibraryId library,
                                     const DirectoryWork& work, const store::TrackIndex& index,
                                     const media::TagReader& reader,
                                     const media::ReadLimits& limits) {
  DirectoryResult result;
  const std::string directory = root + (work.directory.empty() ? "" : "/" + work.directory);
  for (const std::string& name : work.files) {
    if (limits.stop.stop_requested()) {
      throw media::ReadCancelled("scanning " + directory + " was cancelled");
    }
    const std::string relative = work.directory.empty() ? name : work.directory + "/" + name;
    const std::string full = directory + "/" + name;
    if (!core::is_valid_utf8(relative)) {
      result.errors.push_back({core::to_valid_utf8(relative), "file name is not valid UTF-8"});
      continue;
    }
    const auto stored = index.find(relative);
    const auto keep_stored = [&] {
      if (stored != index.end()) result.seen.push_back(stored->second.id);
    };

    struct stat st {};
    if (::stat(full.c_str(), &st) != 0) {
      const int error = errno;
      result.errors.push_back({relative, stat_failure(full, error)});
      if (error != ENOENT) keep_stored();
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      result.errors.push_back({relative, "not an audio file: it is " + file_type_name(st.st_mode)});
      keep_stored();
      continue;
    }
    if (st.st_size == 0) {
      result.errors.push_back({relative, "empty file (0 bytes)"});
      keep_stored();
      continue;
    }
    const core::FileStamp stamp{static_cast<std::int64_t>(st.st_size),
                                static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                                    st.st_mtim.tv_nsec};
    if (stored != index.end() && stored->second.stamp == stamp) {
      result.seen.push_back(stored->second.id);
      ++result.unchanged;
      continue;
    }

    core::Track track;
    track.library_id = library;
    track.path = relative;
    track.stamp = stamp;
    try {
      track.metadata = reader.read(full, limits);
    } catch (const media::ReadCancelled&) {
      throw;  // says nothing about the file: the job stops
    } catch (const media::ReadError& e) {
      result.errors.push_back({relative, e.what()});
      keep_stored();
      continue;
    } catch (const std::exception& e) {
      // TagLib may throw std::bad_alloc on absurd sizes in a corrupt header.
      result.errors.push_back({relative, std::string("cannot read file: ") + e.what()});
      keep_stored();
      continue;
    }
    if (stored != index.end()) {
      track.id = stored->second.id;
      result.seen.push_back(track.id);
      result.updates.push_back(std::move(track));
    } else {
      result.inserts.push_back(std::move(track));
    }
  }
  return result;
}

}  // namespace scanhub::scan
