// The traps of a generated library: files a scanner must report as errors, and audio-looking
// files it must ignore silently.
//
// Called once from the main thread after the tracks are written. Throws std::runtime_error
// (std::filesystem::filesystem_error included) when a file cannot be created.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "plan.hpp"
#include "templates.hpp"

namespace scanhub::make_library {

/// One manifest "errors" entry.
struct ErrorEntry {
  std::string path;  ///< raw bytes relative to the root; not valid UTF-8 for "non-utf8-name"
  std::string kind;  ///< "zero-byte", "not-audio", "truncated", "corrupt", "fifo",
                     ///< "dangling-symlink", "symlink-loop", "non-utf8-name"
};

/// Writes under root/Bad/: a zero-byte .mp3, a text .mp3, a .flac cut inside STREAMINFO, a .m4a
/// cut before its moov box, an .ogg of "OggS" plus garbage, a FIFO .mp3, a dangling .flac symlink,
/// Loop/up -> .. (a directory cycle), and a valid mp3 whose name holds the byte 0xE9.
std::vector<ErrorEntry> write_bad_files(const std::filesystem::path& root,
                                        const TemplateSet& templates);

/// Writes valid audio that a correct scanner skips: .hidden/ (a hidden directory), a directory
/// holding a .scanignore file, and ._junk.mp3 (AppleDouble bytes) in the first album.
/// Returns the relative paths of the audio-extension files among them.
std::vector<std::string> write_ignored_files(const std::filesystem::path& root,
                                             const TemplateSet& templates, const LibraryPlan& plan);

}  // namespace scanhub::make_library
