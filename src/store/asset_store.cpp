#include "store/asset_store.hpp"

#include <array>
#include <unordered_set>
#include <utility>

namespace scanhub::store {

namespace {

constexpr const char* kSelectItem =
    "SELECT i.id, i.owner_kind, i.owner_id, i.kind, i.source_path, i.size, i.mtime_ns, "
    "i.language, i.forced, i.sha256, a.cache_path FROM item_assets i "
    "LEFT JOIN assets a ON a.sha256 = i.sha256 ";

core::ItemAsset read_item(const sqlite::Statement& s) {
  core::ItemAsset asset;
  asset.id = s.column_int64(0);
  // The CHECK constraints admit only names these parse.
  asset.owner_kind = core::parse_asset_owner_kind(s.column_text(1)).value_or(core::AssetOwnerKind::movie);
  asset.owner_id = s.column_int64(2);
  asset.kind = core::parse_asset_kind(s.column_text(3)).value_or(core::AssetKind::poster);
  asset.source_path = s.column_string(4);
  asset.stamp = {s.column_int64(5), s.column_int64(6)};
  asset.language = s.column_optional_string(7);
  asset.is_forced = s.column_int64(8) != 0;
  asset.sha256 = s.column_optional_string(9);
  asset.cache_path = s.column_optional_string(10);
  return asset;
}

AssetContent read_content(const sqlite::Statement& s) {
  return AssetContent{s.column_string(0), s.column_int64(1), s.column_string(2),
                      s.column_optional_string(3), s.column_string(4)};
}

}  // namespace

std::optional<std::string> mime_type_for_extension(std::string_view extension) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 17> kTypes{{
      {"jpg", "image/jpeg"},        {"jpeg", "image/jpeg"},     {"png", "image/png"},
      {"webp", "image/webp"},       {"gif", "image/gif"},       {"tbn", "image/jpeg"},
      {"srt", "application/x-subrip"}, {"vtt", "text/vtt"},     {"ass", "text/x-ssa"},
      {"ssa", "text/x-ssa"},        {"mp4", "video/mp4"},       {"m4v", "video/mp4"},
      {"mkv", "video/x-matroska"},  {"webm", "video/webm"},     {"mov", "video/quicktime"},
      {"avi", "video/x-msvideo"},   {"sup", "application/octet-stream"},
  }};
  for (const auto& [ext, type] : kTypes) {
    if (ext == extension) return std::string(type);
  }
  return std::nullopt;
}

std::int64_t AssetStore::sync_owner(core::AssetOwnerKind owner_kind, std::int64_t owner_id,
                                    std::vector<core::ItemAsset>& assets) {
  if (!upsert_) {
    // All right-hand sides of DO UPDATE read the stored row's old values, so the CASE compares
    // the old stamp with the new one.
    upsert_.emplace(
        db_,
        "INSERT INTO item_assets (owner_kind, owner_id, kind, source_path, size, mtime_ns, "
        "language, forced, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (owner_kind, owner_id, source_path) DO UPDATE SET "
        "kind = excluded.kind, language = excluded.language, forced = excluded.forced, "
        "sha256 = CASE WHEN excluded.sha256 IS NOT NULL THEN excluded.sha256 "
        "WHEN item_assets.size = excluded.size AND item_assets.mtime_ns = excluded.mtime_ns "
        "THEN item_assets.sha256 ELSE NULL END, "
        "size = excluded.size, mtime_ns = excluded.mtime_ns "
        "RETURNING id, sha256, (SELECT cache_path FROM assets WHERE assets.sha256 = item_assets.sha256)");
  }
  const std::string owner(core::to_string(owner_kind));
  std::int64_t kept = 0;
  std::unordered_set<std::string> paths;
  for (auto& asset : assets) {
    const bool had_hash = asset.sha256.has_value();
    asset.owner_kind = owner_kind;
    asset.owner_id = owner_id;
    sqlite::Statement::Scope scope(*upsert_);
    upsert_->bind(1, owner).bind(2, owner_id).bind(3, core::to_string(asset.kind));
    upsert_->bind(4, asset.source_path).bind(5, asset.stamp.size).bind(6, asset.stamp.mtime_ns);
    upsert_->bind(7, asset.language).bind(8, asset.is_forced ? 1 : 0).bind(9, asset.sha256);
    if (upsert_->step()) {
      asset.id = upsert_->column_int64(0);
      asset.sha256 = upsert_->column_optional_string(1);
      asset.cache_path = upsert_->column_optional_string(2);
    }
    while (upsert_->step()) {
    }
    if (!had_hash && asset.sha256) ++kept;
    paths.insert(asset.source_path);
  }
  // Rows of files no longer found go; an owner has tens of assets, so a scan of them is cheap.
  if (!owner_paths_) {
    owner_paths_.emplace(db_, "SELECT id, source_path FROM item_assets WHERE owner_kind = ? AND owner_id = ?");
  }
  std::vector<core::ItemAssetId> gone;
  {
    sqlite::Statement::Scope scope(*owner_paths_);
    owner_paths_->bind(1, owner).bind(2, owner_id);
    while (owner_paths_->step()) {
      if (!paths.contains(std::string(owner_paths_->column_text(1)))) {
        gone.push_back(owner_paths_->column_int64(0));
      }
    }
  }
  if (!gone.empty() && !remove_) remove_.emplace(db_, "DELETE FROM item_assets WHERE id = ?");
  for (const auto id : gone) remove_->bind(1, id).run();
  return kept;
}

bool AssetStore::record_content(const AssetContent& content, core::TimePoint now) {
  if (!record_content_) {
    record_content_.emplace(db_,
                            "INSERT INTO assets (sha256, size, cache_path, mime_type, extension, "
                            "first_seen_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING");
  }
  sqlite::Statement::Scope scope(*record_content_);
  record_content_->bind(1, content.sha256).bind(2, content.size).bind(3, content.cache_path);
  record_content_->bind(4, content.mime_type).bind(5, content.extension);
  record_content_->bind(6, core::format_iso8601(now));
  while (record_content_->step()) {
  }
  return db_.changes() > 0;
}

bool AssetStore::set_cached(core::ItemAssetId id, const AssetContent& content, core::TimePoint now) {
  record_content(content, now);
  sqlite::Statement s(db_, "UPDATE item_assets SET sha256 = ? WHERE id = ?");
  s.bind(1, content.sha256).bind(2, id);
  while (s.step()) {
  }
  return db_.changes() > 0;
}

std::vector<core::ItemAsset> AssetStore::list_for_owner(core::AssetOwnerKind owner_kind,
                                                        std::int64_t owner_id) {
  sqlite::Statement s(db_, std::string(kSelectItem) +
                               "WHERE i.owner_kind = ? AND i.owner_id = ? ORDER BY i.source_path");
  s.bind(1, core::to_string(owner_kind)).bind(2, owner_id);
  std::vector<core::ItemAsset> assets;
  while (s.step()) assets.push_back(read_item(s));
  return assets;
}

std::vector<core::ItemAsset> AssetStore::list_uncached(int limit) {
  sqlite::Statement s(db_, std::string(kSelectItem) + "WHERE i.sha256 IS NULL ORDER BY i.id LIMIT ?");
  s.bind(1, limit);
  std::vector<core::ItemAsset> assets;
  while (s.step()) assets.push_back(read_item(s));
  return assets;
}

std::vector<AssetContent> AssetStore::list_contents() {
  sqlite::Statement s(db_,
                      "SELECT sha256, size, cache_path, mime_type, extension FROM assets ORDER BY sha256");
  std::vector<AssetContent> contents;
  while (s.step()) contents.push_back(read_content(s));
  return contents;
}

std::optional<AssetContent> AssetStore::find_content(const std::string& sha256) {
  sqlite::Statement s(db_,
                      "SELECT sha256, size, cache_path, mime_type, extension FROM assets WHERE sha256 = ?");
  s.bind(1, sha256);
  if (!s.step()) return std::nullopt;
  return read_content(s);
}

}  // namespace scanhub::store
