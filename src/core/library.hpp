#pragma once
// A library: a directory tree of one kind of media.

#include "core/ids.hpp"
#include "core/time.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace scanhub::core {

enum class LibraryType { music, movie };
std::string_view to_string(LibraryType type) noexcept;  ///< "music" | "movie"
std::optional<LibraryType> parse_library_type(std::string_view text) noexcept;

struct Library {
  LibraryId id = 0;
  std::string path;  ///< absolute, normalized, no trailing slash
  std::string name;  ///< shown to people; defaults to the directory's name
  LibraryType type = LibraryType::music;
  /// Whether the walk follows symbolic links whose targets lie outside `path` (those inside
  /// are always followed); off unless the library says so (scan/walker.hpp).
  bool follow_symlinks = false;
  TimePoint created_at{};
  std::optional<TimePoint> last_scan_at;
};

}  // namespace scanhub::core
