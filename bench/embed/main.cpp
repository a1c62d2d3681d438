// embed-bench: the cost of the built-in audio embedding (issue 5, bench/embed; method in
// BENCHMARKS.md, "bench/embed"), side by side in one run with decoding alone:
//   - scanhub embed: AudioDecoder (libav* in-process, mono 22,050 Hz) + MelStatistics, one
//     thread, per file as the enricher does it;
//   - scanhub decode: the same decoding without the spectrogram (where the time goes);
//   - ffmpeg: `ffmpeg -threads 1 -i FILE -f null -` per file (decoding alone, the peer);
//   - ffmpeg start-up: the same on a 0.1-s file, to show its fixed cost per process.
// Rounds alternate which side runs first; the report gives medians and the ratios. Then the
// search: nearest neighbours of one track among --vectors random unit vectors (256 floats),
// and loading them from SQLite (what the first search after a change costs).
//
//   embed-bench [--files N] [--seconds S] [--rounds R] [--vectors V] [--queries Q]
//               [--work-dir DIR] [--ffmpeg PATH] [--quiet-threshold CORES] [--quiet-timeout S]
//
// Targets (issue 5): at least 200x real time per core; embedding at most 1.5x the CPU of
// decoding alone; nearest neighbours among 100,000 vectors under 20 ms (judged on the median
// wall-clock time of --queries searches; the p95 and the CPU time are shown beside it).
// Progress to stderr, the Markdown report to stdout. Exit status: 0 when every run did its work
// (targets met or not), 1 when a run failed, 2 on bad usage.
#include "child_process.hpp"
#include "system_load.hpp"

#include "embed/audio_decoder.hpp"
#include "embed/mel_statistics.hpp"
#include "embed/similarity_index.hpp"
#include "store/store.hpp"

#include <sys/resource.h>
#include <sys/utsname.h>

#include <time.h>
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

namespace {

namespace fs = std::filesystem;
using namespace scanhub;
using namespace scanhub::bench;
using Clock = std::chrono::steady_clock;

constexpr double kRealTimeTarget = 200.0;  // x real time per core
constexpr double kCostRatioTarget = 1.5;   // embed CPU / ffmpeg decode CPU
constexpr double kSearchTargetMs = 20.0;   // at 100,000 vectors

struct Options {
  int files = 8;
  int seconds = 180;
  int rounds = 5;
  int vectors = 100'000;
  int queries = 50;
  std::string work_dir = EMBED_BENCH_WORK_DIR;
  std::string ffmpeg = "ffmpeg";
  double quiet_threshold = 0.25;
  int quiet_timeout = 5;
};

struct Sample {
  double cpu_s = 0;
  double wall_s = 0;
  double background_cores = 0;
};

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

double seconds_of(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

std::chrono::nanoseconds process_cpu() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto to_ns = [](const timeval& t) {
    return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec);
  };
  return to_ns(usage.ru_utime) + to_ns(usage.ru_stime);
}

double other_cores(double machine_busy_s, double own_cpu_s, double wall_s) {
  return wall_s > 0 ? std::max(0.0, (machine_busy_s - own_cpu_s) / wall_s) : 0;
}

// Music-like test files: two voices stepping through a scale at different rates, noise, and a
// tremolo, different per file; MP3 128 kb/s (the common case), every fourth file FLAC and
// every fourth Ogg Vorbis. Kept under the work dir and reused.
std::vector<fs::path> ensure_files(const Options& options, const fs::path& capture_dir) {
  const fs::path dir = fs::path(options.work_dir) / ("embed-" + std::to_string(options.files) +
                                                     "x" + std::to_string(options.seconds) + "s");
  fs::create_directories(dir);
  std::vector<fs::path> files;
  for (int i = 0; i < options.files; ++i) {
    const char* extension = i % 4 == 1 ? "flac" : i % 4 == 3 ? "ogg" : "mp3";
    const fs::path path = dir / ("track-" + std::to_string(i) + "." + extension);
    files.push_back(path);
    if (fs::exists(path) && fs::file_size(path) > 0) continue;
    const int base = 110 + 23 * i;
    const std::string source =
        "aevalsrc='0.3*sin(2*PI*t*" + std::to_string(base) + "*pow(2,floor(mod(t*" +
        std::to_string(2 + i % 3) + ",8))/12))*(0.7+0.3*sin(2*PI*t*" + std::to_string(1 + i % 4) +
        "))+0.2*sin(2*PI*t*" + std::to_string(base * 3 / 2) + "*pow(2,floor(mod(t*3,5))/12))" +
        "+0.05*(random(0)-0.5)|0.25*sin(2*PI*t*" + std::to_string(base * 2) +
        ")+0.05*(random(1)-0.5)':s=44100:d=" + std::to_string(options.seconds);
    std::vector<std::string> argv{options.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error",
                                  "-y",           "-f",       "lavfi",        "-i",        source};
    if (std::string(extension) == "mp3")
      argv.insert(argv.end(), {"-c:a", "libmp3lame", "-b:a", "128k"});
    if (std::string(extension) == "ogg")
      argv.insert(argv.end(), {"-c:a", "libvorbis", "-q:a", "4"});
    const fs::path partial = dir / ("partial." + std::string(extension));
    argv.push_back(partial.string());
    std::fprintf(stderr, "embed-bench: making %s\n", path.filename().c_str());
    const TimedRun run = run_timed(argv, capture_dir);
    if (run.exit_code != 0)
      throw std::runtime_error("ffmpeg could not make " + path.string() + ": " + run.err);
    fs::rename(partial, path);
  }
  return files;
}

// Decodes (and embeds unless `decode_only`) every file in this thread.
Sample time_scanhub(const std::vector<fs::path>& files, bool decode_only, embed::MelStatistics& mel,
                    const QuietGate& gate, double expected_seconds) {
  gate.wait();
  const CpuSample machine_before = sample_cpu();
  const auto cpu_before = process_cpu();
  const auto start = Clock::now();
  double decoded_seconds = 0;
  for (const auto& file : files) {
    embed::AudioDecoder decoder(file);
    const auto samples =
        decoder.decode(embed::kSampleRate, std::size_t{20} * 60 * embed::kSampleRate);
    decoded_seconds += static_cast<double>(samples.size()) / embed::kSampleRate;
    if (!decode_only) {
      const auto vector = mel.compute(samples);
      if (vector.size() != embed::kMelStatisticsDimension)
        throw std::runtime_error("wrong dimension");
    }
  }
  Sample sample;
  sample.wall_s = seconds_of(Clock::now() - start);
  sample.cpu_s = seconds_of(process_cpu() - cpu_before);
  sample.background_cores =
      other_cores(busy_seconds(machine_before, sample_cpu()), sample.cpu_s, sample.wall_s);
  if (std::abs(decoded_seconds - expected_seconds) > 1.0 * static_cast<double>(files.size())) {
    throw std::runtime_error("decoded " + std::to_string(decoded_seconds) +
                             " s of audio, expected " + std::to_string(expected_seconds));
  }
  return sample;
}

Sample time_ffmpeg(const Options& options, const std::vector<fs::path>& files,
                   const QuietGate& gate, const fs::path& capture_dir) {
  gate.wait();
  Sample sample;
  double machine_busy = 0;
  for (const auto& file : files) {
    const TimedRun run =
        run_timed({options.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-threads",
                   "1", "-i", file.string(), "-f", "null", "-"},
                  capture_dir);
    if (run.exit_code != 0)
      throw std::runtime_error("ffmpeg failed on " + file.string() + ": " + run.err);
    sample.cpu_s += seconds_of(run.cpu);
    sample.wall_s += seconds_of(run.wall);
    machine_busy += run.machine_busy_seconds;
  }
  sample.background_cores = other_cores(machine_busy, sample.cpu_s, sample.wall_s);
  return sample;
}

std::string machine_description() {
  utsname name{};
  ::uname(&name);
  std::string model = "unknown CPU";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return model + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores, " +
         name.sysname + " " + name.release;
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

struct SearchResult {
  double median_ms = 0, p95_ms = 0, cpu_median_ms = 0, cpu_p95_ms = 0, load_ms = 0, store_s = 0;
  std::size_t vectors = 0;
};

SearchResult bench_search(const Options& options, const fs::path& work) {
  std::mt19937 random(7);
  std::normal_distribution<float> normal;
  const std::size_t n = static_cast<std::size_t>(options.vectors);
  const std::size_t d = embed::kMelStatisticsDimension;
  store::EmbeddingMatrix matrix;
  matrix.dimension = d;
  matrix.values.resize(n * d);
  for (std::size_t i = 0; i < n; ++i) {
    matrix.track_ids.push_back(static_cast<core::TrackId>(i + 1));
    const std::span<float> row(matrix.values.data() + i * d, d);
    for (float& v : row) v = normal(random);
    embed::l2_normalize(row);
  }
  SearchResult result;
  result.vectors = n;

  // Through SQLite, as the API loads them: store every vector, then time load_all.
  const fs::path db = work / "search.db";
  fs::remove(db);
  fs::remove(work / "search.db-wal");
  fs::remove(work / "search.db-shm");
  {
    store::Store store(db);
    const auto store_start = Clock::now();
    store.write_sync([&](store::Connection& c) {
      core::Library library;
      library.path = "/bench";
      library.name = "bench";
      library.created_at = core::Clock::now();
      const auto id = c.libraries.add(library).id;
      for (std::size_t i = 0; i < n; ++i) {
        const auto track =
            c.tracks.insert(id, "t" + std::to_string(i) + ".mp3", {1, 1}, {}, core::Clock::now());
        c.embeddings.put(track, "mel-statistics", 1,
                         std::span<const float>(matrix.values.data() + i * d, d),
                         core::Clock::now());
      }
    });
    result.store_s = seconds_of(Clock::now() - store_start);
    const auto load_start = Clock::now();
    const auto loaded =
        store.read([](store::Connection& c) { return c.embeddings.load_all("mel-statistics", 1); });
    result.load_ms = seconds_of(Clock::now() - load_start) * 1000;
    if (loaded.track_ids.size() != n || loaded.values != matrix.values) {
      throw std::runtime_error("load_all did not give back the stored vectors");
    }
  }
  fs::remove(db);

  const embed::SimilarityIndex index(std::move(matrix));
  std::vector<double> times, cpu_times;
  const auto thread_cpu = [] {
    timespec t{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
  };
  std::uniform_int_distribution<std::size_t> pick(1, n);
  for (int q = 0; q < options.queries; ++q) {
    const auto track = static_cast<core::TrackId>(pick(random));
    const auto query = *index.vector_of(track);
    const double cpu_start = thread_cpu();
    const auto start = Clock::now();
    const auto nearest = index.nearest(query, 10, track);
    times.push_back(seconds_of(Clock::now() - start) * 1000);
    cpu_times.push_back(thread_cpu() - cpu_start);
    if (nearest.size() != std::min<std::size_t>(10, n - 1))
      throw std::runtime_error("short result");
  }
  result.median_ms = median(times);
  result.p95_ms = percentile(times, 0.95);
  result.cpu_median_ms = median(cpu_times);
  result.cpu_p95_ms = percentile(cpu_times, 0.95);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App cli{
      "embed-bench: audio embedding cost against decoding alone, and similar-track search"};
  cli.add_option("--files", options.files, "Audio files")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cli.add_option("--seconds", options.seconds, "Length of each file")
      ->check(CLI::Range(1, 900))
      ->capture_default_str();
  cli.add_option("--rounds", options.rounds, "Rounds, alternating which side runs first")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cli.add_option("--vectors", options.vectors, "Stored vectors for the search")
      ->check(CLI::Range(2, 10'000'000))
      ->capture_default_str();
  cli.add_option("--queries", options.queries, "Searches")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cli.add_option("--work-dir", options.work_dir, "Where the test files live")
      ->capture_default_str();
  cli.add_option("--ffmpeg", options.ffmpeg, "The ffmpeg program")->capture_default_str();
  cli.add_option("--quiet-threshold", options.quiet_threshold,
                 "Before each run, wait for the machine to be below this many busy cores")
      ->capture_default_str();
  cli.add_option("--quiet-timeout", options.quiet_timeout,
                 "... for at most this many seconds (0: never wait)")
      ->capture_default_str();
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;
  }
  kill_daemon_on_fatal_signals();
  av::quiet_logging();

  try {
    const fs::path work(options.work_dir);
    const fs::path capture_dir = work / "embed-capture";
    fs::create_directories(capture_dir);
    const auto files = ensure_files(options, capture_dir);
    // A 0.1-s file: what one ffmpeg process costs before it decodes anything.
    const fs::path tiny = work / "embed-tiny.mp3";
    if (!fs::exists(tiny)) {
      run_timed({options.ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                 "sine=f=440:d=0.1", "-c:a", "libmp3lame", tiny.string()},
                capture_dir);
    }
    const std::vector<fs::path> tiny_files(files.size(), tiny);
    const double audio_s = static_cast<double>(options.files) * options.seconds;
    const QuietGate gate(options.quiet_threshold, std::chrono::seconds(options.quiet_timeout));
    embed::MelStatistics mel;

    std::vector<double> embed_cpu, decode_cpu, ffmpeg_cpu, startup_cpu, embed_bg, ffmpeg_bg;
    std::string rounds_table;
    for (int round = 0; round < options.rounds; ++round) {
      const bool scanhub_first = round % 2 == 0;
      std::fprintf(stderr, "embed-bench: round %d of %d\n", round + 1, options.rounds);
      Sample embed_sample, decode_sample, ffmpeg_sample, startup_sample;
      const auto run_scanhub = [&] {
        embed_sample = time_scanhub(files, false, mel, gate, audio_s);
        decode_sample = time_scanhub(files, true, mel, gate, audio_s);
      };
      const auto run_ffmpeg = [&] {
        ffmpeg_sample = time_ffmpeg(options, files, gate, capture_dir);
        startup_sample = time_ffmpeg(options, tiny_files, gate, capture_dir);
      };
      if (scanhub_first) {
        run_scanhub();
        run_ffmpeg();
      } else {
        run_ffmpeg();
        run_scanhub();
      }
      embed_cpu.push_back(embed_sample.cpu_s);
      decode_cpu.push_back(decode_sample.cpu_s);
      ffmpeg_cpu.push_back(ffmpeg_sample.cpu_s);
      startup_cpu.push_back(startup_sample.cpu_s);
      embed_bg.push_back(embed_sample.background_cores);
      ffmpeg_bg.push_back(ffmpeg_sample.background_cores);
      char line[320];
      std::snprintf(
          line, sizeof(line), "| %d | %s | %.3f | %.3f | %.3f | %.3f | %.2fx | %.2f / %.2f |\n",
          round + 1, scanhub_first ? "scanhub" : "ffmpeg", embed_sample.cpu_s, decode_sample.cpu_s,
          ffmpeg_sample.cpu_s, startup_sample.cpu_s, embed_sample.cpu_s / ffmpeg_sample.cpu_s,
          embed_sample.background_cores, ffmpeg_sample.background_cores);
      rounds_table += line;
    }
    std::fprintf(stderr, "embed-bench: search among %d vectors\n", options.vectors);
    const SearchResult search = bench_search(options, work);

    const double embed_m = median(embed_cpu), decode_m = median(decode_cpu),
                 ffmpeg_m = median(ffmpeg_cpu);
    const double startup_m = median(startup_cpu);
    const double embed_x = audio_s / embed_m, decode_x = audio_s / decode_m,
                 ffmpeg_x = audio_s / ffmpeg_m;
    const double ratio = embed_m / ffmpeg_m;
    const double ratio_net = ffmpeg_m > startup_m ? embed_m / (ffmpeg_m - startup_m) : 0;
    const TimedRun version = run_timed({options.ffmpeg, "-version"}, capture_dir);
    const TimedRun head = run_timed(
        {"git", "-C", EMBED_BENCH_SOURCE_DIR, "rev-parse", "--short", "HEAD"}, capture_dir);
    char date[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    const auto met = [](bool ok) { return ok ? "met" : "**missed**"; };

    std::printf("## bench/embed\n\n");
    std::printf(
        "- Command: `embed-bench --files %d --seconds %d --rounds %d --vectors %d --queries %d`\n",
        options.files, options.seconds, options.rounds, options.vectors, options.queries);
    std::printf("- Machine: %s; %s\n", machine_description().c_str(), date);
    std::printf("- scanhub at %s; %s\n", first_line(head.out).c_str(),
                first_line(version.out).c_str());
    std::printf(
        "- Input: %d files of %d s (%.0f s of audio): MP3 128 kb/s, FLAC and Ogg Vorbis q4, 44.1 "
        "kHz stereo\n",
        options.files, options.seconds, audio_s);
    std::printf(
        "- CPU = user + system seconds of the measured side (getrusage; wait4 for ffmpeg), one "
        "thread each\n\n");
    std::printf("| measure | median | target | verdict |\n|---|---|---|---|\n");
    std::printf(
        "| scanhub embedding (decode + mel-statistics), x real time per core | %.0fx | >= %.0fx | "
        "%s |\n",
        embed_x, kRealTimeTarget, met(embed_x >= kRealTimeTarget));
    std::printf("| embedding CPU / `ffmpeg -i FILE -f null -` CPU | %.2fx | <= %.1fx | %s |\n",
                ratio, kCostRatioTarget, met(ratio <= kCostRatioTarget));
    std::printf("| the same against ffmpeg less its start-up (%.0f ms a process) | %.2fx | | |\n",
                startup_m * 1000 / options.files, ratio_net);
    std::printf(
        "| scanhub decoding alone (libav* in-process, to mono 22,050 Hz), x real time | %.0fx | | "
        "|\n",
        decode_x);
    std::printf("| ffmpeg decoding alone, x real time | %.0fx | | |\n", ffmpeg_x);
    std::printf(
        "| mel-statistics alone (median embedding less median decoding: noisy), x real time | "
        "%.0fx | | |\n",
        embed_m > decode_m ? audio_s / (embed_m - decode_m) : 0.0);
    std::printf(
        "| nearest 10 among %zu vectors of 256 floats, wall clock, median / p95 | %.2f / %.2f ms | "
        "< %.0f ms | %s |\n",
        search.vectors, search.median_ms, search.p95_ms, kSearchTargetMs,
        met(search.median_ms < kSearchTargetMs || search.vectors < 100'000));
    std::printf(
        "| the same in CPU time of the searching thread, median / p95 | %.2f / %.2f ms | | |\n",
        search.cpu_median_ms, search.cpu_p95_ms);
    std::printf(
        "| loading those vectors from SQLite (load_all; the first search after a change) | %.0f ms "
        "| | |\n",
        search.load_ms);
    std::printf("| storing them (one transaction, with their tracks) | %.1f s | | |\n\n",
                search.store_s);
    std::printf(
        "Every round (CPU seconds; other work on the machine in cores during scanhub's / ffmpeg's "
        "run):\n\n");
    std::printf(
        "| round | first | scanhub embed | scanhub decode | ffmpeg | ffmpeg start-up only | embed "
        "/ ffmpeg | other cores |\n");
    std::printf("|---|---|---|---|---|---|---|---|\n%s\n", rounds_table.c_str());
    std::printf(
        "Median other work on the machine: %.2f cores during scanhub's runs, %.2f during "
        "ffmpeg's.\n",
        median(embed_bg), median(ffmpeg_bg));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "embed-bench: %s\n", e.what());
    return 1;
  }
}
