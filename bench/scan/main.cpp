// scan-bench: scanhub's full scan and no-change rescan against Music Player Daemon's database
// update, on the same generated library, side by side in one run (issue "bench/scan"; method in
// BENCHMARKS.md).
//
//   scan-bench [--tracks N] [--seed S] [--rounds R] [--work-dir DIR] [--workers N]
//              [--scanhub PATH] [--make-library PATH] [--mpd PATH] [--mpc PATH]
//              [--quiet-threshold CORES] [--quiet-timeout S] [--keep-runtime] [--fail-on-miss]
//
// Progress goes to stderr, the Markdown report to stdout. Exit status: 0 when every run did its
// work (targets met or not), 1 when a run failed or found the wrong number of tracks, 2 on bad
// usage, 3 with --fail-on-miss when a target is missed.
#include "child_process.hpp"
#include "library_fixture.hpp"
#include "mpd_peer.hpp"
#include "report.hpp"
#include "scanhub_daemon.hpp"
#include "scanhub_subject.hpp"

#include <stdlib.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

namespace {

namespace fs = std::filesystem;
using namespace scanhub::bench;

struct Options {
  int tracks = 5000;
  std::uint64_t seed = 1;
  int rounds = 5;
  std::string work_dir = SCAN_BENCH_WORK_DIR;
  std::optional<int> workers;
  std::string scanhub_as = "daemon";  ///< "daemon" (serve + HTTP, like MPD) or "cli" (scanhub scan)
  std::string scanhub = SCAN_BENCH_SCANHUB;
  std::string make_library = SCAN_BENCH_MAKE_LIBRARY;
  std::string mpd = "mpd";
  std::string mpc = "mpc";
  double quiet_threshold = 0.25;
  int quiet_timeout = 20;
  bool keep_runtime = false;
  bool fail_on_miss = false;
};

// A private directory for both databases, MPD's configuration, socket and log, and captured
// output; removed with its contents at scope exit unless kept.
class RuntimeDir {
 public:
  explicit RuntimeDir(bool keep) : keep_(keep) {
    const char* tmp = std::getenv("TMPDIR");
    // Short on purpose: MPD's unix socket lives here and sun_path holds 108 bytes.
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/scan-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot create a directory like " + pattern);
    }
    path_ = pattern;
  }
  RuntimeDir(const RuntimeDir&) = delete;
  RuntimeDir& operator=(const RuntimeDir&) = delete;
  ~RuntimeDir() {
    if (keep_) {
      std::fprintf(stderr, "scan-bench: kept %s\n", path_.c_str());
      return;
    }
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
  bool keep_;
};

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.starts_with("model name")) {
      const auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

std::string machine_description() {
  utsname name{};
  ::uname(&name);
  return std::to_string(std::thread::hardware_concurrency()) + " cores (" + cpu_model() +
         "), Linux " + name.release;
}

// The source revision scanhub was built from, as far as git can tell (the binary may be older).
std::string source_revision(const fs::path& capture_dir) {
  const std::string source = SCAN_BENCH_SOURCE_DIR;
  const TimedRun head =
      run_timed({"git", "-C", source, "rev-parse", "--short", "HEAD"}, capture_dir);
  if (head.exit_code != 0) return "(revision unknown)";
  const TimedRun status =
      run_timed({"git", "-C", source, "status", "--porcelain", "--", "src"}, capture_dir);
  std::string revision = "at " + head.out.substr(0, head.out.find('\n'));
  if (status.exit_code != 0 || !status.out.empty()) revision += " + local changes in src/";
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

std::string command_line(int argc, char** argv) {
  std::string text = fs::path(argv[0]).filename().string();
  for (int i = 1; i < argc; ++i) text += std::string(" ") + argv[i];
  return text;
}

void note(int round, int rounds, const char* what, const Measurement& m) {
  const double s = std::chrono::duration<double>(m.wall).count();
  std::fprintf(stderr, "scan-bench: round %d/%d %-22s %8.1f ms %9.0f tracks/s  RSS %.1f MiB\n",
               round, rounds, what, s * 1000, m.tracks / s, m.peak_rss_kb / 1024.0);
}

int run(const Options& options, const std::string& command) {
  const fs::path work_dir = fs::absolute(options.work_dir);
  const fs::path library =
      ensure_library({fs::absolute(options.make_library), work_dir, options.tracks, options.seed});
  const int expected = manifest_track_count(library);

  RuntimeDir runtime(options.keep_runtime);
  const QuietGate gate(options.quiet_threshold, std::chrono::seconds(options.quiet_timeout));
  const ScanhubOptions scanhub_options{fs::absolute(options.scanhub), library, runtime.path(),
                                      expected, options.workers, &gate};
  std::optional<ScanhubSubject> scanhub_cli;
  std::optional<ScanhubDaemon> scanhub_daemon;
  if (options.scanhub_as == "cli") {
    scanhub_cli.emplace(scanhub_options);
  } else {
    scanhub_daemon.emplace(scanhub_options);
  }
  const auto scanhub_full = [&] { return scanhub_cli ? scanhub_cli->full_scan() : scanhub_daemon->full_scan(); };
  const auto scanhub_rescan = [&] { return scanhub_cli ? scanhub_cli->rescan() : scanhub_daemon->rescan(); };
  const auto scanhub_stop = [&] {
    if (scanhub_daemon) scanhub_daemon->stop();
  };
  MpdOptions mpd_options;
  mpd_options.mpd = options.mpd;
  mpd_options.mpc = options.mpc;
  mpd_options.library = library;
  mpd_options.runtime_dir = runtime.path();
  mpd_options.expected_tracks = expected;
  mpd_options.gate = &gate;
  MpdPeer mpd(mpd_options);

  // Untimed: the library's files, then one full run of each system, so that both binaries,
  // their shared libraries (codecs, SQLite) and the library's inodes are in memory before the
  // first timed round, which would otherwise pay for them alone.
  const WarmUp warm = warm_page_cache(library);
  scanhub_full();
  scanhub_stop();
  mpd.full_update();
  mpd.stop();
  std::fprintf(stderr,
               "scan-bench: warmed up: read %ju files (%.1f MiB), one untimed full run each\n",
               warm.files, static_cast<double>(warm.bytes) / (1024 * 1024));

  std::vector<Round> rounds;
  for (int i = 0; i < options.rounds; ++i) {
    Round round;
    round.scanhub_first = i % 2 == 0;
    const auto run_scanhub = [&] {
      round.scanhub_full = scanhub_full();
      note(i + 1, options.rounds, "scanhub full scan", round.scanhub_full);
      round.scanhub_rescan = scanhub_rescan();
      note(i + 1, options.rounds, "scanhub rescan", round.scanhub_rescan);
      scanhub_stop();
    };
    const auto run_mpd = [&] {
      round.mpd_full = mpd.full_update();
      note(i + 1, options.rounds, "MPD full update", round.mpd_full);
      round.mpd_rescan = mpd.no_change_update();
      note(i + 1, options.rounds, "MPD no-change update", round.mpd_rescan);
      mpd.stop();
    };
    if (round.scanhub_first) {
      run_scanhub();
      run_mpd();
    } else {
      run_mpd();
      run_scanhub();
    }
    rounds.push_back(round);
  }

  RunContext context;
  context.command = command;
  context.machine = machine_description();
  context.mpd_version = mpd.version();
  context.scanhub_revision = source_revision(runtime.path());
  context.date = utc_now();
  context.scanhub_how = options.scanhub_as == "cli"
                            ? "`scanhub scan --json` processes (start included)"
                            : "a running `scanhub serve`: POST /api/library/scan, polled to its end";
  context.scanhub_workers =
      options.workers ? std::to_string(*options.workers) : "default (one per core)";
  context.quiet_threshold_cores = options.quiet_threshold;
  context.library = library.filename().string() + " (" + std::to_string(expected) +
                    " tracks, make-library --no-bad --seed " + std::to_string(options.seed) + ")";
  std::fputs(markdown_report(rounds, expected, context).c_str(), stdout);
  std::fflush(stdout);

  const Verdict verdict = judge(rounds, expected);
  return options.fail_on_miss && !verdict.all_met() ? 3 : 0;
}

std::string describe(const std::exception& e) {
  std::string text = e.what();
  try {
    std::rethrow_if_nested(e);
  } catch (const std::exception& nested) {
    text += ": " + describe(nested);
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"scanhub full scan and no-change rescan against MPD's database update",
               "scan-bench"};
  app.add_option("--tracks", options.tracks, "Tracks in the generated library")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--seed", options.seed, "make-library seed")->capture_default_str();
  app.add_option("--rounds", options.rounds, "Alternated rounds (each runs all four)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--work-dir", options.work_dir, "Holds the generated libraries (reused)")
      ->capture_default_str();
  app.add_option("--workers", options.workers, "scanhub --workers (default: scanhub's own)");
  app.add_option("--scanhub-as", options.scanhub_as,
                 "daemon: time scans of a running `scanhub serve` through its HTTP API, as MPD "
                 "is timed through mpc; cli: time `scanhub scan` processes, start included")
      ->check(CLI::IsMember({"daemon", "cli"}))
      ->capture_default_str();
  app.add_option("--scanhub", options.scanhub, "scanhub binary")->capture_default_str();
  app.add_option("--make-library", options.make_library, "make-library binary")
      ->capture_default_str();
  app.add_option("--mpd", options.mpd, "mpd binary")->capture_default_str();
  app.add_option("--mpc", options.mpc, "mpc binary")->capture_default_str();
  app.add_option("--quiet-threshold", options.quiet_threshold,
                 "Before each timed run, wait until the machine's busy CPU is at most this many "
                 "cores...")
      ->capture_default_str();
  app.add_option("--quiet-timeout", options.quiet_timeout,
                 "...but no longer than this many seconds (0: never wait)")
      ->capture_default_str();
  app.add_flag("--keep-runtime", options.keep_runtime,
               "Keep the temporary directory (databases, MPD config and log)");
  app.add_flag("--fail-on-miss", options.fail_on_miss, "Exit 3 when a target is missed");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "scan-bench: %s (see --help)\n", e.what());
    return 2;
  }

  kill_daemon_on_fatal_signals();
  try {
    return run(options, command_line(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scan-bench: error: %s\n", describe(e).c_str());
    return 1;
  }
}
