#include "scan/album_art.hpp"

#include "core/text.hpp"
#include "media/album_art.hpp"
#include "media/tag_reader.hpp"
#include "scan/scan_service.hpp"

#include <boost/json.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <system_error>

namespace scanhub::scan {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kVariousArtists = "Various Artists";

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string join(const std::string& directory, const std::string& name) {
  return directory.empty() ? name : directory + "/" + name;
}

std::optional<core::FileStamp> stat_file(const std::string& path) {
  struct ::stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return core::FileStamp{static_cast<std::int64_t>(st.st_size),
                         static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                             st.st_mtim.tv_nsec};
}

// The most common value (ties: the first seen), ignoring absent and empty ones.
template <typename T>
std::optional<T> most_common(const std::vector<std::optional<T>>& values) {
  std::vector<std::pair<T, int>> counts;  // in first-seen order; albums have tens of tracks
  for (const auto& value : values) {
    if (!value) continue;
    if constexpr (std::is_same_v<T, std::string>) {
      if (value->empty()) continue;
    }
    auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == *value; });
    if (it == counts.end()) {
      counts.emplace_back(*value, 1);
    } else {
      ++it->second;
    }
  }
  if (counts.empty()) return std::nullopt;
  // max_element returns the first of equal maxima: the first seen wins a tie.
  return std::max_element(counts.begin(), counts.end(),
                          [](const auto& a, const auto& b) { return a.second < b.second; })
      ->first;
}

// Of a track's pictures, the one that stands for the album: the first front cover, else the
// first picture.
std::optional<int> album_picture(const std::vector<media::EmbeddedPicture>& pictures) {
  for (const auto& picture : pictures) {
    if (picture.type == media::PictureType::front_cover) return picture.index;
  }
  if (pictures.empty()) return std::nullopt;
  return pictures.front().index;
}

// The extension of an image by its first bytes, else by the MIME type the tag states.
std::string picture_extension(std::span<const std::uint8_t> bytes, const std::string& mime) {
  const auto starts = [&](std::initializer_list<std::uint8_t> magic, std::size_t at = 0) {
    if (bytes.size() < at + magic.size()) return false;
    return std::equal(magic.begin(), magic.end(), bytes.begin() + static_cast<std::ptrdiff_t>(at));
  };
  if (starts({0xFF, 0xD8, 0xFF})) return ".jpg";
  if (starts({0x89, 'P', 'N', 'G'})) return ".png";
  if (starts({'G', 'I', 'F', '8'})) return ".gif";
  if (starts({'R', 'I', 'F', 'F'}) && starts({'W', 'E', 'B', 'P'}, 8)) return ".webp";
  const std::string type = lower(mime);
  if (type == "image/jpeg" || type == "image/jpg") return ".jpg";
  if (type == "image/png") return ".png";
  return "";
}

bool same_art(const std::vector<store::AlbumArt>& found, const std::vector<store::AlbumArt>& stored) {
  const auto key = [](const store::AlbumArt& a) {
    return std::tuple(a.asset.source_path, a.asset.kind, a.source, a.asset.stamp.size, a.asset.stamp.mtime_ns);
  };
  if (found.size() != stored.size()) return false;
  std::vector<decltype(key(found.front()))> a;
  std::vector<decltype(key(found.front()))> b;
  for (const auto& piece : found) a.push_back(key(piece));
  for (const auto& piece : stored) b.push_back(key(piece));
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

core::NewJob cache_job(const store::AlbumArt& piece, const std::string& root, core::ScanId scan,
                       core::JobId parent) {
  return cache_asset_job(piece.asset, root, scan, parent, store::to_string(piece.source));
}

}  // namespace

std::optional<core::AssetKind> album_art_kind(std::string_view file_name) noexcept {
  struct Stem {
    std::string_view name;
    core::AssetKind kind;
  };
  static constexpr std::array<Stem, 7> kStems{{{"cover", core::AssetKind::cover},
                                               {"folder", core::AssetKind::cover},
                                               {"front", core::AssetKind::cover},
                                               {"album", core::AssetKind::cover},
                                               {"back", core::AssetKind::back},
                                               {"disc", core::AssetKind::disc},
                                               {"cd", core::AssetKind::disc}}};
  const auto dot = file_name.rfind('.');
  if (dot == std::string_view::npos || file_name.size() > 16) return std::nullopt;
  const auto equals = [](std::string_view text, std::string_view lowered) {
    return text.size() == lowered.size() &&
           std::equal(text.begin(), text.end(), lowered.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == b;
           });
  };
  const std::string_view extension = file_name.substr(dot + 1);
  if (!equals(extension, "jpg") && !equals(extension, "jpeg") && !equals(extension, "png")) {
    return std::nullopt;
  }
  for (const auto& stem : kStems) {
    if (equals(file_name.substr(0, dot), stem.name)) return stem.kind;
  }
  return std::nullopt;
}

store::Album summarize_album(std::span<const store::AlbumTrackTags> tracks) {
  std::vector<std::optional<std::string>> titles, album_artists, artists;
  std::vector<std::optional<std::int64_t>> years;
  for (const auto& track : tracks) {
    titles.push_back(track.album);
    album_artists.push_back(track.album_artist);
    artists.push_back(track.artist);
    years.push_back(track.year);
  }
  store::Album album;
  album.title = most_common(titles);
  album.year = most_common(years);
  album.track_count = static_cast<std::int64_t>(tracks.size());
  album.album_artist = most_common(album_artists);
  if (!album.album_artist) {
    // No album artist tag: the artist, if the tracks agree on one, else a compilation.
    bool differ = false;
    const auto artist = most_common(artists);
    for (const auto& other : artists) {
      if (other && !other->empty() && *other != *artist) differ = true;
    }
    album.album_artist = differ ? std::optional<std::string>(kVariousArtists) : artist;
  }
  return album;
}

AlbumDirectoryResult scan_album_directory(const std::string& library_root, core::LibraryId library,
                                          const std::string& directory,
                                          std::span<const std::string> audio_files,
                                          std::optional<store::StoredAlbum> stored,
                                          bool tracks_changed, const core::ScanOptions& options,
                                          const LinkRule& links, const media::ReadLimits& limits) {
  AlbumDirectoryResult result;
  result.library_id = library;
  result.library_root = library_root;
  result.directory = directory;
  result.stored = std::move(stored);
  if (options.skip_asset_discovery) {
    result.unchanged = result.stored && !tracks_changed;
    return result;
  }
  const std::string absolute = directory.empty() ? library_root : library_root + "/" + directory;

  // File art, best name first (media's order: cover, folder, front, album; then back, disc).
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(absolute, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!album_art_kind(name)) continue;
    if (links.refused_link(absolute, name)) {
      ++result.symlinks_skipped;  // out of the library: never stat'ed, hashed or cached
      continue;
    }
    names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> covers;
  std::vector<std::string> others;
  for (auto& name : names) {
    (album_art_kind(name) == core::AssetKind::cover ? covers : others).push_back(std::move(name));
  }
  // folder_art_names knows the same four cover names and extensions, and ranks them.
  names = media::folder_art_names(covers);
  names.insert(names.end(), others.begin(), others.end());
  bool has_cover_file = false;
  for (const auto& name : names) {
    const auto stamp = stat_file(absolute + "/" + name);
    if (!stamp) continue;  // a directory named cover.jpg, or gone since the listing
    store::AlbumArt piece;
    piece.asset.owner_kind = core::AssetOwnerKind::album;
    piece.asset.kind = *album_art_kind(name);
    piece.asset.source_path = join(directory, name);
    piece.asset.stamp = *stamp;
    has_cover_file = has_cover_file || piece.asset.kind == core::AssetKind::cover;
    result.art.push_back(std::move(piece));
  }

  if (!has_cover_file) {
    if (result.stored && !tracks_changed) {
      // The tracks are as stored, so their pictures are: no TagLib.
      const store::AlbumArt* kept = nullptr;
      for (const auto& piece : result.stored->art) {
        if (piece.source == store::AssetSource::embedded) kept = &piece;
      }
      if (kept) {
        store::AlbumArt piece;
        piece.asset.owner_kind = core::AssetOwnerKind::album;
        piece.asset.kind = kept->asset.kind;
        piece.asset.source_path = kept->asset.source_path;
        piece.asset.stamp = kept->asset.stamp;
        piece.source = store::AssetSource::embedded;
        result.art.push_back(std::move(piece));
      }
    } else {
      for (const auto& name : audio_files) {
        // A name that is not UTF-8 is no track (the track scan reports it), so not its art.
        if (!core::is_valid_utf8(name)) continue;
        const std::string path = absolute + "/" + name;
        try {
          if (!album_picture(media::read_embedded_pictures(path, limits))) continue;
        } catch (const media::ReadCancelled&) {
          throw;
        } catch (const std::exception&) {
          continue;  // the track scan reports an unreadable file
        }
        const auto stamp = stat_file(path);
        if (!stamp) continue;
        store::AlbumArt piece;
        piece.asset.owner_kind = core::AssetOwnerKind::album;
        piece.asset.kind = core::AssetKind::cover;
        piece.asset.source_path = join(directory, name);
        piece.asset.stamp = *stamp;
        piece.source = store::AssetSource::embedded;
        result.art.push_back(std::move(piece));
        break;
      }
    }
  }
  result.art_discovered = true;
  result.unchanged = result.stored && !tracks_changed && same_art(result.art, result.stored->art);
  return result;
}

std::vector<core::NewJob> AlbumDirectoryResult::apply(store::Connection& connection,
                                                      core::ScanId scan, core::JobId job,
                                                      bool caching, core::TimePoint now) const {
  std::vector<core::NewJob> jobs;
  if (unchanged) {
    // Art a past job could not cache (or that a cancelled scan left) is queued again.
    if (caching && stored && art_discovered) {
      for (const auto& piece : stored->art) {
        if (!piece.asset.sha256) jobs.push_back(cache_job(piece, library_root, scan, job));
      }
    }
    return jobs;
  }
  const auto tracks = connection.albums.directory_tracks(library_id, directory);
  if (tracks.empty()) {
    connection.albums.remove(library_id, directory);
    return jobs;
  }
  store::Album album = summarize_album(tracks);
  album.library_id = library_id;
  album.directory = directory;
  album.id = connection.albums.upsert(album, now);
  connection.albums.assign_tracks(album);
  if (!art_discovered) return jobs;

  std::vector<core::ItemAsset> assets;
  assets.reserve(art.size());
  for (const auto& piece : art) assets.push_back(piece.asset);
  connection.assets.sync_owner(core::AssetOwnerKind::album, album.id, assets);
  std::vector<store::AlbumArt> synced = art;
  for (std::size_t i = 0; i < synced.size(); ++i) synced[i].asset = assets[i];
  connection.albums.set_sources(synced);
  if (!caching) return jobs;
  for (const auto& piece : synced) {
    if (!piece.asset.sha256) jobs.push_back(cache_job(piece, library_root, scan, job));
  }
  return jobs;
}

std::expected<StoredAsset, crypto::FileError> cache_embedded_picture(
    AssetCache& cache, const fs::path& track, const media::ReadLimits& limits) {
  const auto gone = [&](const std::string& reason) {
    crypto::FileError error = crypto::make_file_error(
        track, std::make_error_code(std::errc::no_such_file_or_directory), "read the picture of");
    error.message = "cannot read the embedded picture of \"" + track.string() + "\": " + reason;
    return std::unexpected(std::move(error));
  };
  std::vector<std::uint8_t> bytes;
  std::string mime;
  try {
    const auto pictures = media::read_embedded_pictures(track, limits);
    const auto index = album_picture(pictures);
    if (!index) return gone("it holds no picture any more");
    mime = pictures[static_cast<std::size_t>(*index)].mime;
    bytes = media::read_embedded_picture_data(track, *index, limits);
  } catch (const media::ReadError& e) {
    return gone(e.what());
  }
  return cache.store_bytes(std::as_bytes(std::span(bytes)), picture_extension(bytes, mime));
}

}  // namespace scanhub::scan
