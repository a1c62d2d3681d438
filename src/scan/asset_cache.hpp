#pragma once
// The content-addressed asset cache behind issue 4's cache-asset job (seed 002, "Phase 3: Asset
// Caching" and the `cache-asset` job type: hash the asset with SHA-256, copy it into the cache,
// store each content once). Pure file work: the caller records the returned cache path in the
// database, after store() returned (store() has then made the file durable).
//
// Layout (decided here; seed 002's `{entityType}/{entityId}/{assetType}_{hash}.ext` names one
// file per entity, which cannot store an identical poster of two movies once):
//
//   ROOT/ab/cd/abcd0123...<64 hex digits>.jpg
//
// `ab` and `cd` are the first two bytes of the SHA-256 in lower-case hex (at most 65,536
// directories, so none grows large), the name is the whole hash plus the source's extension,
// lower-cased (only [a-z0-9], at most 10 characters; none otherwise), so the file can be served
// with a content type. Content is stored once whatever the extension: a later store of the same
// bytes as `.jpeg` returns the existing `.jpg` file. ROOT/.incoming/ holds named temporary files
// only on filesystems without O_TMPFILE.
//
// Crash safety: a new file is written as an unnamed O_TMPFILE inode in ROOT and given its final
// name with linkat() only when complete, so no crash ever leaves a partial file under a final
// name, and a crash mid-copy leaves nothing at all (the kernel frees the inode). linkat() never
// replaces an existing name, which also settles concurrent stores of the same content, in this
// process or another: the first name wins, the others report `deduplicated`. Where O_TMPFILE is
// unsupported, a named temporary in ROOT/.incoming/ is linked the same way and removed on every
// path out; ones left by a crash are deleted when an AssetCache is next opened (older than an
// hour).
//
// Durability (AssetCacheOptions::sync, on by default): fdatasync() of the new file before it is
// linked (after a power loss a final name never points to unwritten blocks), then fsync() of its
// directory (and of ROOT or ROOT/ab when they were created) before store() returns, so a cache
// path recorded in the database afterwards survives a power loss. A deduplicated store writes
// nothing durable: it relies on the store that created the file.

#include "lib/crypto/file_digest.hpp"
#include "lib/crypto/sha256.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>

namespace scanhub::scan {

enum class AssetStoreOutcome {
  newly_stored,  ///< these bytes were not in the cache; store() wrote them
  deduplicated,  ///< identical content was already cached; nothing was written
  repaired,      ///< a cached file with this hash had the wrong size; it was replaced whole
};

struct StoredAsset {
  crypto::Sha256Digest sha256{};
  std::string sha256_hex;               ///< 64 lower-case hex digits
  std::uint64_t size = 0;               ///< bytes
  std::filesystem::path path;           ///< ROOT / relative_path
  std::filesystem::path relative_path;  ///< "ab/cd/<sha256_hex>.jpg": what the database records
  AssetStoreOutcome outcome = AssetStoreOutcome::newly_stored;
};

struct AssetCacheOptions {
  bool sync = true;  ///< fdatasync new files and fsync their directories (see the header comment)
  std::size_t buffer_size = crypto::kDefaultReadBufferSize;  ///< bytes per read() of a source
  /// False forces the named-temporary path used where O_TMPFILE is unsupported (for tests).
  bool use_tmpfile = true;
  /// False skips the FICLONE (reflink) attempt and always copies with read()/write().
  bool use_reflink = true;
  /// Called by store() between "is it cached?" and creating the name, with the per-hash lock
  /// held, so a test can stall one store there and show that a concurrent one waits.
  std::function<void()> before_link_for_test{};
};

enum class AssetVerifyStatus {
  intact,   ///< the cached file's SHA-256 equals its name
  missing,  ///< no cached file for this hash
  corrupt,  ///< the cached file's content no longer matches its name (left in place)
};

struct AssetVerification {
  AssetVerifyStatus status = AssetVerifyStatus::missing;
  std::optional<std::filesystem::path> path;   ///< the cached file, unless missing
  std::optional<crypto::Sha256Digest> actual;  ///< the content's SHA-256, unless missing
};

/// One cache root. Thread-safe: any number of threads may call any member at once (workers run
/// cache-asset jobs in parallel); every call blocks on disk, so never call it on a network thread.
class AssetCache {
 public:
  /// Creates ROOT (and parents) if missing and deletes stale temporaries in ROOT/.incoming.
  /// Throws std::filesystem::filesystem_error if ROOT cannot be created.
  explicit AssetCache(std::filesystem::path root, AssetCacheOptions options = {});

  /// Hashes `source` and, unless the same content is cached already, copies it in. A cached
  /// file whose name matches but whose size does not is damaged: it is replaced (atomically)
  /// rather than returned, and the outcome says `repaired`. Reads the
  /// source once: the hash is computed from the very bytes that are written (or, where the
  /// filesystem can reflink the source into the cache, from the clone), so a source changing
  /// meanwhile can never be cached under a hash that is not its content. Returns the hash, size,
  /// cache path and the outcome (newly stored, deduplicated, repaired), or a FileError naming the
  /// source (missing, permission denied, a directory, not a regular file, read error) or the
  /// cache file (write error, no space, sync error). On an error nothing is left in the cache.
  /// Throws crypto::Error only if OpenSSL fails, std::bad_alloc on exhaustion.
  std::expected<StoredAsset, crypto::FileError> store(const std::filesystem::path& source);

  /// store() for content that is not a file of its own: a picture embedded in an audio file
  /// (issue 4 "embedded pictures" as album art; the cache-asset job extracts the bytes with
  /// TagLib and passes them here). `extension` is what the cached name ends with (".jpg", or ""
  /// for none; cache_extension's rules). Hashes, deduplicates and links exactly as store()
  /// does; errors (write, no space, sync) name the cache file.
  std::expected<StoredAsset, crypto::FileError> store_bytes(std::span<const std::byte> bytes,
                                                            const std::string& extension);

  /// The cached file holding content with this hash, if any (any extension).
  std::optional<std::filesystem::path> find(const crypto::Sha256Digest& sha256) const;

  /// The directory a file with this hash lives in (ROOT/ab/cd), whether or not it exists.
  std::filesystem::path directory_for(const crypto::Sha256Digest& sha256) const;

  /// Re-reads the cached file for `sha256` and compares its content with its name. Returns the
  /// verdict, or a FileError when the cached file exists but cannot be read.
  std::expected<AssetVerification, crypto::FileError> verify(
      const crypto::Sha256Digest& sha256) const;

  const std::filesystem::path& root() const noexcept { return root_; }

  /// The extension a source gets in the cache: ".jpg" for "Poster.JPG", "" when it has none or
  /// it is longer than 10 characters or not [A-Za-z0-9].
  static std::string cache_extension(const std::filesystem::path& source);

 private:
  /// Writes the temporary file with `fill` (given its descriptor and label; fill hashes what
  /// it writes and counts the bytes), then names it in the cache (the shared half of store()
  /// and store_bytes()).
  using FillFn = std::function<std::expected<void, crypto::FileError>(
      int fd, const std::filesystem::path& label, crypto::Sha256& hasher, std::uint64_t& size)>;
  std::expected<StoredAsset, crypto::FileError> store_filled(const FillFn& fill,
                                                             const std::string& extension);

  std::mutex& stripe_for(const crypto::Sha256Digest& sha256) const noexcept;

  std::filesystem::path root_;
  AssetCacheOptions options_;
  std::atomic<bool> tmpfile_supported_{true};
  // Serialises "is it cached? if not, link it" per hash within the process, so two threads
  // storing the same bytes under different extensions still create one file. 64 stripes keep
  // unrelated hashes mostly apart; the lock is held for a directory listing and a link only.
  mutable std::array<std::mutex, 64> stripes_;
};

}  // namespace scanhub::scan
