#pragma once
// Discovery: walks a library and lists, per directory, the entries that look like audio.
//
// Rules (foundation issue; MPD's update walk for symlinks): hidden files and directories (name
// starting with '.') are skipped, and so is any directory holding a `.scanignore` file with
// everything below it. Symbolic links (LinkRule) whose targets lie inside the library root are
// followed; those that leave it only when the library's follow_symlinks says so, and each one
// not followed (to a directory or an audio-looking file) is reported through on_link_skipped,
// so a link to / cannot make the whole disk part of a library. A link back to a directory on
// the current path is a loop and reported; a directory reached twice by other links is walked
// once. Entries are listed by name only: stat and tag reading happen later, in parallel.
//
// Runs on the scan's coordinator thread; polls `cancelled` once per directory.

#include <atomic>
#include <expected>
#include <system_error>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::scan {

/// One directory holding at least one audio-looking entry.
struct DirectoryWork {
  std::string directory;           ///< relative to the library root, '/'-separated; "" = root
  std::vector<std::string> files;  ///< entry names (raw bytes, maybe not UTF-8), sorted
};

/// A directory the walk could not enter, or an entry it could not follow.
struct WalkError {
  std::string path;    ///< relative to the library root (raw bytes)
  std::string reason;
  /// True when the directory may still hold what we indexed before (permission or I/O error):
  /// its tracks must be kept. False when it is gone (removed mid-walk) or never was ours.
  bool keep_contents = false;
};

/// Which symbolic links a walk follows: a link whose target (every link in the chain resolved,
/// realpath(3)) is the library root or lies below it always; one whose target lies elsewhere
/// only when `follow_outside` (core::Library::follow_symlinks). A link that cannot be resolved
/// (dangling, or a loop) counts as inside: following it reaches nothing, and the walk or the
/// directory scan reports it with its reason. Immutable; any thread.
class LinkRule {
 public:
  /// `library_root`: the library's directory, resolved here once (it may itself be reached
  /// through links; a stored library path is canonical already).
  LinkRule(const std::string& library_root, bool follow_outside);

  /// True when the symbolic link at `link` (an absolute path) is to be followed.
  bool follows(const std::string& link) const;

  /// For a file a per-directory unit found in `directory` (an absolute path the rule let the
  /// scan reach): the symbolic link on its way that the rule does not follow, or nullopt when
  /// it may be opened. `name` is relative to `directory`, '/'-separated ("poster.jpg",
  /// "extrafanart/fanart1.jpg"); the result is the part of `name` up to and including that
  /// link ("extrafanart" when the subdirectory is the link). Costs one lstat(2) per component
  /// of `name` (none when every link is followed) and a realpath(3) only for links.
  std::optional<std::string> refused_link(const std::string& directory, std::string_view name) const;

 private:
  std::string root_;  ///< canonical, no trailing '/'
  bool follow_outside_;
};

struct WalkCallbacks {
  /// Called for each directory entered, before its entries are listed (for "current directory").
  std::function<void(const std::string& directory)> on_enter;
  std::function<void(DirectoryWork&& work)> on_directory;
  std::function<void(WalkError&& error)> on_error;
  /// A symbolic link (to a directory or an audio-looking file; `path` relative to the walk's
  /// root) that LinkRule says not to follow.
  std::function<void(const std::string& path)> on_link_skipped;
};

/// Walks `root` (an existing directory: the library root or a directory below it), following
/// links as `links` says. Throws std::filesystem::filesystem_error only when the root itself
/// cannot be opened; everything below is reported through on_error.
void walk_library(const std::filesystem::path& root, const std::atomic<bool>& cancelled,
                  const WalkCallbacks& callbacks, const LinkRule& links);

/// The audio-looking entries of one directory, by the walk's rules (not hidden, not a
/// directory, an audio extension; links followed as `links` says, dangling ones listed),
/// sorted: what a directory-scan job lists again when it runs, since the directory may have
/// changed since discovery. The error (ENOENT: the directory is gone) when it cannot be listed.
std::expected<std::vector<std::string>, std::error_code> list_audio_files(
    const std::filesystem::path& directory, const LinkRule& links);

}  // namespace scanhub::scan
