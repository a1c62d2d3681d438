#include "scan/movie_directory.hpp"

#include "core/text.hpp"
#include "media/movie_files.hpp"
#include "media/nfo.hpp"
#include "media/tag_reader.hpp"
#include "media/video_probe.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <system_error>

namespace scanhub::scan {

namespace {

namespace fs = std::filesystem;

std::optional<core::FileStamp> stat_file(const fs::path& path, std::string& reason) {
  struct ::stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    reason = std::error_code(errno, std::generic_category()).message();
    return std::nullopt;
  }
  return core::FileStamp{static_cast<std::int64_t>(st.st_size),
                         static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                             st.st_mtim.tv_nsec};
}

std::string join(const std::string& directory, const std::string& name) {
  return directory.empty() ? name : directory + "/" + name;
}

void add_error(MovieDirectoryResult& result, std::string path, MovieErrorKind kind,
               std::string reason) {
  result.errors.push_back({core::to_valid_utf8(path), kind, std::move(reason)});
  ++result.counters.errors_count;
}

core::MovieStreams to_streams(const media::VideoInfo& info) {
  core::MovieStreams streams;
  streams.container = info.container;
  streams.duration_ms = info.duration_ms;
  streams.bit_rate = info.bit_rate;
  if (!info.video.empty()) {
    const auto& v = info.video.front();
    streams.video_codec = v.codec;
    streams.video_width = v.width;
    streams.video_height = v.height;
    streams.video_frame_rate = v.frame_rate;
    streams.video_hdr = v.hdr;
  }
  for (const auto& a : info.audio) {
    streams.audio.push_back({a.codec, a.channels, a.channel_layout, a.sample_rate, a.language,
                             a.title, a.is_default, a.is_forced});
  }
  for (const auto& s : info.subtitles) {
    streams.subtitles.push_back(
        {s.codec, s.language, s.title, s.is_default, s.is_forced, s.is_hearing_impaired});
  }
  return streams;
}

core::MovieMetadata to_metadata(const std::optional<media::MovieNfo>& nfo,
                                const media::MovieFiles& files, const std::string& name) {
  core::MovieMetadata m;
  if (nfo) {
    m.title = nfo->title.value_or("");
    m.original_title = nfo->original_title;
    m.sort_title = nfo->sort_title;
    if (nfo->year) m.year = *nfo->year;
    m.premiered = nfo->premiered;
    m.plot = nfo->plot;
    if (nfo->runtime_minutes) m.runtime_minutes = *nfo->runtime_minutes;
    m.genres = nfo->genres;
    m.tmdb_id = nfo->tmdb_id;
    m.imdb_id = nfo->imdb_id;
  }
  // Kodi names a movie without a usable .nfo title after its directory ("Title (Year)").
  if (m.title.empty()) m.title = files.title_from_name.value_or(core::to_valid_utf8(name));
  if (!m.year && files.year_from_name) m.year = *files.year_from_name;
  return m;
}

void discover_assets(MovieDirectoryResult& result, const fs::path& absolute,
                     const media::MovieFiles& files) {
  const auto add = [&](const std::string& name, core::AssetKind kind,
                       std::optional<std::string> language, bool forced) {
    std::string reason;
    const auto stamp = stat_file(absolute / name, reason);
    if (!stamp) return;  // vanished since the listing: nothing to cache
    core::ItemAsset asset;
    asset.kind = kind;
    asset.source_path = join(result.directory, name);
    asset.stamp = *stamp;
    asset.language = std::move(language);
    asset.is_forced = forced;
    result.assets.push_back(std::move(asset));
  };
  for (const auto& asset : files.assets) {
    // media::to_string spells every MovieAssetKind as core::AssetKind does.
    add(asset.name, core::parse_asset_kind(media::to_string(asset.kind)).value_or(core::AssetKind::poster),
        std::nullopt, false);
  }
  for (const auto& trailer : files.trailers) add(trailer, core::AssetKind::trailer, std::nullopt, false);
  for (const auto& subtitle : files.subtitles) {
    add(subtitle.name, core::AssetKind::subtitle, subtitle.language, subtitle.is_forced);
  }
  result.assets_discovered = true;
}

// Drops from `entries` the files reached through a symbolic link out of the library that
// `links` does not follow: they are never stat'ed again, opened, hashed or cached. Returns how
// many such links the directory would have used (its video, .nfo, an asset, a trailer or a
// subtitle; counted once per link, as the walk counts them), for the scan's symlinks_skipped.
std::int64_t drop_links_out(std::vector<media::MovieDirectoryEntry>& entries,
                            std::string_view directory_name, const std::string& absolute,
                            const LinkRule& links) {
  std::map<std::string, std::string> refused;  // entry name -> the link it lies behind
  for (const auto& entry : entries) {
    if (auto link = links.refused_link(absolute, entry.name)) refused.emplace(entry.name, std::move(*link));
  }
  if (refused.empty()) return 0;
  // Names only: classifying opens nothing, and tells which refused files would have been used.
  const media::MovieFiles would = media::classify_movie_directory(directory_name, entries);
  std::set<std::string> used_links;
  const auto use = [&](const std::string& name) {
    if (const auto it = refused.find(name); it != refused.end()) used_links.insert(it->second);
  };
  if (would.video) use(*would.video);
  if (would.disc_stream) use(*would.disc_stream);
  if (would.nfo) use(*would.nfo);
  for (const auto& part : would.parts) use(part);
  for (const auto& asset : would.assets) use(asset.name);
  for (const auto& trailer : would.trailers) use(trailer);
  for (const auto& subtitle : would.subtitles) use(subtitle.name);
  std::erase_if(entries, [&](const media::MovieDirectoryEntry& e) { return refused.contains(e.name); });
  return static_cast<std::int64_t>(used_links.size());
}

// Files of a directory that is no movie are no assets (make-library's "no-video" rule).
void forget_assets(MovieDirectoryResult& result) {
  result.assets.clear();
  result.assets_discovered = false;
}

}  // namespace

std::string_view to_string(MovieErrorKind kind) noexcept {
  switch (kind) {
    case MovieErrorKind::broken_nfo: return "broken-nfo";
    case MovieErrorKind::not_video: return "not-video";
    case MovieErrorKind::zero_byte: return "zero-byte";
    case MovieErrorKind::no_video: return "no-video";
    case MovieErrorKind::unreadable: return "unreadable";
    case MovieErrorKind::cache_failed: return "cache-failed";
  }
  return "unreadable";
}

MovieDirectoryResult scan_movie_directory(const fs::path& library_root, core::LibraryId library,
                                          const std::string& directory,
                                          const store::IndexedMovie* stored,
                                          const core::ScanOptions& options,
                                          const LinkRule& links, const av::ProbeLimits& limits) {
  MovieDirectoryResult result;
  result.library_root = library_root;
  result.library_id = library;
  result.directory = directory;
  result.counters.directories_scanned = 1;

  const fs::path absolute = directory.empty() ? library_root : library_root / directory;
  const std::string name = directory.empty() ? library_root.filename().string()
                                             : fs::path(directory).filename().string();

  std::vector<media::MovieDirectoryEntry> entries;
  try {
    entries = media::list_movie_directory(absolute);
  } catch (const fs::filesystem_error& e) {
    // A stored movie is kept: the directory may come back (a share that is offline).
    add_error(result, directory, MovieErrorKind::unreadable, e.code().message());
    return result;
  }
  result.counters.symlinks_skipped = drop_links_out(entries, name, absolute.string(), links);
  const media::MovieFiles files = media::classify_movie_directory(name, entries);
  if (!files.video) {
    add_error(result, directory, MovieErrorKind::no_video, "no video file in the directory");
    if (stored) result.removed_movie = stored->id;
    return result;
  }

  const std::string video_path = join(directory, *files.video);
  std::string reason;
  const auto stamp = stat_file(absolute / *files.video, reason);
  if (!stamp) {
    add_error(result, video_path, MovieErrorKind::unreadable, reason);
    return result;
  }
  const std::optional<std::string> nfo_path =
      files.nfo ? std::optional(join(directory, *files.nfo)) : std::nullopt;
  std::optional<std::int64_t> nfo_mtime_ns;
  if (files.nfo) {
    if (const auto nfo_stamp = stat_file(absolute / *files.nfo, reason)) {
      nfo_mtime_ns = nfo_stamp->mtime_ns;
    }
  }

  // Assets are listed before deciding "unchanged": a new poster alone must reach the database
  // (a watcher's rescan of the directory is for exactly that).
  if (!options.skip_asset_discovery) discover_assets(result, absolute, files);
  const auto same_assets = [&] {
    if (!result.assets_discovered) return true;
    if (result.assets.size() != stored->assets.size()) return false;
    std::vector<std::pair<std::string, core::FileStamp>> found;
    for (const auto& asset : result.assets) found.emplace_back(asset.source_path, asset.stamp);
    std::sort(found.begin(), found.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    return found == stored->assets;
  };
  if (stored && stored->video_path == video_path && stored->stamp == *stamp &&
      stored->nfo_path == nfo_path && stored->nfo_mtime_ns == nfo_mtime_ns && same_assets() &&
      (stored->has_streams || options.skip_ffprobe)) {
    forget_assets(result);
    result.unchanged = true;
    result.counters.movies_found = 1;
    if (stored->nfo_error && nfo_path) {
      add_error(result, *nfo_path, MovieErrorKind::broken_nfo, *stored->nfo_error);
    }
    return result;
  }

  if (stamp->size == 0) {
    add_error(result, video_path, MovieErrorKind::zero_byte, "the video file is empty");
    forget_assets(result);
    return result;
  }

  core::Movie movie;
  movie.id = stored ? stored->id : 0;
  movie.library_id = library;
  movie.directory = directory;
  movie.video_path = video_path;
  movie.stamp = *stamp;
  movie.nfo_path = nfo_path;
  movie.nfo_mtime_ns = nfo_mtime_ns;

  if (options.skip_ffprobe) {
    result.keep_stored_streams =
        stored && stored->video_path == video_path && stored->stamp == *stamp;
  } else {
    // A disc folder's index file is no stream; its largest stream file stands for it.
    const std::string probed = files.disc ? files.disc_stream.value_or(*files.video) : *files.video;
    try {
      movie.streams = to_streams(media::probe_video(absolute / probed, limits));
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const media::ReadCancelled&) {
      // A probe cut short by the scan's cancellation says nothing about the file.
      throw ScanCancelled(directory);
    } catch (const std::exception& e) {
      if (limits.stop.stop_requested()) throw ScanCancelled(directory);
      // A stored movie stays as it was: the file may be mid-copy.
      add_error(result, join(directory, probed), MovieErrorKind::not_video, e.what());
      forget_assets(result);
      return result;
    }
  }

  std::optional<media::MovieNfo> nfo;
  if (files.nfo) {
    auto parsed = media::read_movie_nfo(absolute / *files.nfo);
    if (parsed) {
      nfo = std::move(parsed->movie);
    } else {
      movie.nfo_error = parsed.error().message;
      add_error(result, *nfo_path, MovieErrorKind::broken_nfo, parsed.error().message);
    }
  }
  movie.metadata = to_metadata(nfo, files, name);

  result.counters.movies_found = 1;
  (stored ? result.counters.movies_updated : result.counters.movies_new) = 1;
  result.movie = std::move(movie);
  return result;
}

store::AssetContent asset_content(const StoredAsset& stored) {
  store::AssetContent content;
  content.sha256 = stored.sha256_hex;
  content.size = static_cast<std::int64_t>(stored.size);
  content.cache_path = stored.relative_path.generic_string();
  std::string extension = stored.relative_path.extension().string();
  if (!extension.empty()) extension.erase(0, 1);
  content.mime_type = store::mime_type_for_extension(extension);
  content.extension = std::move(extension);
  return content;
}

void cache_movie_assets(MovieDirectoryResult& result, AssetCache& cache) {
  for (auto& asset : result.assets) {
    if (asset.sha256) continue;
    auto stored = cache.store(result.library_root / asset.source_path);
    if (!stored) {
      add_error(result, asset.source_path, MovieErrorKind::cache_failed, stored.error().message);
      continue;
    }
    store::AssetContent content = asset_content(*stored);
    asset.sha256 = content.sha256;
    asset.cache_path = content.cache_path;
    result.cached_contents.push_back(std::move(content));
    ++result.counters.assets_cached;
  }
}

void MovieDirectoryResult::apply(store::Connection& connection, std::optional<core::ScanId> scan,
                                 core::TimePoint now) {
  if (removed_movie) connection.movies.remove(*removed_movie);
  counters.assets_queued = 0;
  if (movie) {
    if (movie->id == 0) {
      movie->id = connection.movies.insert(*movie, now);
    } else if (!connection.movies.update(*movie, now, keep_stored_streams)) {
      // Deleted since the index was read (the library was rescanned meanwhile): insert again.
      movie->id = connection.movies.insert(*movie, now);
    }
    if (assets_discovered) {
      for (const auto& content : cached_contents) connection.assets.record_content(content, now);
      connection.assets.sync_owner(core::AssetOwnerKind::movie, movie->id, assets);
      // Each asset not cached before is one cache-asset job (seed 002 assets_queued): those
      // still without a hash, and those cache_movie_assets cached inline (queued and cached at
      // once). Unchanged files cached by an earlier scan kept their hash and count in neither.
      counters.assets_queued = counters.assets_cached;
      if (queue_assets) {
        for (const auto& asset : assets) counters.assets_queued += asset.sha256 ? 0 : 1;
      }
    }
  }
  if (!scan) return;
  std::optional<std::string> last_error;
  for (const auto& error : errors) {
    std::string reason = std::string(to_string(error.kind)) + ": " + error.reason;
    connection.scans.add_error(*scan, {error.path, reason}, now);
    last_error = error.path + ": " + reason;
  }
  connection.scans.add_counters(*scan, counters, "Scanned " + core::to_valid_utf8(directory),
                                last_error);
}

}  // namespace scanhub::scan
