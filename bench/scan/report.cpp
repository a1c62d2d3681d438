#include "report.hpp"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <initializer_list>

namespace scanhub::bench {
namespace {

/// Which of a round's four runs.
using Pick = Measurement Round::*;
constexpr Pick kScanhubFull = &Round::scanhub_full;
constexpr Pick kScanhubRescan = &Round::scanhub_rescan;
constexpr Pick kMpdFull = &Round::mpd_full;
constexpr Pick kMpdRescan = &Round::mpd_rescan;

double seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

double median(std::vector<double> values) {
  assert(!values.empty() && "median of no values");
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

/// Tracks per second of wall time, one value per round.
std::vector<double> rates(const std::vector<Round>& rounds, Pick pick, int tracks) {
  std::vector<double> out;
  for (const Round& r : rounds) out.push_back(tracks / seconds((r.*pick).wall));
  return out;
}

/// Tracks per CPU-second of the measured side, one value per round.
std::vector<double> cpu_rates(const std::vector<Round>& rounds, Pick pick, int tracks) {
  std::vector<double> out;
  for (const Round& r : rounds) out.push_back(tracks / seconds((r.*pick).cpu));
  return out;
}

/// Each round's own ratio (MPD's time / scanhub's time): how far noise moves the headline.
std::vector<double> paired_ratios(const std::vector<Round>& rounds, Pick ours, Pick theirs) {
  std::vector<double> out;
  for (const Round& r : rounds) out.push_back(seconds((r.*theirs).wall) / seconds((r.*ours).wall));
  return out;
}

long max_rss_kb(const std::vector<Round>& rounds, std::initializer_list<Pick> picks) {
  long peak = 0;
  for (const Round& r : rounds) {
    for (const Pick pick : picks) peak = std::max(peak, (r.*pick).peak_rss_kb);
  }
  return peak;
}

// 12345.6 -> "12,346".
std::string grouped(double value) {
  std::string digits = std::to_string(static_cast<long long>(value + 0.5));
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return digits;
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

std::string mib(long kb) {
  return fixed(kb / 1024.0, 1);
}

// "median (min–max)"; decimals 0 groups thousands.
std::string spread(const std::vector<double>& values, int decimals) {
  const auto format = [&](double v) { return decimals == 0 ? grouped(v) : fixed(v, decimals); };
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return format(median(values)) + " (" + format(*lo) + "–" + format(*hi) + ")";
}

const char* met(bool yes) {
  return yes ? "**yes**" : "**NO**";
}

// One summary row for a rate with a ratio target.
std::string rate_row(const std::string& measure, const std::vector<Round>& rounds, Pick ours,
                     Pick theirs, int tracks, double ratio, double target) {
  const auto [lo, hi] = std::ranges::minmax(paired_ratios(rounds, ours, theirs));
  return "| " + measure + ", tracks/s | " + spread(rates(rounds, ours, tracks), 0) + " | " +
         spread(rates(rounds, theirs, tracks), 0) + " | " + fixed(ratio, 2) + "× (" + fixed(lo, 2) +
         "–" + fixed(hi, 2) + ") | ≥ " + fixed(target, 0) + "× | " + met(ratio >= target) + " |\n";
}

// One summary row for tracks per CPU-second, for information.
std::string cpu_row(const std::string& measure, const std::vector<Round>& rounds, Pick ours,
                    Pick theirs, int tracks) {
  const double mine = median(cpu_rates(rounds, ours, tracks));
  const double peer = median(cpu_rates(rounds, theirs, tracks));
  return "| " + measure + ", tracks per CPU-second | " + grouped(mine) + " | " + grouped(peer) +
         " | " + fixed(mine / peer, 2) + "× | (information) | |\n";
}

}  // namespace

Verdict judge(const std::vector<Round>& rounds, int tracks) {
  Verdict v;
  v.full_ratio =
      median(rates(rounds, kScanhubFull, tracks)) / median(rates(rounds, kMpdFull, tracks));
  v.rescan_ratio =
      median(rates(rounds, kScanhubRescan, tracks)) / median(rates(rounds, kMpdRescan, tracks));
  v.scanhub_peak_rss_kb = max_rss_kb(rounds, {kScanhubFull, kScanhubRescan});
  v.full_met = v.full_ratio >= kFullScanRatioTarget;
  v.rescan_met = v.rescan_ratio >= kRescanRatioTarget;
  v.rss_met = v.scanhub_peak_rss_kb < kPeakRssTargetKb;
  return v;
}

std::string markdown_report(const std::vector<Round>& rounds, int tracks,
                            const RunContext& context) {
  const Verdict v = judge(rounds, tracks);
  std::string out;
  out += "- Command: `" + context.command + "`\n";
  out += "- Machine: " + context.machine + "\n";
  out += "- scanhub " + context.scanhub_revision +
         ", " + context.scanhub_how + ", workers: " + context.scanhub_workers +
         "; peer: " + context.mpd_version + ", timed with `mpc update --wait`\n";
  out += "- Library: " + context.library + "\n";
  out += "- " + std::to_string(rounds.size()) + " alternated rounds, warm page cache, " +
         context.date + "; medians, min–max over the rounds in parentheses\n\n";

  out += "| Measure | scanhub | MPD | scanhub / MPD | Target | Met |\n";
  out += "|---|---:|---:|---:|---|---|\n";
  out += rate_row("Full scan", rounds, kScanhubFull, kMpdFull, tracks, v.full_ratio,
                  kFullScanRatioTarget);
  out += rate_row("No-change rescan", rounds, kScanhubRescan, kMpdRescan, tracks, v.rescan_ratio,
                  kRescanRatioTarget);
  out += cpu_row("Full scan", rounds, kScanhubFull, kMpdFull, tracks);
  out += cpu_row("No-change rescan", rounds, kScanhubRescan, kMpdRescan, tracks);
  out += "| Peak RSS, MiB (max over runs) | " + mib(v.scanhub_peak_rss_kb) + " | " +
         mib(max_rss_kb(rounds, {kMpdFull, kMpdRescan})) + " (VmHWM, for information) | | < " +
         std::to_string(kPeakRssTargetKb / 1024) + " | " + met(v.rss_met) + " |\n\n";

  std::vector<double> background;
  for (const Round& r : rounds) {
    for (const Pick pick : {kScanhubFull, kScanhubRescan, kMpdFull, kMpdRescan}) {
      background.push_back((r.*pick).background_cores);
    }
  }
  out +=
      "Other work on the machine during the timed runs, in cores: " + spread(background, 2) + ".\n";
  if (median(background) > context.quiet_threshold_cores) {
    out +=
        "\n**Warning: the machine was busy.** MPD runs its update thread at SCHED_IDLE, so "
        "other work starves it before scanhub: the MPD rates are low and the ratios "
        "flattering. Rerun on a quiet machine before quoting them.\n";
  } else if (*std::ranges::max_element(background) > 2 * context.quiet_threshold_cores) {
    out +=
        "\nSome runs shared the machine with other work (last column below); the medians "
        "limit their weight, the min–max ranges do not.\n";
  }

  out += "\n<details><summary>Every round (wall time, ms)</summary>\n\n";
  out +=
      "| Round | First | scanhub full | MPD full | scanhub rescan | MPD rescan | "
      "scanhub RSS full / rescan, MiB | Other work, cores (max) |\n";
  out += "|---:|---|---:|---:|---:|---:|---:|---:|\n";
  for (std::size_t i = 0; i < rounds.size(); ++i) {
    const Round& r = rounds[i];
    const auto ms = [](const Measurement& m) { return fixed(seconds(m.wall) * 1000, 1); };
    double busiest = 0;
    for (const Pick pick : {kScanhubFull, kScanhubRescan, kMpdFull, kMpdRescan}) {
      busiest = std::max(busiest, (r.*pick).background_cores);
    }
    out += "| " + std::to_string(i + 1) + " | " + (r.scanhub_first ? "scanhub" : "MPD") + " | " +
           ms(r.scanhub_full) + " | " + ms(r.mpd_full) + " | " + ms(r.scanhub_rescan) + " | " +
           ms(r.mpd_rescan) + " | " + mib(r.scanhub_full.peak_rss_kb) + " / " +
           mib(r.scanhub_rescan.peak_rss_kb) + " | " + fixed(busiest, 2) + " |\n";
  }
  out += "\n</details>\n";
  return out;
}

}  // namespace scanhub::bench
