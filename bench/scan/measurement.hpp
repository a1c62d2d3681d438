#pragma once
// What one timed run of either system yields, and the error for a run that did not do the work.

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace scanhub::bench {

/// A run finished but did not do what was measured (wrong track count, exit status, summary):
/// its time means nothing, so the benchmark stops. what() says which run and why.
class VerificationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Measurement {
  std::chrono::nanoseconds wall{0};  ///< what was timed (see BENCHMARKS.md for each side)
  long peak_rss_kb = 0;              ///< scanhub: wait4 ru_maxrss; MPD: the daemon's VmHWM
  int tracks = 0;                    ///< tracks the system reported after the run
  std::chrono::nanoseconds cpu{0};   ///< CPU time of the measured side (see BENCHMARKS.md)
  double background_cores = 0;       ///< other work on the machine during the run, in cores
};

/// Busy CPU of the machine not accounted to the measured side, per second of wall time.
inline double background_cores(double machine_busy_seconds, std::chrono::nanoseconds measured_cpu,
                               std::chrono::nanoseconds wall) {
  const double other = machine_busy_seconds - std::chrono::duration<double>(measured_cpu).count();
  return std::max(0.0, other / std::chrono::duration<double>(wall).count());
}

}  // namespace scanhub::bench
