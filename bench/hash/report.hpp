#pragma once
// hash-bench's verdict: medians, ratios and the target, as Markdown to paste into BENCHMARKS.md.

#include <chrono>
#include <string>
#include <vector>

namespace scanhub::bench::hash {

/// Issue 4: hash_file at least 90% of `openssl speed -evp sha256 -bytes 16384` in the same run.
/// OpenSSL divides by its CPU user time unless given -elapsed, so the target is judged on
/// scanhub's MB per CPU-second (user + system) against the plain figure, and shown again in
/// wall-clock MB/s against `-elapsed`.
inline constexpr double kOpensslRatioTarget = 0.90;

/// One timed run. MB are 10^6 bytes, as `openssl speed` counts them.
struct Sample {
  double mb_per_s = 0;          ///< bytes / wall time; for openssl speed, its own figure
  double mb_per_cpu_s = 0;      ///< bytes / CPU time of the measured side (user + system)
  double background_cores = 0;  ///< other work on the machine during the run, in cores
  std::chrono::nanoseconds wall{0};
};

struct Round {
  bool scanhub_first = true;
  Sample scanhub;    ///< hash_file over every file, default buffer
  Sample sha256sum;  ///< one `sha256sum FILE...` process over the same files
  Sample openssl;    ///< `openssl speed -evp sha256 -bytes 16384 -seconds S` (per CPU user second)
  Sample openssl_elapsed;     ///< the same with -elapsed (per wall-clock second)
  Sample cache_store;         ///< AssetCache::store of every file into an empty cache, no fsync
  std::vector<Sample> sweep;  ///< hash_file with each RunContext::sweep_kib buffer
};

struct RunContext {
  std::string command;
  std::string machine;
  std::string openssl_version;    ///< `openssl version`
  std::string sha256sum_version;  ///< first line of `sha256sum --version`
  std::string revision;           ///< scanhub's source revision
  std::string date;               ///< UTC
  std::string files;              ///< "64 files of 4 MiB (256 MiB) in ..."
  std::size_t buffer_kib = 0;     ///< hash_file's default read size
  std::vector<std::size_t> sweep_kib;
  int openssl_seconds = 0;
  double quiet_threshold_cores = 0.25;
};

/// Median scanhub MB per CPU-second over median OpenSSL MB/s (its default, CPU-time divisor):
/// the figure the target is judged on.
double openssl_ratio(const std::vector<Round>& rounds);

/// The Markdown report: context, the summary table with the target, the buffer sweep, and
/// every round.
std::string markdown_report(const std::vector<Round>& rounds, const RunContext& context);

}  // namespace scanhub::bench::hash
