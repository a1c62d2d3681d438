#pragma once
// What fanout-bench measured and its Markdown report (for BENCHMARKS.md "Fan-out").

#include "load_client.hpp"

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace scanhub::bench {

/// One system, one round, one subscriber count.
struct FanoutRun {
  System system = System::kScanhub;
  unsigned round = 0;
  std::size_t subscribers = 0;
  std::size_t burst = 0;                     ///< messages in the throughput burst
  double messages_per_second = 0;            ///< deliveries / (last receive - burst written)
  double cpu_us_per_delivery = 0;            ///< server CPU over the burst / deliveries, us
  double client_cpu_us_per_delivery = 0;     ///< the load client's, same window, us
  double paced_cpu_us_per_delivery = 0;      ///< server CPU at 10 messages/s / deliveries, us
  /// Every message at every client at 10/s: arrival at the client's socket - sentAt, ns.
  std::vector<std::int64_t> latencies_ns;
  /// The same messages: when the load client's loop read them - sentAt, ns.
  std::vector<std::int64_t> read_latencies_ns;
  double other_cores = 0;          ///< other work on the machine during the burst, in cores
  double latency_other_cores = 0;  ///< ... during the latency phase
};

/// One system, one round: memory per idle connection.
struct MemoryRun {
  System system = System::kScanhub;
  unsigned round = 0;
  std::size_t connections = 0;
  long rss_before_kb = 0;
  long rss_after_kb = 0;
  double kib_per_connection = 0;
};

struct Results {
  std::string started;  ///< UTC
  std::vector<FanoutRun> fanout;
  std::vector<MemoryRun> memory;
};

struct ReportSettings {
  std::string command;
  unsigned rounds = 0;
  unsigned memory_rounds = 0;
  unsigned latency_messages = 0;
  unsigned scanhub_threads = 0;
  bool client_idle = true;  ///< the latency loop ran at SCHED_IDLE
  std::size_t payload_bytes = 0;
  std::string note;  ///< a deviation from the defaults the reader must know, or empty
};

/// The q-quantile (0 < q <= 1, nearest rank; 1 is the largest) of latencies in ns, in ms;
/// 0 when there are none. Every latency figure of the report and of --per-message.
double quantile_ms(std::vector<std::int64_t> values, double q);

/// The summary table (medians over rounds, ratios, targets) and every round's figures.
void print_report(std::ostream& out, const ReportSettings& settings, const Results& results);

}  // namespace scanhub::bench
