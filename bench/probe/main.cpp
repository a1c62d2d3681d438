// probe-bench: stream details of the same video files read by scanhub's in-process
// media::probe_video and by one `ffprobe -show_format -show_streams -of json` process per file
// (seed 002's "Extract FFprobe streams"), alternating which goes first, several rounds.
//
//   probe-bench [--files N] [--rounds R] [--jobs J] [--work-dir DIR]
//
// Makes N small videos with ffmpeg (h264 + two audio tracks + a subtitle in Matroska, h264/AAC
// in MP4, MPEG-4/MP3 in AVI, in turn) and prints per round files/s of each, J probes at a time
// on each side (default one per core), then medians and the ratio. Exit status 0 when every probe succeeded, 1 otherwise, 2 on bad usage.
#include "media/video_probe.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int run(std::vector<std::string> args, bool quiet) {
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (quiet) posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool make_template(const fs::path& path, int kind) {
  std::vector<std::string> args{"ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                                "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25:duration=4",
                                "-f", "lavfi", "-i", "sine=frequency=440:duration=4"};
  if (kind == 0) {
    args.insert(args.end(), {"-f", "lavfi", "-i", "sine=frequency=220:duration=4", "-map", "0:v",
                             "-map", "1:a", "-map", "2:a", "-c:v", "libx264", "-preset",
                             "ultrafast", "-c:a:0", "aac", "-c:a:1", "ac3", "-metadata:s:a:0",
                             "language=eng", "-metadata:s:a:1", "language=ger"});
  } else if (kind == 1) {
    args.insert(args.end(), {"-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"});
  } else {
    args.insert(args.end(), {"-c:v", "mpeg4", "-c:a", "libmp3lame"});
  }
  args.push_back(path.string());
  return run(args, false) == 0;
}

double median(std::vector<double> values) {
  std::ranges::sort(values);
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  int files = 30;
  int rounds = 5;
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string work_dir = (fs::temp_directory_path() / "scanhub-probe-bench").string();
  CLI::App app{"scanhub's in-process video probe against one ffprobe process per file"};
  app.add_option("--files", files, "videos per round")->check(CLI::Range(1, 100000));
  app.add_option("--rounds", rounds, "rounds, alternating which side goes first")
      ->check(CLI::Range(1, 1000));
  app.add_option("--jobs", jobs, "concurrent probes a side (default: one per core)")
      ->check(CLI::Range(1, 256));
  app.add_option("--work-dir", work_dir, "where the videos are made (removed at exit)");
  CLI11_PARSE(app, argc, argv);

  const fs::path dir = work_dir;
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::array<const char*, 3> extensions{"mkv", "mp4", "avi"};
  std::vector<fs::path> paths;
  for (int kind = 0; kind < 3; ++kind) {
    const fs::path source = dir / (std::string("template.") + extensions[kind]);
    if (!make_template(source, kind)) {
      std::fprintf(stderr, "ffmpeg could not make %s\n", source.c_str());
      return 1;
    }
  }
  for (int i = 0; i < files; ++i) {
    const char* extension = extensions[i % 3];
    const fs::path path = dir / ("video-" + std::to_string(i) + "." + extension);
    fs::copy_file(dir / (std::string("template.") + extension), path);
    paths.push_back(path);
  }

  // Both sides work through the same list with `jobs` workers: threads calling probe_video,
  // or threads each waiting on one ffprobe process at a time.
  std::atomic<bool> ok{true};
  const auto timed = [&](const std::function<bool(const fs::path&)>& probe_one) {
    std::atomic<std::size_t> next{0};
    const auto start = Clock::now();
    std::vector<std::thread> workers;
    for (int j = 0; j < jobs; ++j) {
      workers.emplace_back([&] {
        for (std::size_t i = next++; i < paths.size(); i = next++) {
          if (!probe_one(paths[i])) ok = false;
        }
      });
    }
    for (auto& worker : workers) worker.join();
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  const auto in_process = [&] {
    return timed([](const fs::path& path) {
      try {
        const auto info = scanhub::media::probe_video(path);
        return !info.video.empty() && !info.audio.empty();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "probe failed: %s\n", e.what());
        return false;
      }
    });
  };
  const auto ffprobe = [&] {
    return timed([](const fs::path& path) {
      if (run({"ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json",
               path.string()}, true) == 0) {
        return true;
      }
      std::fprintf(stderr, "ffprobe failed on %s\n", path.c_str());
      return false;
    });
  };

  // Warm the page cache, FFmpeg's one-time initialization and ffprobe's shared libraries.
  in_process();
  run({"ffprobe", "-v", "error", "-show_streams", paths.front().string()}, true);
  std::vector<double> ours, theirs;
  std::printf("probe-bench: %d files (mkv/mp4/avi, 4 s 640x360), %d rounds, %d workers a side\n\n",
              files, rounds, jobs);
  std::printf("| round | first | in-process files/s | ffprobe files/s |\n|---|---|---|---|\n");
  for (int round = 0; round < rounds; ++round) {
    const bool ours_first = round % 2 == 0;
    double a = 0, b = 0;
    if (ours_first) {
      a = in_process();
      b = ffprobe();
    } else {
      b = ffprobe();
      a = in_process();
    }
    ours.push_back(files / a);
    theirs.push_back(files / b);
    std::printf("| %d | %s | %.0f | %.1f |\n", round + 1, ours_first ? "in-process" : "ffprobe",
                ours.back(), theirs.back());
    std::fflush(stdout);
  }
  const double ours_median = median(ours), theirs_median = median(theirs);
  std::printf("\nmedian: in-process %.0f files/s, ffprobe %.1f files/s, ratio %.1fx\n",
              ours_median, theirs_median, ours_median / theirs_median);
  fs::remove_all(dir);
  return ok ? 0 : 1;
}
