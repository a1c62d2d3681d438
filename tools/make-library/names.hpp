// Word pools for artist, album, track and genre names in generated libraries.
//
// Chosen to exercise a scanner: non-Latin scripts, combining-prone Latin letters, emoji,
// punctuation that needs URL escaping (# % ? &), and a '/' inside a tag value (which the file
// name cannot hold). Pure data; no state.
#pragma once

#include <span>
#include <string_view>

namespace scanhub::make_library::names {

/// Real-looking artist names that stress encodings and punctuation.
std::span<const std::string_view> notable_artists();
/// Halves of generated names ("Velvet" + "Harbor").
std::span<const std::string_view> adjectives();
std::span<const std::string_view> nouns();
/// Track titles that are not plain ASCII words.
std::span<const std::string_view> special_titles();
std::span<const std::string_view> genres();

}  // namespace scanhub::make_library::names
