// queue-bench: jobs per second through scanhub's persistent queue (SQLite, WAL,
// synchronous=NORMAL: every enqueue, claim and completion committed) against BullMQ on a local
// redis-server, side by side in one run, alternating over several rounds (issue 4, "bench/queue";
// method in BENCHMARKS.md). Each side adds the same number of no-op jobs in batches while its
// workers, at the same concurrency, process them; timed from the first add to the last
// completion.
//
//   queue-bench [--jobs N] [--rounds R] [--concurrency C] [--batch B] [--workers W]
//               [--node PATH] [--redis-server PATH] [--redis-persistence none|aof]
//
// Progress goes to stderr, the Markdown report to stdout. Exit status: 0 when every run did its
// work (targets met or not), 1 when a run failed or completed the wrong number of jobs, 2 on
// bad usage.
#include "processes.hpp"

#include "lib/sqlite/statement.hpp"
#include "queue/queue.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <mutex>
#include <sstream>

#include <CLI/CLI.hpp>

namespace {

namespace fs = std::filesystem;
using namespace scanhub;
using Clock = std::chrono::steady_clock;

struct Options {
  int jobs = 20000;
  int rounds = 5;
  int concurrency = 10;
  int batch = 1000;
  unsigned workers = 0;  // 0: the queue's default, one per core
  std::string node = "node";
  std::string redis_server = "/usr/bin/redis-server";
  std::string persistence = "none";
  bool scanhub_only = false;
};

struct Run {
  double seconds = 0;
  double cpu_seconds = 0;  ///< the subject's processes (scanhub: this process; BullMQ: node + redis)
  std::int64_t completed = 0;
  double machine_busy = 0;  ///< busy cores of the whole machine meanwhile, less the subject's own
};

struct Round {
  bool scanhub_first = true;
  Run scanhub;
  Run bullmq;
};

double process_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/// Busy CPU-seconds of the whole machine so far (/proc/stat: all but idle and iowait).
double machine_busy_seconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;
  double total = 0, idle = 0, value = 0;
  for (int i = 0; i < 8 && in >> value; ++i) {
    total += value;
    if (i == 3 || i == 4) idle += value;
  }
  return (total - idle) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// Counts completions; the last one records its time.
class Finish : public queue::QueueObserver {
 public:
  explicit Finish(int jobs) : jobs_(jobs) {}
  void on_job_completed(const core::Job&) override {
    if (++completed_ == jobs_) {
      std::lock_guard lock(mutex_);
      at_ = Clock::now();
      done_.notify_all();
    }
  }
  void on_job_failed(const core::Job& job, const queue::JobFailure& failure) override {
    std::fprintf(stderr, "queue-bench: job %lld failed: %s\n", static_cast<long long>(job.id),
                 failure.error.c_str());
  }
  std::optional<Clock::time_point> wait(std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    if (!done_.wait_for(lock, timeout, [&] { return at_.has_value(); })) return std::nullopt;
    return at_;
  }

 private:
  const int jobs_;
  std::atomic<int> completed_{0};
  std::mutex mutex_;
  std::condition_variable done_;
  std::optional<Clock::time_point> at_;
};

Run run_scanhub(const Options& options, const fs::path& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  Run run;
  {
    store::Store store(dir / "queue.db");
    queue::QueueOptions queue_options;
    queue_options.workers = options.workers;
    queue::Queue q(store, queue_options);
    Finish finish(options.jobs);
    q.add_observer(finish);
    queue::JobTypeOptions type;
    type.concurrency = options.concurrency;
    type.max_attempts = 1;
    q.register_handler("noop", [](queue::JobContext&) { return queue::CommitFn{}; }, type);
    q.start();

    const double cpu_before = process_cpu_seconds();
    const double busy_before = machine_busy_seconds();
    const auto started = Clock::now();
    for (int first = 0; first < options.jobs; first += options.batch) {
      std::vector<core::NewJob> jobs(static_cast<std::size_t>(std::min(options.batch, options.jobs - first)));
      for (std::size_t i = 0; i < jobs.size(); ++i) {
        jobs[i].type = "noop";
        jobs[i].payload = "{\"n\":" + std::to_string(first + static_cast<int>(i)) + "}";
      }
      q.enqueue(std::move(jobs));
    }
    const auto finished = finish.wait(std::chrono::seconds(300));
    if (!finished) throw std::runtime_error("scanhub: not every job completed within 300 s");
    run.seconds = std::chrono::duration<double>(*finished - started).count();
    run.cpu_seconds = process_cpu_seconds() - cpu_before;
    run.machine_busy =
        std::clamp((machine_busy_seconds() - busy_before - run.cpu_seconds) / run.seconds, 0.0,
                   static_cast<double>(std::thread::hardware_concurrency()));
    q.stop();
    run.completed = store.read([](store::Connection& c) { return c.jobs.stats().total.completed; });
  }
  fs::remove_all(dir);
  return run;
}

Run run_bullmq(const Options& options, bench::RedisServer& redis, const fs::path& dir) {
  fs::create_directories(dir);
  if (redis.command("FLUSHALL") != "+OK") throw std::runtime_error("redis FLUSHALL failed");
  const double redis_before = redis.cpu_seconds();
  const double busy_before = machine_busy_seconds();
  const auto finished = bench::run_to_completion(
      {options.node, std::string(QUEUE_BENCH_SOURCE_DIR) + "/bench/queue/bullmq_peer.mjs",
       std::to_string(redis.port()), std::to_string(options.jobs),
       std::to_string(options.concurrency), std::to_string(options.batch)},
      dir, std::chrono::seconds(330));
  const double redis_cpu = redis.cpu_seconds() - redis_before;
  const double busy = machine_busy_seconds() - busy_before;
  if (finished.exit_code != 0) {
    throw std::runtime_error("bullmq peer exited with " + std::to_string(finished.exit_code) +
                             ": " + finished.err.substr(0, 2000));
  }
  const auto line = finished.out.substr(0, finished.out.find('\n'));
  const auto report = boost::json::parse(line).as_object();
  Run run;
  run.seconds = report.at("seconds").to_number<double>();
  // Node's own CPU is for the timed span; redis's for the whole peer run (a little more).
  run.cpu_seconds = report.at("cpuSeconds").to_number<double>() + redis_cpu;
  run.completed = report.at("completed").to_number<std::int64_t>();
  run.machine_busy = std::clamp((busy - finished.cpu_seconds - redis_cpu) / run.seconds, 0.0,
                                static_cast<double>(std::thread::hardware_concurrency()));
  return run;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

std::string grouped(double value) {
  std::string digits = std::to_string(static_cast<long long>(std::llround(value)));
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) {
    digits.insert(static_cast<std::size_t>(i), ",");
  }
  return digits;
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

template <typename F>
std::vector<double> each(const std::vector<Round>& rounds, F f) {
  std::vector<double> out;
  for (const auto& r : rounds) out.push_back(f(r));
  return out;
}

std::string spread(const std::vector<double>& values, int decimals) {
  const auto format = [&](double v) { return decimals == 0 ? grouped(v) : fixed(v, decimals); };
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return format(median(values)) + " (" + format(*lo) + "–" + format(*hi) + ")";
}

std::string command_output(const std::vector<std::string>& argv, const fs::path& dir) {
  try {
    auto f = bench::run_to_completion(argv, dir, std::chrono::seconds(20));
    auto text = f.out.empty() ? f.err : f.out;
    return text.substr(0, text.find('\n'));
  } catch (const std::exception&) {
    return "?";
  }
}

std::string bullmq_version() {
  std::ifstream in(std::string(QUEUE_BENCH_SOURCE_DIR) + "/node_modules/bullmq/package.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object() || !v.as_object().contains("version")) return "?";
  return std::string(v.as_object().at("version").as_string());
}

void print_report(const Options& options, const std::vector<Round>& rounds,
                  const std::vector<std::string>& redis_args, const fs::path& dir) {
  const auto ours = each(rounds, [&](const Round& r) { return options.jobs / r.scanhub.seconds; });
  const auto theirs = each(rounds, [&](const Round& r) { return options.jobs / r.bullmq.seconds; });
  const auto ratios = each(rounds, [&](const Round& r) { return r.bullmq.seconds / r.scanhub.seconds; });
  const double ratio = median(ours) / median(theirs);
  const auto [ratio_lo, ratio_hi] = std::minmax_element(ratios.begin(), ratios.end());
  const double cpu_ours = median(each(rounds, [&](const Round& r) { return options.jobs / r.scanhub.cpu_seconds; }));
  const double cpu_theirs = median(each(rounds, [&](const Round& r) { return options.jobs / r.bullmq.cpu_seconds; }));
  std::vector<double> busy;
  for (const auto& r : rounds) {
    busy.push_back(r.scanhub.machine_busy);
    busy.push_back(r.bullmq.machine_busy);
  }

  utsname host{};
  ::uname(&host);
  std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::string redis_line;
  for (const auto& a : redis_args) {
    redis_line += (redis_line.empty() ? "" : " ") + (a.empty() ? std::string("\"\"") : a);
  }
  std::string redis_version = command_output({options.redis_server, "--version"}, dir);
  if (const auto v = redis_version.find("v="); v != std::string::npos) {
    redis_version = "redis-server " + redis_version.substr(v + 2, redis_version.find(' ', v) - v - 2);
  }

  std::printf("- Command: `queue-bench --jobs %d --rounds %d --concurrency %d --batch %d%s`\n",
              options.jobs, options.rounds, options.concurrency, options.batch,
              options.persistence == "aof" ? " --redis-persistence aof" : "");
  std::printf("- Machine: %u cores, Linux %s\n", std::thread::hardware_concurrency(), host.release);
  std::printf("- scanhub: `queue::Queue` on `store::Store` (SQLite %s, WAL, synchronous=NORMAL), "
              "%u worker threads, type concurrency %d, enqueue in batches of %d, in-process\n",
              sqlite3_libversion(),
              options.workers ? options.workers : std::max(2u, std::thread::hardware_concurrency()),
              options.concurrency, options.batch);
  std::printf("- Peer: BullMQ %s (node %s), one Worker at concurrency %d, `addBulk` in batches "
              "of %d; %s, `%s`\n",
              bullmq_version().c_str(), command_output({options.node, "--version"}, dir).c_str(),
              options.concurrency, options.batch,
              redis_version.c_str(),
              redis_line.c_str());
  std::printf("- %d no-op jobs per run, %zu alternated rounds, %s; medians, min–max in parentheses\n\n",
              options.jobs, rounds.size(), when);
  std::printf("| Measure | scanhub | BullMQ | scanhub / BullMQ | Target | Met |\n");
  std::printf("|---|---:|---:|---:|---|---|\n");
  std::printf("| Jobs/s, first add to last completion | %s | %s | %s× (%s–%s) | ≥ 3× | %s |\n",
              spread(ours, 0).c_str(), spread(theirs, 0).c_str(), fixed(ratio, 2).c_str(),
              fixed(*ratio_lo, 2).c_str(), fixed(*ratio_hi, 2).c_str(),
              ratio >= 3.0 ? "**yes**" : "**NO**");
  std::printf("| Jobs per CPU-second | %s | %s (node + redis) | %s× | (information) | |\n\n",
              grouped(cpu_ours).c_str(), grouped(cpu_theirs).c_str(),
              fixed(cpu_ours / cpu_theirs, 2).c_str());
  std::printf("Other work on the machine during the timed runs, in cores: %s.\n\n",
              spread(busy, 2).c_str());
  std::printf("<details><summary>Every round</summary>\n\n");
  std::printf("| Round | First | scanhub s | BullMQ s | scanhub CPU s | BullMQ CPU s | Other work, cores (max) |\n");
  std::printf("|---:|---|---:|---:|---:|---:|---:|\n");
  for (std::size_t i = 0; i < rounds.size(); ++i) {
    const auto& r = rounds[i];
    std::printf("| %zu | %s | %s | %s | %s | %s | %s |\n", i + 1,
                r.scanhub_first ? "scanhub" : "BullMQ", fixed(r.scanhub.seconds, 3).c_str(),
                fixed(r.bullmq.seconds, 3).c_str(), fixed(r.scanhub.cpu_seconds, 2).c_str(),
                fixed(r.bullmq.cpu_seconds, 2).c_str(),
                fixed(std::max(r.scanhub.machine_busy, r.bullmq.machine_busy), 2).c_str());
  }
  std::printf("\n</details>\n");
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"queue-bench: scanhub's SQLite job queue against BullMQ on redis, side by side"};
  app.add_option("--jobs", options.jobs, "no-op jobs per run")->check(CLI::Range(1, 10'000'000));
  app.add_option("--rounds", options.rounds, "alternated rounds")->check(CLI::Range(1, 100));
  app.add_option("--concurrency", options.concurrency, "jobs at once, both sides")->check(CLI::Range(1, 1000));
  app.add_option("--batch", options.batch, "jobs per add (enqueue / addBulk)")->check(CLI::Range(1, 100000));
  app.add_option("--workers", options.workers, "scanhub worker threads (default: one per core, as the queue's own default)");
  app.add_option("--node", options.node, "node executable");
  app.add_option("--redis-server", options.redis_server, "redis-server executable");
  app.add_option("--redis-persistence", options.persistence,
                 "none: --save \"\" --appendonly no; aof: --appendonly yes --appendfsync everysec")
      ->check(CLI::IsMember({"none", "aof"}));
  app.add_flag("--scanhub-only", options.scanhub_only,
               "run scanhub's side only and print its times (for profiling; no report)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  spdlog::set_level(spdlog::level::warn);

  const fs::path dir = fs::temp_directory_path() / ("queue-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  int status = 0;
  if (options.scanhub_only) {
    try {
      for (int i = 0; i < options.rounds; ++i) {
        const Run run = run_scanhub(options, dir / "scanhub");
        std::printf("scanhub: %.3f s, %.0f jobs/s, %.2f CPU s, %lld completed\n", run.seconds,
                    options.jobs / run.seconds, run.cpu_seconds,
                    static_cast<long long>(run.completed));
        if (run.completed != options.jobs) status = 1;
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "queue-bench: %s\n", e.what());
      status = 1;
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    return status;
  }
  try {
    std::vector<std::string> redis_args{"--save", ""};
    if (options.persistence == "aof") {
      redis_args.insert(redis_args.end(), {"--appendonly", "yes", "--appendfsync", "everysec"});
    } else {
      redis_args.insert(redis_args.end(), {"--appendonly", "no"});
    }
    fs::create_directories(dir / "redis");
    bench::RedisServer redis(options.redis_server, dir / "redis", redis_args);

    // Untimed warm-up of both sides (page cache, node's module loading, redis's first keys).
    Options warm = options;
    warm.jobs = std::min(options.jobs, 1000);
    run_scanhub(warm, dir / "scanhub");
    run_bullmq(warm, redis, dir / "bullmq");

    std::vector<Round> rounds;
    for (int i = 0; i < options.rounds; ++i) {
      Round round;
      round.scanhub_first = i % 2 == 0;
      for (int side = 0; side < 2; ++side) {
        if ((side == 0) == round.scanhub_first) {
          round.scanhub = run_scanhub(options, dir / "scanhub");
        } else {
          round.bullmq = run_bullmq(options, redis, dir / "bullmq");
        }
      }
      std::fprintf(stderr, "queue-bench: round %d: scanhub %.3f s (%lld done), BullMQ %.3f s (%lld done)\n",
                   i + 1, round.scanhub.seconds, static_cast<long long>(round.scanhub.completed),
                   round.bullmq.seconds, static_cast<long long>(round.bullmq.completed));
      if (round.scanhub.completed != options.jobs || round.bullmq.completed != options.jobs) {
        std::fprintf(stderr, "queue-bench: a run completed the wrong number of jobs\n");
        status = 1;
      }
      rounds.push_back(round);
    }
    print_report(options, rounds, redis_args, dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "queue-bench: %s\n", e.what());
    status = 1;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return status;
}
