#pragma once
// How long reading one file may take, and who may stop it: the per-file time budget of tag and
// stream reading (`scanhub scan|serve --file-time-budget SECONDS`) and the scan job's stop
// token (a cancelled scan, a shutting-down queue). Checked inside the reading itself, at every
// read of the file (BoundedStream for TagLib, FFmpeg's interrupt callback for libavformat), so
// a file that would keep a reader busy for minutes (an MPEG frame search over 500 MB of zeros)
// costs at most the budget, and a cancel stops it at its next read.

#include <chrono>
#include <functional>
#include <stdexcept>
#include <stop_token>
#include <string>

namespace scanhub::media {

/// The default per-file budget: a real audio file's tags and properties take milliseconds, a
/// video's probe well under a second, a 15-minute track's decoding about one second.
inline constexpr std::chrono::milliseconds kDefaultFileTimeBudget{10'000};

struct ReadLimits {
  /// Wall-clock time reading one file may take, from opening it. Positive.
  std::chrono::milliseconds time_budget = kDefaultFileTimeBudget;
  /// Reading stops at its next read once a stop is requested (the job's stop token).
  std::stop_token stop;
  /// The clock the budget is measured on; empty: std::chrono::steady_clock. Tests inject one.
  std::function<std::chrono::steady_clock::time_point()> clock_for_test;
};

/// The reason a file over its budget is reported with: "reading took longer than the 10 s
/// budget" (seconds as given: "1.5 s", "300 s").
std::string budget_exceeded_reason(std::chrono::milliseconds budget);

/// Thrown when reading a file stopped because ReadLimits::stop was requested. Deliberately not
/// a ReadError: it says nothing about the file, so a scan must not record it as the file's
/// error; the job stops instead (and runs again after a restart if it was not cancelled).
class ReadCancelled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace scanhub::media
