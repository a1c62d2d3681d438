#pragma once
// A directory's fingerprint: what a rescan compares to know, without a job, that a directory
// is as its last scan left it (issue 4's no-change rescan; MPD and Jellyfin skip unchanged files
// by modification time the same way, we do it per directory so that the queue holds a
// directory-scan job only where something changed).

#include <expected>
#include <filesystem>
#include <string>
#include <system_error>

namespace scanhub::scan {

/// The SHA-256 (64 hexadecimal characters) of `directory`'s visible entries (names not starting with '.'),
/// sorted by name: each entry's raw name, whether it is a directory, and for anything else its
/// size in bytes and modification time in nanoseconds (links followed; a dangling link counts by
/// name and the reason it cannot be followed). Sub-directories count by name only: their
/// contents are their own directories'. Equal fingerprints mean the same audio files with the
/// same stamps and the same art and NFO files, so a directory-scan would find nothing new.
/// The error (errno) when the directory cannot be listed.
std::expected<std::string, std::error_code> directory_fingerprint(const std::filesystem::path& directory);

}  // namespace scanhub::scan
