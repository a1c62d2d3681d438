// hash-bench: MB/s of scanhub's asset hashing (crypto::hash_file) against `sha256sum` and
// `openssl speed -evp sha256 -bytes 16384` on the same machine, side by side in one run
// (issue 4, bench/hash; method in BENCHMARKS.md, "Hash").
//
//   hash-bench [--files N] [--file-size-mib M] [--rounds R] [--openssl-seconds S]
//              [--buffer-kib K] [--sweep-kib K,K,...] [--no-sweep] [--work-dir DIR]
//              [--sha256sum PATH] [--openssl PATH] [--quiet-threshold CORES]
//              [--quiet-timeout S] [--fail-on-miss]
//
// Progress goes to stderr, the Markdown report to stdout. Exit status: 0 when every run did its
// work (target met or not), 1 when a run failed or a digest differed from the others, 2 on bad
// usage, 3 with --fail-on-miss when the target is missed.
#include "child_process.hpp"
#include "measurement.hpp"
#include "report.hpp"
#include "system_load.hpp"

#include "lib/crypto/file_digest.hpp"
#include "scan/asset_cache.hpp"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

namespace {

namespace fs = std::filesystem;
using namespace scanhub;
using namespace scanhub::bench;
using namespace scanhub::bench::hash;
using Clock = std::chrono::steady_clock;

struct Options {
  int files = 64;
  int file_size_mib = 4;
  int rounds = 5;
  int openssl_seconds = 3;  // openssl speed's own default
  std::size_t buffer_kib = crypto::kDefaultReadBufferSize / 1024;
  std::vector<std::size_t> sweep_kib{64, 128, 512, 1024};
  bool no_sweep = false;
  std::string work_dir = HASH_BENCH_WORK_DIR;
  std::string sha256sum = "sha256sum";
  std::string openssl = "openssl";
  double quiet_threshold = 0.25;
  int quiet_timeout = 5;
  bool fail_on_miss = false;
};

struct Fixture {
  std::vector<fs::path> files;
  std::vector<crypto::Sha256Digest> digests;  ///< hash_file's, checked against sha256sum's
  std::uint64_t bytes = 0;
};

// Incompressible content (xorshift64*), so no layer below can shortcut it.
void write_random_file(const fs::path& path, std::size_t size, std::uint64_t seed) {
  std::vector<std::uint64_t> words(size / sizeof(std::uint64_t));
  std::uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& word : words) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    word = state * 0x2545F4914F6CDD1Dull;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(words.data()),
            static_cast<std::streamsize>(words.size() * 8));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// The files live under the build's bench-data and are reused while their sizes match.
std::vector<fs::path> ensure_files(const fs::path& work_dir, int count, int size_mib) {
  const fs::path dir =
      work_dir / ("files-" + std::to_string(count) + "x" + std::to_string(size_mib) + "MiB");
  fs::create_directories(dir);
  const std::uintmax_t size = static_cast<std::uintmax_t>(size_mib) << 20;
  std::vector<fs::path> files;
  for (int i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "file-%03d.bin", i);
    const fs::path path = dir / name;
    std::error_code ec;
    if (fs::file_size(path, ec) != size || ec)
      write_random_file(path, size, static_cast<std::uint64_t>(i) + 1);
    files.push_back(path);
  }
  return files;
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

std::map<std::string, std::string> parse_sha256sum(const std::string& out) {
  std::map<std::string, std::string> digests;  // path -> hex
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > 66 && line[64] == ' ') digests[line.substr(66)] = line.substr(0, 64);
  }
  return digests;
}

// `openssl speed` prints, on stdout, a table such as
//   type             16384 bytes
//   sha256          1484455.07k
// in thousands of bytes per second (of CPU user time, unless -elapsed). Returns MB/s.
double parse_openssl_speed(const std::string& out) {
  std::istringstream lines(out);
  std::optional<std::size_t> column;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> tokens;
    for (std::string token; words >> token;) tokens.push_back(token);
    if (tokens.empty()) continue;
    if (tokens[0] == "type") {
      std::size_t index = 0;
      for (std::size_t i = 1; i < tokens.size(); ++i) {
        if (tokens[i] == "bytes") continue;
        if (tokens[i] == "16384") column = index;
        ++index;
      }
    } else if (column && tokens[0] == "sha256" && tokens.size() > *column + 1) {
      std::string value = tokens[*column + 1];
      if (!value.empty() && value.back() == 'k') value.pop_back();
      try {
        return std::stod(value) / 1000.0;
      } catch (const std::exception&) {
        break;
      }
    }
  }
  throw VerificationError("cannot find the sha256 16384-byte figure in openssl speed's output:\n" +
                          out);
}

std::chrono::nanoseconds cpu_time_of_process() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto to_ns = [](const timeval& t) {
    return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec);
  };
  return to_ns(usage.ru_utime) + to_ns(usage.ru_stime);
}

Sample make_sample(std::uint64_t bytes, std::chrono::nanoseconds wall, std::chrono::nanoseconds cpu,
                   double machine_busy_seconds) {
  Sample sample;
  sample.wall = wall;
  const double mb = static_cast<double>(bytes) / 1e6;
  sample.mb_per_s = mb / std::chrono::duration<double>(wall).count();
  sample.mb_per_cpu_s = cpu.count() > 0 ? mb / std::chrono::duration<double>(cpu).count() : 0;
  sample.background_cores = background_cores(machine_busy_seconds, cpu, wall);
  return sample;
}

// Times `work` in this process: wall clock, this process's CPU, and the machine's busy time.
template <typename Work>
Sample time_in_process(const QuietGate& gate, std::uint64_t bytes, Work&& work) {
  gate.wait();
  const CpuSample machine_before = sample_cpu();
  const auto cpu_before = cpu_time_of_process();
  const auto start = Clock::now();
  work();
  const auto wall = Clock::now() - start;
  const auto cpu = cpu_time_of_process() - cpu_before;
  return make_sample(bytes, wall, cpu, busy_seconds(machine_before, sample_cpu()));
}

Sample time_hash_file(const Fixture& fixture, std::size_t buffer_kib, const QuietGate& gate) {
  return time_in_process(gate, fixture.bytes, [&] {
    for (std::size_t i = 0; i < fixture.files.size(); ++i) {
      auto digest = crypto::hash_file(fixture.files[i], {.buffer_size = buffer_kib * 1024});
      if (!digest) throw VerificationError(digest.error().message);
      if (digest->sha256 != fixture.digests[i]) {
        throw VerificationError("hash_file changed its mind about " + fixture.files[i].string());
      }
    }
  });
}

Sample time_cache_store(const Fixture& fixture, const fs::path& cache_root, const QuietGate& gate) {
  fs::remove_all(cache_root);
  scan::AssetCache cache(cache_root, {.sync = false});
  const Sample sample = time_in_process(gate, fixture.bytes, [&] {
    for (std::size_t i = 0; i < fixture.files.size(); ++i) {
      auto stored = cache.store(fixture.files[i]);
      if (!stored) throw VerificationError(stored.error().message);
      if (stored->sha256 != fixture.digests[i] ||
          stored->outcome != scan::AssetStoreOutcome::newly_stored) {
        throw VerificationError("AssetCache::store got a wrong digest or outcome for " +
                                fixture.files[i].string());
      }
    }
  });
  fs::remove_all(cache_root);  // before writeback: the copies never reach the disk
  return sample;
}

Sample time_sha256sum(const Fixture& fixture, const Options& options, const fs::path& capture_dir,
                      const QuietGate& gate) {
  std::vector<std::string> argv{options.sha256sum};
  for (const auto& file : fixture.files) argv.push_back(file.string());
  gate.wait();
  const TimedRun run = run_timed(argv, capture_dir);
  if (run.exit_code != 0)
    throw VerificationError("sha256sum exited with " + std::to_string(run.exit_code) + ": " +
                            run.err);
  const auto digests = parse_sha256sum(run.out);
  for (std::size_t i = 0; i < fixture.files.size(); ++i) {
    const auto found = digests.find(fixture.files[i].string());
    if (found == digests.end() || found->second != crypto::to_hex(fixture.digests[i])) {
      throw VerificationError("sha256sum and hash_file disagree on " + fixture.files[i].string());
    }
  }
  return make_sample(fixture.bytes, run.wall, run.cpu, run.machine_busy_seconds);
}

// `elapsed`: divide by wall-clock time (-elapsed) instead of OpenSSL's default, CPU user time.
Sample time_openssl(const Options& options, bool elapsed, const fs::path& capture_dir,
                    const QuietGate& gate) {
  std::vector<std::string> argv{
      options.openssl, "speed", "-evp",     "sha256",
      "-bytes",        "16384", "-seconds", std::to_string(options.openssl_seconds)};
  if (elapsed) argv.insert(argv.begin() + 2, "-elapsed");
  gate.wait();
  const TimedRun run = run_timed(argv, capture_dir);
  if (run.exit_code != 0)
    throw VerificationError("openssl speed exited with " + std::to_string(run.exit_code) + ": " +
                            run.err);
  Sample sample;
  sample.wall = run.wall;
  sample.mb_per_s = parse_openssl_speed(run.out);
  sample.mb_per_cpu_s = elapsed ? 0 : sample.mb_per_s;  // without -elapsed its divisor is CPU time
  sample.background_cores = background_cores(run.machine_busy_seconds, run.cpu, run.wall);
  return sample;
}

std::string machine_description() {
  std::string model = "unknown CPU";
  bool sha_extensions = false;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.starts_with("model name") && model == "unknown CPU")
      model = line.substr(line.find(':') + 2);
    if (line.starts_with("flags") && line.find(" sha_ni") != std::string::npos)
      sha_extensions = true;
  }
  utsname name{};
  ::uname(&name);
  return std::to_string(std::thread::hardware_concurrency()) + " cores (" + model + ", " +
         (sha_extensions ? "with" : "without") + " SHA extensions), Linux " + name.release;
}

std::string source_revision(const fs::path& capture_dir) {
  const std::string source = HASH_BENCH_SOURCE_DIR;
  const TimedRun head =
      run_timed({"git", "-C", source, "rev-parse", "--short", "HEAD"}, capture_dir);
  if (head.exit_code != 0) return "(revision unknown)";
  const TimedRun status = run_timed({"git", "-C", source, "status", "--porcelain", "--",
                                     "src/lib/crypto", "src/scan/asset_cache.cpp"},
                                    capture_dir);
  std::string revision = "at " + first_line(head.out);
  if (status.exit_code != 0 || !status.out.empty())
    revision += " + local changes in src/lib/crypto or the cache";
  return revision;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M UTC", &utc);
  return buffer;
}

void note(int round, int rounds, const std::string& what, const Sample& sample) {
  std::fprintf(
      stderr, "hash-bench: round %d/%d %-28s %8.1f MB/s  (%.1f ms, other work %.2f cores)\n", round,
      rounds, what.c_str(), sample.mb_per_s,
      std::chrono::duration<double, std::milli>(sample.wall).count(), sample.background_cores);
}

int run(const Options& options, const std::string& command) {
  const fs::path work_dir = fs::absolute(fs::path(options.work_dir) / "hash");
  char pattern[] = "/tmp/hash-bench-XXXXXX";
  if (!::mkdtemp(pattern))
    throw std::runtime_error("cannot create a directory like /tmp/hash-bench-XXXXXX");
  const fs::path capture_dir = pattern;
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } cleanup{capture_dir};

  Fixture fixture;
  fixture.files = ensure_files(work_dir, options.files, options.file_size_mib);
  // Untimed warm-up: every file read (and hashed) once, so all runs find them in the page
  // cache, and the reference digests, which sha256sum must confirm.
  for (const auto& file : fixture.files) {
    auto digest = crypto::hash_file(file);
    if (!digest) throw VerificationError(digest.error().message);
    fixture.digests.push_back(digest->sha256);
    fixture.bytes += digest->size;
  }
  const QuietGate no_wait(1e9, std::chrono::seconds(0));
  time_sha256sum(fixture, options, capture_dir, no_wait);
  std::fprintf(stderr, "hash-bench: warmed up: %zu files, %.1f MiB, digests agree with sha256sum\n",
               fixture.files.size(), static_cast<double>(fixture.bytes) / (1 << 20));

  const QuietGate gate(options.quiet_threshold, std::chrono::seconds(options.quiet_timeout));
  const std::vector<std::size_t> sweep =
      options.no_sweep ? std::vector<std::size_t>{} : options.sweep_kib;
  const fs::path cache_root = work_dir / "cache-store";
  std::vector<Round> rounds;
  for (int i = 0; i < options.rounds; ++i) {
    Round round;
    round.scanhub_first = i % 2 == 0;
    round.sweep.resize(sweep.size());
    // One step per subject; odd rounds run them in the reverse order.
    std::vector<std::function<void()>> steps;
    steps.push_back([&] {
      round.scanhub = time_hash_file(fixture, options.buffer_kib, gate);
      note(i + 1, options.rounds, "scanhub hash_file", round.scanhub);
    });
    for (std::size_t s = 0; s < sweep.size(); ++s) {
      steps.push_back([&, s] {
        round.sweep[s] = time_hash_file(fixture, sweep[s], gate);
        note(i + 1, options.rounds, "scanhub hash_file " + std::to_string(sweep[s]) + " KiB",
             round.sweep[s]);
      });
    }
    steps.push_back([&] {
      round.cache_store = time_cache_store(fixture, cache_root, gate);
      note(i + 1, options.rounds, "scanhub AssetCache::store", round.cache_store);
    });
    steps.push_back([&] {
      round.sha256sum = time_sha256sum(fixture, options, capture_dir, gate);
      note(i + 1, options.rounds, "sha256sum", round.sha256sum);
    });
    steps.push_back([&] {
      round.openssl = time_openssl(options, false, capture_dir, gate);
      note(i + 1, options.rounds, "openssl speed", round.openssl);
    });
    steps.push_back([&] {
      round.openssl_elapsed = time_openssl(options, true, capture_dir, gate);
      note(i + 1, options.rounds, "openssl speed -elapsed", round.openssl_elapsed);
    });
    if (!round.scanhub_first) std::reverse(steps.begin(), steps.end());
    for (auto& step : steps) step();
    rounds.push_back(std::move(round));
  }

  RunContext context;
  context.command = command;
  context.machine = machine_description();
  const TimedRun openssl_version = run_timed({options.openssl, "version"}, capture_dir);
  context.openssl_version = first_line(openssl_version.out);
  const TimedRun sha256sum_version = run_timed({options.sha256sum, "--version"}, capture_dir);
  context.sha256sum_version = first_line(sha256sum_version.out);
  context.revision = source_revision(capture_dir);
  context.date = utc_now();
  context.files = std::to_string(options.files) + " files of " +
                  std::to_string(options.file_size_mib) + " MiB (" +
                  std::to_string(fixture.bytes >> 20) + " MiB, random content) in `" +
                  fixture.files.front().parent_path().string() + "`";
  context.buffer_kib = options.buffer_kib;
  context.sweep_kib = sweep;
  context.openssl_seconds = options.openssl_seconds;
  context.quiet_threshold_cores = options.quiet_threshold;
  std::fputs(markdown_report(rounds, context).c_str(), stdout);

  const double ratio = openssl_ratio(rounds);
  std::fprintf(stderr,
               "hash-bench: hash_file per CPU-second / openssl speed = %.2f (target %.2f)\n", ratio,
               kOpensslRatioTarget);
  return options.fail_on_miss && ratio < kOpensslRatioTarget ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"hash-bench: scanhub's SHA-256 file hashing against sha256sum and openssl speed"};
  app.add_option("--files", options.files, "number of files")->check(CLI::Range(1, 100000));
  app.add_option("--file-size-mib", options.file_size_mib, "size of each file, MiB")
      ->check(CLI::Range(1, 4096));
  app.add_option("--rounds", options.rounds, "alternated rounds")->check(CLI::Range(1, 1000));
  app.add_option("--openssl-seconds", options.openssl_seconds, "openssl speed -seconds")
      ->check(CLI::Range(1, 60));
  app.add_option("--buffer-kib", options.buffer_kib, "hash_file read size, KiB")
      ->check(CLI::Range(4, 65536));
  app.add_option("--sweep-kib", options.sweep_kib, "other read sizes measured for information, KiB")
      ->delimiter(',')
      ->check(CLI::Range(4, 65536));
  app.add_flag("--no-sweep", options.no_sweep, "measure only the default read size");
  app.add_option("--work-dir", options.work_dir, "where the files are generated (under hash/)");
  app.add_option("--sha256sum", options.sha256sum, "sha256sum program");
  app.add_option("--openssl", options.openssl, "openssl program");
  app.add_option("--quiet-threshold", options.quiet_threshold,
                 "wait for the machine to be below this busy cores");
  app.add_option("--quiet-timeout", options.quiet_timeout,
                 "seconds to wait for that before each run (0: never)");
  app.add_flag("--fail-on-miss", options.fail_on_miss, "exit 3 when the target is missed");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
  std::string command = "hash-bench";
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  try {
    return run(options, command);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hash-bench: %s\n", error.what());
    return 1;
  }
}
