#include "core/library.hpp"

namespace scanhub::core {

std::string_view to_string(LibraryType type) noexcept {
  return type == LibraryType::movie ? "movie" : "music";
}

std::optional<LibraryType> parse_library_type(std::string_view text) noexcept {
  if (text == "music") return LibraryType::music;
  if (text == "movie") return LibraryType::movie;
  return std::nullopt;
}

}  // namespace scanhub::core
