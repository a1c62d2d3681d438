#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <set>
#include <thread>

namespace scanhub::bench {

namespace {


std::optional<double> median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

std::string number(std::optional<double> value, int decimals) {
  if (!value) return "–";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, *value);
  // Thousands separators for the integer part of large figures.
  std::string s = text;
  auto dot = s.find('.');
  std::size_t int_end = dot == std::string::npos ? s.size() : dot;
  for (std::ptrdiff_t i = static_cast<std::ptrdiff_t>(int_end) - 3; i > 0; i -= 3) {
    if (s[static_cast<std::size_t>(i) - 1] == '-') break;
    s.insert(static_cast<std::size_t>(i), ",");
  }
  return s;
}

std::string ratio(std::optional<double> a, std::optional<double> b) {
  if (!a || !b || *b == 0) return "–";
  char text[32];
  std::snprintf(text, sizeof text, "%.3f×", *a / *b);
  return text;
}

using FanoutField = std::function<double(const FanoutRun&)>;

std::optional<double> fanout_median(const Results& results, System system, std::size_t n,
                                    const FanoutField& field) {
  std::vector<double> values;
  for (const auto& run : results.fanout) {
    if (run.system == system && run.subscribers == n) values.push_back(field(run));
  }
  return median(values);
}

std::optional<double> memory_median(const Results& results, System system) {
  std::vector<double> values;
  for (const auto& run : results.memory) {
    if (run.system == system) values.push_back(run.kib_per_connection);
  }
  return median(values);
}

const char* met(bool ok) { return ok ? "**yes**" : "**NO**"; }

}  // namespace

double quantile_ms(std::vector<std::int64_t> values, double q) {
  if (values.empty()) return 0;
  const std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  const std::size_t index = std::min(values.size() - 1, rank == 0 ? 0 : rank - 1);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index), values.end());
  return static_cast<double>(values[index]) / 1e6;
}

void print_report(std::ostream& out, const ReportSettings& settings, const Results& results) {
  std::set<std::size_t> sizes;
  for (const auto& run : results.fanout) sizes.insert(run.subscribers);
  char line[1024];

  out << "- Command: `" << settings.command << "`\n";
  std::snprintf(line, sizeof line,
                "- %u alternated rounds from %s; payload %zu bytes; scanhub server with %u network "
                "threads; latency from %u messages at 10/s per subscriber count, to their arrival "
                "at the client's socket (kernel receive timestamp), load client at %s; medians "
                "over the rounds (memory: the first %u)\n\n",
                settings.rounds, results.started.c_str(), settings.payload_bytes,
                settings.scanhub_threads, settings.latency_messages,
                settings.client_idle ? "SCHED_IDLE" : "normal priority", settings.memory_rounds);
  out << line;
  if (!settings.note.empty()) out << "- Note: " << settings.note << "\n\n";
  // Columns: the systems that ran, scanhub's surfaces first; ratios of each scanhub surface to
  // each peer.
  std::vector<System> columns;
  for (System system : {System::kScanhub, System::kScanhubWs, System::kSocketIo, System::kWs}) {
    const bool ran = std::any_of(results.fanout.begin(), results.fanout.end(),
                                 [system](const FanoutRun& r) { return r.system == system; }) ||
                     std::any_of(results.memory.begin(), results.memory.end(),
                                 [system](const MemoryRun& r) { return r.system == system; });
    if (ran) columns.push_back(system);
  }
  std::vector<std::pair<System, System>> ratios;
  for (System ours : {System::kScanhub, System::kScanhubWs}) {
    for (System peer : {System::kSocketIo, System::kWs}) {
      if (std::count(columns.begin(), columns.end(), ours) &&
          std::count(columns.begin(), columns.end(), peer)) {
        ratios.emplace_back(ours, peer);
      }
    }
  }
  out << "| Measure |";
  for (System system : columns) out << " " << system_name(system) << " |";
  for (const auto& [ours, peer] : ratios) out << " " << system_name(ours) << " / " << system_name(peer) << " |";
  out << " Target | Met |\n|---|";
  for (std::size_t i = 0; i < columns.size() + ratios.size(); ++i) out << "---:|";
  out << "---|---|\n";
  auto row = [&](const std::string& measure, const std::function<std::optional<double>(System)>& get,
                 int decimals, const std::string& target, const std::string& verdict) {
    out << "| " << measure << " |";
    for (System system : columns) out << " " << number(get(system), decimals) << " |";
    for (const auto& [ours, peer] : ratios) out << " " << ratio(get(ours), get(peer)) << " |";
    out << " " << target << " | " << verdict << " |\n";
  };
  for (const std::size_t n : sizes) {
    const std::string at = ", " + number(static_cast<double>(n), 0) + " subscribers";
    auto get = [&](FanoutField field) {
      return [&results, n, field](System system) { return fanout_median(results, system, n, field); };
    };
    row("Delivered messages/s" + at, get([](const FanoutRun& r) { return r.messages_per_second; }), 0,
        "(information)", "");
    const auto cpu = get([](const FanoutRun& r) { return r.cpu_us_per_delivery; });
    const auto s = cpu(System::kScanhub);
    const auto sw = cpu(System::kScanhubWs);
    const auto io = cpu(System::kSocketIo);
    const auto ws = cpu(System::kWs);
    // Every target whose systems ran: SignalR's (issue 3) and /ws's (issue 15).
    std::optional<bool> ok;
    if (s && io && ws) ok = *s <= *io / 5 && *s <= *ws / 4;
    if (sw && ws) ok = ok.value_or(true) && *sw <= *ws / 6;
    row("Server CPU per delivered message, µs" + at, cpu, 3,
        "≤ 1/5 Socket.IO, ≤ 1/4 ws (scanhub); ≤ 1/6 ws (/ws)", ok ? met(*ok) : "");
  }
  for (const std::size_t n : sizes) {
    const std::string at = ", " + number(static_cast<double>(n), 0) + " subscribers";
    auto p = [&](double q, bool read) {
      return [&results, n, q, read](System system) {
        return fanout_median(results, system, n, [q, read](const FanoutRun& r) {
          return quantile_ms(read ? r.read_latencies_ns : r.latencies_ns, q);
        });
      };
    };
    row("p50 latency at 10 messages/s, ms" + at, p(0.50, false), 2, "(information)", "");
    const auto p99 = p(0.99, false);
    const auto s = p99(System::kScanhub);
    const bool targeted = n == 5000;
    row("p99 latency at 10 messages/s, ms" + at, p99, 2, targeted ? "< 50 (scanhub)" : "(information)",
        targeted && s ? met(*s < 50) : "");
    row("p50 latency when the load client read the message, ms" + at, p(0.50, true), 2,
        "(information)", "");
    row("p99 latency when the load client read the message, ms" + at, p(0.99, true), 2,
        "(information)", "");
  }
  if (!results.memory.empty()) {
    const auto n = results.memory.front().connections;
    const auto s = memory_median(results, System::kScanhub);
    const auto sw = memory_median(results, System::kScanhubWs);
    const auto ws = memory_median(results, System::kWs);
    std::optional<bool> ok;
    if (s) ok = *s <= 8;
    if (sw && ws) ok = ok.value_or(true) && *sw <= *ws;
    row("Server memory per idle connection, KiB, " + number(static_cast<double>(n), 0) +
            " connected",
        [&](System system) { return memory_median(results, system); }, 2,
        "≤ 8 (scanhub); ≤ ws (/ws)", ok ? met(*ok) : "");
  }
  for (const std::size_t n : sizes) {
    const std::string at = ", " + number(static_cast<double>(n), 0) + " subscribers";
    row("Server CPU per delivered message at 10 messages/s, µs" + at,
        [&](System system) {
          return fanout_median(results, system, n,
                               [](const FanoutRun& r) { return r.paced_cpu_us_per_delivery; });
        },
        3, "(information)", "");
    row("Load client CPU per delivered message (burst), µs" + at,
        [&](System system) {
          return fanout_median(results, system, n,
                               [](const FanoutRun& r) { return r.client_cpu_us_per_delivery; });
        },
        3, "(information)", "");
  }

  std::vector<double> other;
  for (const auto& r : results.fanout) {
    other.push_back(r.other_cores);
    other.push_back(r.latency_other_cores);
  }
  if (const auto busy = median(other)) {
    std::snprintf(line, sizeof line,
                  "\nOther work on the machine during the timed phases (neither the server nor the "
                  "load client), median: %.2f cores of %u. Latency is what suffers first when it is "
                  "high.\n",
                  *busy, std::thread::hardware_concurrency());
    out << line;
  }
  out << "\n<details><summary>Every round</summary>\n\n"
         "| Round | System | Subscribers | Burst | Delivered/s | Server CPU/msg, µs | At 10/s, µs | "
         "p50, ms | p99, ms | p99 read, ms | Client CPU/msg, µs | Other work, cores (burst / 10/s) |\n"
         "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
  for (const auto& r : results.fanout) {
    std::snprintf(line, sizeof line, "| %u | %s | %zu | %zu | %s | %.3f | %.3f | %.2f | %.2f | %.2f | %.3f | %.2f / %.2f |\n",
                  r.round, std::string(system_name(r.system)).c_str(), r.subscribers, r.burst,
                  number(r.messages_per_second, 0).c_str(), r.cpu_us_per_delivery,
                  r.paced_cpu_us_per_delivery, quantile_ms(r.latencies_ns, 0.5),
                  quantile_ms(r.latencies_ns, 0.99), quantile_ms(r.read_latencies_ns, 0.99),
                  r.client_cpu_us_per_delivery, r.other_cores,
                  r.latency_other_cores);
    out << line;
  }
  if (!results.memory.empty()) {
    out << "\n| Round | System | Connections | VmRSS before, KiB | VmRSS after, KiB | KiB per connection |\n"
           "|---:|---|---:|---:|---:|---:|\n";
    for (const auto& r : results.memory) {
      std::snprintf(line, sizeof line, "| %u | %s | %zu | %ld | %ld | %.2f |\n", r.round,
                    std::string(system_name(r.system)).c_str(), r.connections, r.rss_before_kb,
                    r.rss_after_kb, r.kib_per_connection);
      out << line;
    }
  }
  out << "\n</details>\n";
}

}  // namespace scanhub::bench
