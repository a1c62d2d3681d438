#pragma once
// The benchmark's verdict: medians, ratios and targets, as Markdown to paste into BENCHMARKS.md.

#include "measurement.hpp"

#include <string>
#include <vector>

namespace scanhub::bench {

/// Targets from the issue, on the 2-core machine.
inline constexpr double kFullScanRatioTarget = 3.0;   ///< scanhub full scan >= 3x MPD's rate
inline constexpr double kRescanRatioTarget = 1.0;     ///< no-change rescan at least MPD's rate
inline constexpr long kPeakRssTargetKb = 100 * 1024;  ///< scanhub peak RSS under 100 MiB

/// One round: the four timed runs and which system went first.
struct Round {
  bool scanhub_first = true;
  Measurement scanhub_full;
  Measurement scanhub_rescan;
  Measurement mpd_full;
  Measurement mpd_rescan;
};

struct RunContext {
  std::string command;  ///< how the benchmark was invoked
  std::string machine;  ///< cores, CPU model, kernel
  std::string mpd_version;
  std::string scanhub_revision;  ///< "abc1234", "+ local changes" when src/ differs from it
  std::string date;              ///< when the benchmark ran, UTC
  std::string scanhub_workers;
  std::string scanhub_how;  ///< what was timed on scanhub's side
  std::string library;                  ///< path, track count, seed
  double quiet_threshold_cores = 0.25;  ///< above this median background load, warn
};

struct Verdict {
  double full_ratio = 0;    ///< median scanhub full-scan rate / median MPD full-update rate
  double rescan_ratio = 0;  ///< the same for the no-change runs
  long scanhub_peak_rss_kb = 0;
  bool full_met = false;
  bool rescan_met = false;
  bool rss_met = false;
  bool all_met() const noexcept { return full_met && rescan_met && rss_met; }
};

/// Medians and ratios of `rounds` (at least one) over `tracks` tracks.
Verdict judge(const std::vector<Round>& rounds, int tracks);

/// The Markdown report: context, the summary table with targets, then every round's times.
std::string markdown_report(const std::vector<Round>& rounds, int tracks,
                            const RunContext& context);

}  // namespace scanhub::bench
