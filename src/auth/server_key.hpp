#pragma once
// The server's own signing key, for the tokens POST /api/auth/login issues (HS256, issuer and
// audience "scanhub"). Created on first start: 32 bytes from OpenSSL's RAND, written base64url
// on one line to `auth.key` beside the database, mode 0600 (only the service's user may read
// it: whoever reads it can mint tokens for any user). Deleting the file signs every local user
// out at the next start.
//
// Called once at start-up on the main thread; blocks on the file system.

#include <cstdint>
#include <filesystem>
#include <vector>

namespace scanhub::auth {

/// `auth.key` in the database file's directory.
std::filesystem::path server_key_path(const std::filesystem::path& database);

/// The key in `path`, creating the file when missing (O_CREAT|O_EXCL with mode 0600, so two
/// processes starting at once agree on one key). Throws std::runtime_error with one line naming
/// the file: unreadable, not a key this function wrote (not 32 bytes of base64url), readable by
/// others (mode with group or other bits: fix with `chmod 600`), cannot be created.
std::vector<std::uint8_t> load_or_create_server_key(const std::filesystem::path& path);

}  // namespace scanhub::auth
