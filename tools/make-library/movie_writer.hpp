// Writes a planned movie library to disk: directories, main videos (copies of the templates),
// .nfo files, assets and the bad directories.
//
// Called once from the main thread; movies are written in parallel, one directory per work item,
// so no two threads touch the same directory. Throws std::runtime_error
// (std::filesystem::filesystem_error included) when a file cannot be written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "movie_plan.hpp"
#include "movie_templates.hpp"

namespace scanhub::make_library {

/// Size and SHA-256 of one written asset file.
struct WrittenAsset {
  std::uintmax_t size = 0;
  std::string sha256;  ///< lower-case hex, 64 characters
};

/// Per movie (plan order), per asset (plan order).
using WrittenAssets = std::vector<std::vector<WrittenAsset>>;

/// Writes every movie of the plan under root, which must exist. Returns what was written.
WrittenAssets write_movie_library(const std::filesystem::path& root, const MovieLibraryPlan& plan,
                                  const MovieTemplateSet& templates, unsigned threads);

/// Writes the bad directories: a text file named .mkv ("not-video"), a zero-byte .mp4
/// ("zero-byte"), and a directory with a valid movie.nfo and poster.jpg but no video
/// ("no-video").
void write_bad_movie_directories(const std::filesystem::path& root, const MovieLibraryPlan& plan,
                                 const MovieTemplateSet& templates);

/// The bytes of one asset: the template with its marker embedded where the format allows
/// metadata (a JPEG COM segment after SOI, a PNG tEXt chunk after IHDR, an MP4 top-level
/// "free" box at the end), so every marked file stays a valid image or video.
std::string asset_bytes(const AssetPlan& asset, const MovieTemplateSet& templates);

/// SHA-256 of bytes as lower-case hex (OpenSSL EVP). Throws std::runtime_error.
std::string sha256_hex(std::string_view bytes);

}  // namespace scanhub::make_library
