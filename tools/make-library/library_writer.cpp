#include "library_writer.hpp"

#include <map>
#include <utility>

#include "parallel.hpp"
#include "process.hpp"
#include "tagging.hpp"

namespace scanhub::make_library {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kTaglibChunkSize = 32;

// One unit of parallel work: either an ffmpeg process over tracks sharing a template, or a
// chunk of TagLib copies.
struct Task {
  TaggedBy tagged_by = TaggedBy::kTaglib;
  std::vector<const TrackPlan*> tracks;
};

std::vector<Task> make_tasks(const LibraryPlan& plan) {
  std::map<std::pair<Format, int>, std::vector<const TrackPlan*>> by_template;
  std::vector<const TrackPlan*> taglib_tracks;
  for (const TrackPlan& track : plan.tracks) {
    if (track.tagged_by == TaggedBy::kFfmpeg) {
      by_template[{track.format, track.variant}].push_back(&track);
    } else {
      taglib_tracks.push_back(&track);
    }
  }
  // ffmpeg batches first: they are the slowest items, and parallel_for claims in order.
  std::vector<Task> tasks;
  for (const auto& [key, tracks] : by_template) {
    for (std::size_t i = 0; i < tracks.size(); i += kFfmpegBatchSize) {
      const std::size_t end = std::min(tracks.size(), i + kFfmpegBatchSize);
      tasks.push_back({TaggedBy::kFfmpeg, {tracks.begin() + i, tracks.begin() + end}});
    }
  }
  for (std::size_t i = 0; i < taglib_tracks.size(); i += kTaglibChunkSize) {
    const std::size_t end = std::min(taglib_tracks.size(), i + kTaglibChunkSize);
    tasks.push_back({TaggedBy::kTaglib, {taglib_tracks.begin() + i, taglib_tracks.begin() + end}});
  }
  return tasks;
}

void run_task(const Task& task, const fs::path& root, const TemplateSet& templates) {
  const TrackPlan& first = *task.tracks.front();
  if (task.tagged_by == TaggedBy::kTaglib) {
    for (const TrackPlan* track : task.tracks) {
      write_taglib_track(root / track->path, *track, templates.get(track->format, track->variant),
                         templates.embedded_cover_jpeg());
    }
    return;
  }
  const EncodedTemplate& encoded = templates.get(first.format, first.variant);
  std::vector<std::string> args{"-i", ffmpeg_url(encoded.path.string())};
  for (const TrackPlan* track : task.tracks) {
    const std::vector<std::string> output = ffmpeg_output_args(*track, root / track->path);
    args.insert(args.end(), output.begin(), output.end());
  }
  run_ffmpeg_or_throw(args);
}

}  // namespace

void write_library(const fs::path& root, const LibraryPlan& plan, const TemplateSet& templates,
                   unsigned threads) {
  // Every directory exists before any worker starts, so workers never race on creating them.
  for (const TrackPlan& track : plan.tracks) {
    fs::create_directories((root / track.path).parent_path());
  }
  for (const AlbumPlan& album : plan.albums) {
    if (album.cover_file) {
      const fs::path cover = root / album.path / *album.cover_file;
      if (album.corrupt_cover) {
        const std::string bytes = read_file_or_throw(templates.cover_path(album.cover_index));
        write_file_or_throw(cover, std::string_view(bytes).substr(0, bytes.size() / 2));
      } else {
        fs::copy_file(templates.cover_path(album.cover_index), cover,
                      fs::copy_options::overwrite_existing);
      }
    }
    if (album.back_cover) {
      fs::copy_file(templates.cover_path((album.cover_index + 1) % kCoverCount),
                    root / album.path / "back.jpg", fs::copy_options::overwrite_existing);
    }
  }
  for (const SideFile& file : plan.side_files) write_file_or_throw(root / file.path, file.contents);

  const std::vector<Task> tasks = make_tasks(plan);
  parallel_for(tasks.size(), threads, [&](std::size_t i) { run_task(tasks[i], root, templates); });
}

}  // namespace scanhub::make_library
