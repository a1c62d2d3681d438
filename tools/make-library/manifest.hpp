// The manifest: what a correct scan of the generated library must find (format: see the
// contract in README.md beside this file; "version": 1).
//
// Called once from the main thread after every file is written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bad_files.hpp"
#include "plan.hpp"

namespace scanhub::make_library {

struct ManifestInput {
  std::uint64_t seed = 0;
  const LibraryPlan* plan = nullptr;
  const TemplateSet* templates = nullptr;  ///< the cover bytes, hashed for the album art
  const std::vector<ErrorEntry>* errors = nullptr;
  const std::vector<std::string>* ignored = nullptr;
  int directories_with_audio = 0;
};

/// Writes the manifest as UTF-8 JSON, one track, error or album per line.
/// Throws std::runtime_error when the file cannot be written.
void write_manifest(const std::filesystem::path& path, const ManifestInput& input);

/// Counts directories under root (root included) holding at least one entry with an audio
/// extension, by walking the disk: symlinks are not followed (a symlink entry itself counts),
/// hidden entries (name starts with '.') are skipped, and so is every directory that holds a
/// .scanignore file. Throws std::filesystem::filesystem_error.
int count_directories_with_audio(const std::filesystem::path& root);

/// True for .mp3 .flac .ogg .oga .opus .m4a .mp4 .aac .wav .wv .ape .mpc .aiff .aif .wma,
/// compared case-insensitively.
bool has_audio_extension(std::string_view file_name);

/// `bytes` with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD.
std::string utf8_with_replacements(std::string_view bytes);
bool is_valid_utf8(std::string_view bytes);

}  // namespace scanhub::make_library
