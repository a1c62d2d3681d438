#pragma once
// How busy the rest of the machine is, from /proc/stat: the benchmark's guard against a shared
// machine. It matters more than noise here: MPD runs its update thread at SCHED_IDLE, so any
// other runnable work (even at nice 19) starves MPD first and inflates scanhub's ratio.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace scanhub::bench {

/// Machine-wide CPU time since boot, in clock ticks (sysconf(_SC_CLK_TCK), usually 10 ms).
struct CpuSample {
  std::uint64_t busy = 0;  ///< user + nice + system + irq + softirq + steal (the hypervisor's)
  std::uint64_t idle = 0;  ///< idle + iowait
};

/// Reads the "cpu" line of /proc/stat; a zero sample when it cannot (not Linux).
CpuSample sample_cpu() noexcept;

/// Busy CPU-seconds of the whole machine between two samples.
double busy_seconds(const CpuSample& from, const CpuSample& to) noexcept;

/// User + system CPU time of process `pid` so far (/proc/PID/stat, clock ticks); 0 when it is gone.
std::chrono::nanoseconds process_cpu(pid_t pid);

/// Peak resident set size of process `pid` since it started (VmHWM), KiB; 0 when it is gone.
long vm_hwm_kb(pid_t pid);

/// The last `bytes` of a log file, for error messages.
std::string file_tail(const std::filesystem::path& path, std::size_t bytes = 2000);

/// Before each timed run: waits until the machine, sampled over 250 ms windows, has at most
/// `threshold_cores` of busy CPU, for at most `timeout` (0 = never wait). Returns the last
/// window's busy cores; the run goes ahead either way (the report shows the load per run).
class QuietGate {
 public:
  QuietGate(double threshold_cores, std::chrono::seconds timeout) noexcept
      : threshold_cores_(threshold_cores), timeout_(timeout) {}
  double wait() const;

 private:
  double threshold_cores_;
  std::chrono::seconds timeout_;
};

}  // namespace scanhub::bench
