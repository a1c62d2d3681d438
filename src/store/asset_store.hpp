#pragma once
// The assets and item_assets tables (schema migration 3): seed 002 phase 3 "Asset Caching"
// (store cache_path in the database; dedup: one row per content) and issue 4's cache-asset.
// `assets` holds each cached content once, keyed by SHA-256; `item_assets` says which library
// item has which local file and, once cached, which content it is.
// Not thread-safe: one instance per connection (see store/store.hpp). Throws sqlite::Error.

#include "core/movie.hpp"
#include "core/time.hpp"
#include "lib/sqlite/statement.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scanhub::store {

/// One content of the asset cache.
struct AssetContent {
  std::string sha256;      ///< 64 lower-case hex digits
  std::int64_t size = 0;   ///< bytes
  std::string cache_path;  ///< relative to the cache root: "ab/cd/<sha256>.jpg"
  std::optional<std::string> mime_type;  ///< from the extension: "image/jpeg"; none if unknown
  std::string extension;   ///< "jpg", "" when none (scan::AssetCache::cache_extension)

  bool operator==(const AssetContent&) const = default;
};

/// The MIME type scanhub serves a cached file with, by its lower-case extension ("jpg" ->
/// "image/jpeg", "srt" -> "application/x-subrip", "mp4" -> "video/mp4"); nullopt if unknown.
std::optional<std::string> mime_type_for_extension(std::string_view extension);

class AssetStore {
 public:
  explicit AssetStore(sqlite::Database& db) : db_(db) {}

  /// Makes `owner`'s stored asset list equal `assets` (matched by source_path): rows not in the
  /// list are deleted, the others inserted or updated. A row keeps its sha256 when the asset
  /// has none and its size and mtime are those stored (the same file, cached before); an asset
  /// with a sha256 (cached before this call) must have its content recorded with
  /// record_content first. Fills each asset's id, owner and (when kept) sha256 and cache_path.
  /// Returns how many of `assets` were already cached before the call (kept a stored sha256).
  std::int64_t sync_owner(core::AssetOwnerKind owner_kind, std::int64_t owner_id,
                          std::vector<core::ItemAsset>& assets);

  /// Inserts the content unless a row with its sha256 exists (the first cache path stays).
  /// Returns true when inserted.
  bool record_content(const AssetContent& content, core::TimePoint now);
  /// What a cache-asset job commits: records `content` and points item asset `id` at it.
  /// False when the item asset is gone (its owner was deleted meanwhile).
  bool set_cached(core::ItemAssetId id, const AssetContent& content, core::TimePoint now);

  /// Assets of one owner ordered by source_path, with cache_path filled when cached.
  std::vector<core::ItemAsset> list_for_owner(core::AssetOwnerKind owner_kind,
                                              std::int64_t owner_id);
  /// Item assets still to cache (sha256 NULL), oldest first, at most `limit`.
  std::vector<core::ItemAsset> list_uncached(int limit);
  /// Every cached content ordered by sha256.
  std::vector<AssetContent> list_contents();
  std::optional<AssetContent> find_content(const std::string& sha256);

 private:
  sqlite::Database& db_;
  std::optional<sqlite::Statement> upsert_;
  // sync_owner runs once per album or movie of a scan: its statements are prepared once.
  std::optional<sqlite::Statement> owner_paths_;
  std::optional<sqlite::Statement> remove_;
  std::optional<sqlite::Statement> record_content_;
};

}  // namespace scanhub::store
