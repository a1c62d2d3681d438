#include "system_load.hpp"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
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

std::chrono::nanoseconds process_cpu(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  const std::string stat{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  // Fields after the command name, which is in parentheses and may hold spaces: state is field
  // 3, utime 14 and stime 15 (proc(5)), in clock ticks.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  static const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
  return std::chrono::nanoseconds((utime + stime) * 1'000'000'000ULL / ticks_per_second);
}

long vm_hwm_kb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return std::stol(line.substr(6));
  }
  return 0;
}

std::string file_tail(const std::filesystem::path& path, std::size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
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
