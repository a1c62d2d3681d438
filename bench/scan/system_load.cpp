#include "system_load.hpp"

#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

namespace scanhub::bench {

CpuSample sample_cpu() noexcept {
  std::ifstream stat("/proc/stat");
  std::string label;
  std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                steal = 0;
  if (!(stat >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) ||
      label != "cpu") {
    return {};
  }
  return {user + nice + system + irq + softirq + steal, idle + iowait};
}

double busy_seconds(const CpuSample& from, const CpuSample& to) noexcept {
  static const double ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return static_cast<double>(to.busy - from.busy) / ticks_per_second;
}

double QuietGate::wait() const {
  constexpr auto kWindow = std::chrono::milliseconds(250);
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  double cores = 0;
  do {
    const CpuSample before = sample_cpu();
    std::this_thread::sleep_for(kWindow);
    cores = busy_seconds(before, sample_cpu()) / std::chrono::duration<double>(kWindow).count();
    if (cores <= threshold_cores_) break;
  } while (std::chrono::steady_clock::now() < deadline);
  return cores;
}

}  // namespace scanhub::bench
