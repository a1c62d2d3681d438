#include "report.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>

namespace scanhub::bench::hash {

namespace {

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

using Pick = std::function<double(const Round&)>;

std::vector<double> collect(const std::vector<Round>& rounds, const Pick& pick) {
  std::vector<double> values;
  for (const Round& round : rounds) values.push_back(pick(round));
  return values;
}

std::string number(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), pattern, value);
  return buffer;
}

// "1234 (1100–1300)": the median and the spread over the rounds.
std::string spread(const std::vector<double>& values, const char* pattern = "%.0f") {
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  return number(pattern, median(values)) + " (" + number(pattern, *low) + "–" +
         number(pattern, *high) + ")";
}

Pick wall(Sample Round::*sample) {
  return [sample](const Round& round) { return (round.*sample).mb_per_s; };
}
Pick cpu(Sample Round::*sample) {
  return [sample](const Round& round) { return (round.*sample).mb_per_cpu_s; };
}

// "0.93× (0.90–0.95)": the ratio of the medians, then the spread of each round's own ratio.
std::string ratio_cell(const std::vector<double>& ours, const std::vector<double>& theirs) {
  std::vector<double> per_round;
  for (std::size_t i = 0; i < ours.size(); ++i)
    per_round.push_back(theirs[i] > 0 ? ours[i] / theirs[i] : 0);
  const auto [low, high] = std::minmax_element(per_round.begin(), per_round.end());
  const double overall = median(theirs) > 0 ? median(ours) / median(theirs) : 0;
  return number("%.2f×", overall) + " (" + number("%.2f", *low) + "–" + number("%.2f", *high) + ")";
}

std::string met(const std::vector<double>& ours, const std::vector<double>& theirs, double target) {
  const double overall = median(theirs) > 0 ? median(ours) / median(theirs) : 0;
  return overall >= target ? "**yes**" : "**NO**";
}

}  // namespace

double openssl_ratio(const std::vector<Round>& rounds) {
  const double openssl = median(collect(rounds, wall(&Round::openssl)));
  return openssl > 0 ? median(collect(rounds, cpu(&Round::scanhub))) / openssl : 0;
}

std::string markdown_report(const std::vector<Round>& rounds, const RunContext& context) {
  std::string out;
  const auto line = [&](const std::string& text) { out += text + "\n"; };

  const auto scanhub_wall = collect(rounds, wall(&Round::scanhub));
  const auto scanhub_cpu = collect(rounds, cpu(&Round::scanhub));
  const auto openssl = collect(rounds, wall(&Round::openssl));
  const auto openssl_elapsed = collect(rounds, wall(&Round::openssl_elapsed));
  const auto sha256sum_wall = collect(rounds, wall(&Round::sha256sum));
  const auto sha256sum_cpu = collect(rounds, cpu(&Round::sha256sum));
  const auto background = collect(rounds, [](const Round& round) {
    return std::max({round.scanhub.background_cores, round.sha256sum.background_cores,
                     round.openssl.background_cores, round.openssl_elapsed.background_cores});
  });
  const std::string target = "≥ " + number("%.2f×", kOpensslRatioTarget);

  line("- Command: `" + context.command + "`");
  line("- Machine: " + context.machine);
  line("- scanhub " + context.revision + ", `crypto::hash_file` (" +
       std::to_string(context.buffer_kib) +
       " KiB reads, one thread); peers: " + context.sha256sum_version + "; " +
       context.openssl_version + ", `openssl speed -evp sha256 -bytes 16384 -seconds " +
       std::to_string(context.openssl_seconds) +
       "` (16384-byte column), plain and with `-elapsed`");
  line("- Files: " + context.files);
  line("- " + std::to_string(rounds.size()) + " alternated rounds, warm page cache, " +
       context.date + "; medians, min–max over the rounds in parentheses; MB = 10^6 bytes");
  line("");
  if (median(background) > context.quiet_threshold_cores) {
    line("**Warning:** the machine was busy with other work during the runs (median " +
         number("%.2f", median(background)) +
         " cores): wall-clock figures are unreliable; the per-CPU-second rows are the ones to "
         "quote.");
    line("");
  }
  line("| Measure | scanhub | peer | scanhub / peer | Target | Met |");
  line("|---|---:|---:|---:|---|---|");
  line("| MB per CPU-second; peer `openssl speed` (its own divisor: CPU user time) | " +
       spread(scanhub_cpu) + " | " + spread(openssl) + " | " + ratio_cell(scanhub_cpu, openssl) +
       " | " + target + " | " + met(scanhub_cpu, openssl, kOpensslRatioTarget) + " |");
  line("| MB/s, wall clock; peer `openssl speed -elapsed` | " + spread(scanhub_wall) + " | " +
       spread(openssl_elapsed) + " | " + ratio_cell(scanhub_wall, openssl_elapsed) + " | " +
       target + " (wall clock) | " + met(scanhub_wall, openssl_elapsed, kOpensslRatioTarget) +
       " |");
  line("| MB/s, wall clock; peer `sha256sum` | " + spread(scanhub_wall) + " | " +
       spread(sha256sum_wall) + " | " + ratio_cell(scanhub_wall, sha256sum_wall) +
       " | (information) | |");
  line("| MB per CPU-second; peer `sha256sum` | " + spread(scanhub_cpu) + " | " +
       spread(sha256sum_cpu) + " | " + ratio_cell(scanhub_cpu, sha256sum_cpu) +
       " | (information) | |");
  line(
      "| `AssetCache::store`, hash + copy into an empty cache (no fsync): MB/s; MB per CPU-second "
      "| " +
      spread(collect(rounds, wall(&Round::cache_store))) + "; " +
      spread(collect(rounds, cpu(&Round::cache_store))) + " | | | (information) | |");
  line("");
  const auto [least, most] = std::minmax_element(background.begin(), background.end());
  line("Other work on the machine during the timed runs, in cores: " +
       number("%.2f", median(background)) + " (" + number("%.2f", *least) + "–" +
       number("%.2f", *most) + ").");
  line("");

  if (!context.sweep_kib.empty()) {
    line("Read size of `hash_file` (same rounds, same files; information):");
    line("");
    line("| Read size | MB/s | MB per CPU-second | per CPU-second / OpenSSL |");
    line("|---:|---:|---:|---:|");
    const auto row = [&](const std::string& label, const std::vector<double>& walls,
                         const std::vector<double>& cpus) {
      line("| " + label + " | " + spread(walls) + " | " + spread(cpus) + " | " +
           ratio_cell(cpus, openssl) + " |");
    };
    row(std::to_string(context.buffer_kib) + " KiB (default)", scanhub_wall, scanhub_cpu);
    for (std::size_t i = 0; i < context.sweep_kib.size(); ++i) {
      row(std::to_string(context.sweep_kib[i]) + " KiB",
          collect(rounds, [i](const Round& round) { return round.sweep.at(i).mb_per_s; }),
          collect(rounds, [i](const Round& round) { return round.sweep.at(i).mb_per_cpu_s; }));
    }
    line("");
  }

  line("<details><summary>Every round (MB/s wall clock; scanhub also per CPU-second)</summary>");
  line("");
  line(
      "| Round | First | scanhub | scanhub per CPU-s | OpenSSL | OpenSSL -elapsed | sha256sum | "
      "store | Other work, cores (max) |");
  line("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
  for (std::size_t i = 0; i < rounds.size(); ++i) {
    const Round& round = rounds[i];
    line("| " + std::to_string(i + 1) + " | " + (round.scanhub_first ? "scanhub" : "peers") +
         " | " + number("%.0f", round.scanhub.mb_per_s) + " | " +
         number("%.0f", round.scanhub.mb_per_cpu_s) + " | " +
         number("%.0f", round.openssl.mb_per_s) + " | " +
         number("%.0f", round.openssl_elapsed.mb_per_s) + " | " +
         number("%.0f", round.sha256sum.mb_per_s) + " | " +
         number("%.0f", round.cache_store.mb_per_s) + " | " + number("%.2f", background[i]) + " |");
  }
  line("");
  line("</details>");
  return out;
}

}  // namespace scanhub::bench::hash
