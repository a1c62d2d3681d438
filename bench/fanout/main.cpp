// fanout-bench: scanhub's SignalR fan-out and its /ws event socket (issue 15) against a
// Socket.IO 4 server and a plain ws server, in the same run on the same machine (issue 3, item
// 7; BENCHMARKS.md "Fan-out"). Each server
// publishes the same ~300-byte progress payload to 1,000 and 5,000 subscribed clients of one
// C++ load client (load_client.hpp); the systems alternate over several rounds and the report
// gives medians and ratios. A benchmark, never a test; `--smoke` is the ctest check that it still
// runs and every message reaches every client.
//
// Per round and system: start the server; for each subscriber count, connect and subscribe,
// warm up, then
//   throughput  write a burst of messages at once; delivered messages/s = messages x
//               subscribers / (last receive - burst written); server CPU per delivered message
//               = server CPU (schedstat of all its threads) over that window / deliveries
//   latency     one message every 100 ms (10 messages/s) stamped with the client's clock when
//               written; latency = arrival - stamp, every message at every client, where
//               arrival is the kernel's receive timestamp on the client's socket; the load
//               client's loop runs at SCHED_IDLE meanwhile (--client-idle), so that it takes
//               the cores only when the server leaves them, as remote clients would. The time
//               the loop read each message is reported too.
// then, on a fresh server, memory per idle connection = (VmRSS with N subscribed and idle after
// one message each - VmRSS before the first connection) / N, N = 20,000.
// `--ws-floor` puts fanout-floor-server (floor_server.cpp: a bare send() loop per thread, no
// per-connection state) in the ws column: the least any server pays per delivery here.
// `--per-message` prints each latency message's spread over the subscribers.
// Exit status: 0 when every run delivered every message; 1 otherwise (the report is not printed).

#include "load_client.hpp"
#include "report.hpp"
#include "server_process.hpp"

#include <CLI/CLI.hpp>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace scanhub::bench;
using namespace std::chrono_literals;

// The progress payload (seed 000's ScanProgressDto, camelCase), ~300 bytes with seq and sentAt.
std::string payload(std::uint64_t seq, std::int64_t sent_at) {
  char text[512];
  const int n = std::snprintf(
      text, sizeof text,
      R"({"scanId":"8c0e6a52-3f1d-4c2b-9a7e-5d4f3b2a1c09","phase":"Indexing","tracksIndexed":%llu,)"
      R"("totalTracks":48211,"embeddingsCompleted":0,"totalEmbeddings":0,"percentComplete":37.42,)"
      R"("currentFile":"Artist Name/Album Title (2011)/07 - A Track With A Long Title.flac",)"
      R"("estimatedTimeRemaining":"PT4M12S","startedAt":"2026-11-21T08:30:00Z","seq":%llu,"sentAt":%lld})",
      static_cast<unsigned long long>(18040 + seq), static_cast<unsigned long long>(seq),
      static_cast<long long>(sent_at));
  return std::string(text, static_cast<std::size_t>(n));
}

std::string msg_line(std::uint64_t seq) { return "msg " + payload(seq, now_ns()) + "\n"; }

struct Options {
  unsigned rounds = 3;
  std::vector<std::size_t> sizes{1000, 5000};
  std::size_t deliveries = 100'000;
  unsigned latency_messages = 30;
  std::size_t idle_connections = 20'000;
  unsigned memory_rounds = 1;  // the figure hardly moves between rounds; 20,000 connections are slow
  unsigned scanhub_threads = 2;
  bool client_idle = true;  // the load client's latency loop runs at SCHED_IDLE
  std::vector<std::string> systems{"scanhub", "scanhub-ws", "socketio", "ws"};
  bool smoke = false;
  fs::path work_dir = FANOUT_WORK_DIR;
  std::string scanhub_server = FANOUT_SCANHUB_SERVER;
  bool ws_floor = false;     // the ws column runs fanout-floor-server instead of npm ws
  bool per_message = false;  // each latency message's p50/p99/max on stderr
};

std::vector<std::string> server_command(System system, const Options& options) {
  switch (system) {
    case System::kScanhub:
      return {options.scanhub_server, "--threads", std::to_string(options.scanhub_threads)};
    case System::kScanhubWs:
      return {options.scanhub_server, "--threads", std::to_string(options.scanhub_threads),
              "--surface", "ws"};
    case System::kSocketIo:
      return {"node", FANOUT_SOURCE_DIR "/socketio-server.mjs"};
    case System::kWs:
      if (options.ws_floor) {
        return {FANOUT_FLOOR_SERVER, "--threads", std::to_string(options.scanhub_threads)};
      }
      return {"node", FANOUT_SOURCE_DIR "/ws-server.mjs"};
  }
  return {};
}

// The server's log file: its system's name, made a file name ("scanhub /ws" -> "scanhub-ws").
std::string log_name(System system) {
  std::string name;
  for (char c : system_name(system)) {
    if (c == '/') continue;
    name += c == ' ' ? '-' : c;
  }
  return name + ".log";
}

void ensure_delivered(LoadClient& client, std::uint64_t last_seq, System system, std::size_t n,
                      std::chrono::milliseconds timeout) {
  if (!client.wait_delivered(last_seq, timeout)) {
    throw ClientError(std::string(system_name(system)) + ": message " + std::to_string(last_seq) +
                      " did not reach all " + std::to_string(n) + " subscribers within " +
                      std::to_string(timeout.count()) + " ms");
  }
}

// Busy CPU time of the whole machine since boot (user + nice + system + irq + softirq + steal
// from /proc/stat), ns: with the server's and our own CPU it gives the other work meanwhile.
std::int64_t machine_busy_ns() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  std::int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  static const long ticks = ::sysconf(_SC_CLK_TCK);
  return (user + nice + system + irq + softirq + steal) * (1'000'000'000 / ticks);
}

double seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

// Cores' worth of other work on the machine: busy time not ours nor the server's, per wall time.
double other_cores(std::int64_t machine_busy, std::int64_t ours, std::int64_t wall) {
  return std::max(0.0, static_cast<double>(machine_busy - ours) / static_cast<double>(wall));
}

// The calling thread only (Linux: the policy is per thread) gives the CPU to every normal
// thread on the machine. Throws ClientError when refused.
void set_idle_policy() {
  const sched_param param{};
  if (::sched_setscheduler(0, SCHED_IDLE, &param) != 0) {
    throw ClientError("sched_setscheduler(SCHED_IDLE): " + std::string(std::strerror(errno)));
  }
}

// Back to SCHED_OTHER when allowed; a failure (no CAP_SYS_NICE) is harmless.
void leave_idle_policy() noexcept {
  const sched_param param{};
  (void)::sched_setscheduler(0, SCHED_OTHER, &param);
}

std::int64_t own_cpu_ns() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1'000'000'000LL +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1'000LL;
}

// --per-message: how each latency message spread over the subscribers (arrival, ms), and the
// spread of those per-message p99s: the run's p99 is set by its slowest few messages.
void print_per_message(System system, std::size_t n, const Latencies& latencies) {
  std::map<std::uint64_t, std::vector<std::int64_t>> by_message;
  for (std::size_t i = 0; i < latencies.seq.size(); ++i) {
    by_message[latencies.seq[i]].push_back(latencies.arrived[i]);
  }
  const std::string name(system_name(system));
  std::vector<double> p99s;
  for (const auto& [message, values] : by_message) {
    const double p99 = quantile_ms(values, 0.99);
    p99s.push_back(p99);
    std::fprintf(stderr, "fanout-bench: %s %zu subscribers, message %llu: p50 %.1f p99 %.1f max %.1f ms\n",
                 name.c_str(), n, static_cast<unsigned long long>(message),
                 quantile_ms(values, 0.5), p99, quantile_ms(values, 1.0));
  }
  if (p99s.empty()) return;
  std::sort(p99s.begin(), p99s.end());
  std::fprintf(stderr,
               "fanout-bench: %s %zu subscribers, per-message p99: median %.1f, 90th percentile "
               "%.1f, slowest %.1f ms\n",
               name.c_str(), n, p99s[p99s.size() / 2], p99s[p99s.size() * 9 / 10], p99s.back());
}

// One system, one round: every subscriber count in turn on one server.
void run_fanout(System system, const Options& options, unsigned round, Results& results) {
  const fs::path log = options.work_dir / log_name(system);
  ServerProcess server(server_command(system, options), log);
  LoadClient client(system, server.port());
  std::uint64_t seq = 0;
  for (const std::size_t n : options.sizes) {
    client.connect_to(n, 120s);
    const auto timeout = std::chrono::milliseconds(30'000 + n * 10);
    // Warm-up: every path taken once (and the new subscribers' first message).
    for (int i = 0; i < 3; ++i) server.write(msg_line(++seq));
    ensure_delivered(client, seq, system, n, timeout);
    client.run_for(100ms);

    FanoutRun run;
    run.system = system;
    run.round = round;
    run.subscribers = n;

    // Throughput: one burst, written at once.
    const std::size_t burst = std::max<std::size_t>(1, options.deliveries / n);
    std::string lines;
    const std::uint64_t first = seq + 1;
    for (std::size_t i = 0; i < burst; ++i) lines += msg_line(++seq);
    const auto cpu_before = server.cpu_time();
    const auto client_cpu_before = own_cpu_ns();
    const auto machine_before = machine_busy_ns();
    const auto written_at = now_ns();
    server.write(lines);
    ensure_delivered(client, seq, system, n, timeout + std::chrono::milliseconds(burst * n / 20));
    const auto delivered_at = client.last_receive_ns();
    client.run_for(50ms);  // work the server still does after the last delivery counts too
    const auto cpu_after = server.cpu_time();
    const double deliveries = static_cast<double>(burst * n);
    run.burst = burst;
    run.messages_per_second = deliveries / seconds(delivered_at - written_at);
    run.cpu_us_per_delivery = static_cast<double>((cpu_after - cpu_before).count()) / 1e3 / deliveries;
    const auto client_cpu = own_cpu_ns() - client_cpu_before;
    run.client_cpu_us_per_delivery = static_cast<double>(client_cpu) / 1e3 / deliveries;
    run.other_cores = other_cores(machine_busy_ns() - machine_before,
                                  (cpu_after - cpu_before).count() + client_cpu,
                                  now_ns() - written_at);
    (void)first;

    // Latency at 10 messages/s, on a thread of its own so that its scheduling policy is its
    // own: at SCHED_IDLE (the default) the load client reads when the server under test leaves
    // a core free, as clients on other machines would, and the arrival time of each message
    // is the kernel's receive timestamp, not when this loop got to it (both are kept).
    client.take_latencies();
    const auto latency_cpu_before = server.cpu_time();
    const auto latency_client_before = own_cpu_ns();
    const auto latency_machine_before = machine_busy_ns();
    const auto latency_started = now_ns();
    std::exception_ptr latency_error;
    std::thread latency_thread([&] {
      try {
        if (options.client_idle) set_idle_policy();
        client.record_latencies(true);
        auto next = now_ns();
        for (unsigned i = 0; i < options.latency_messages; ++i) {
          server.write(msg_line(++seq));
          next += 100'000'000;
          client.run_for(std::chrono::nanoseconds(std::max<std::int64_t>(0, next - now_ns())));
        }
        // The last message still at SCHED_IDLE; if that takes over 2 s, other work on a busy
        // machine is starving the loop: the rest at normal priority, so that it cannot run
        // past the timeout (arrival times are the kernel's either way). Leaving SCHED_IDLE
        // needs CAP_SYS_NICE; without it the loop stays idle.
        if (options.client_idle && !client.wait_delivered(seq, std::chrono::seconds(2))) {
          leave_idle_policy();
        }
        ensure_delivered(client, seq, system, n, timeout);
        client.record_latencies(false);
      } catch (...) {
        latency_error = std::current_exception();
      }
    });
    latency_thread.join();
    if (latency_error) std::rethrow_exception(latency_error);
    const auto latency_cpu_after = server.cpu_time();
    run.latency_other_cores =
        other_cores(machine_busy_ns() - latency_machine_before,
                    (latency_cpu_after - latency_cpu_before).count() + own_cpu_ns() -
                        latency_client_before,
                    now_ns() - latency_started);
    Latencies latencies = client.take_latencies();
    if (options.per_message) print_per_message(system, n, latencies);
    run.latencies_ns = std::move(latencies.arrived);
    run.read_latencies_ns = std::move(latencies.read);
    const double expected = static_cast<double>(options.latency_messages) * static_cast<double>(n);
    if (static_cast<double>(run.latencies_ns.size()) != expected) {
      throw ClientError(std::string(system_name(system)) + ": " +
                        std::to_string(run.latencies_ns.size()) + " latency samples, expected " +
                        std::to_string(static_cast<std::size_t>(expected)));
    }
    run.paced_cpu_us_per_delivery =
        static_cast<double>((latency_cpu_after - latency_cpu_before).count()) / 1e3 / expected;
    results.fanout.push_back(std::move(run));
    std::fprintf(stderr, "fanout-bench: round %u %s %zu subscribers: %.0f msg/s, %.2f us CPU/msg\n",
                 round, std::string(system_name(system)).c_str(), n,
                 results.fanout.back().messages_per_second,
                 results.fanout.back().cpu_us_per_delivery);
  }
  client.close_all();
  server.stop();
}

void run_memory(System system, const Options& options, unsigned round, Results& results) {
  const fs::path log = options.work_dir / log_name(system);
  ServerProcess server(server_command(system, options), log);
  LoadClient client(system, server.port());
  // One connection and message first, so lazily started machinery is not counted per connection.
  client.connect_to(1, 30s);
  server.write(msg_line(1));
  ensure_delivered(client, 1, system, 1, 10s);
  client.run_for(300ms);
  const long before = server.rss_kb();
  client.connect_to(options.idle_connections + 1, 300s, 512);
  server.write(msg_line(2));
  ensure_delivered(client, 2, system, options.idle_connections + 1, 60s);
  client.run_for(1s);
  const long after = server.rss_kb();
  if (system == System::kScanhub || system == System::kScanhubWs) {
    server.write("heap\n");  // into its log, for diagnosis
  }
  MemoryRun run;
  run.system = system;
  run.round = round;
  run.connections = options.idle_connections;
  run.rss_before_kb = before;
  run.rss_after_kb = after;
  run.kib_per_connection = static_cast<double>(after - before) /
                           static_cast<double>(options.idle_connections);
  results.memory.push_back(run);
  std::fprintf(stderr, "fanout-bench: round %u %s: %.2f KiB per idle connection\n", round,
               std::string(system_name(system)).c_str(), run.kib_per_connection);
  client.close_all();
  server.stop();
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"fanout-bench: scanhub's SignalR fan-out against Socket.IO 4 and ws (BENCHMARKS.md)"};
  app.add_option("--rounds", options.rounds, "rounds; the systems alternate in each")
      ->capture_default_str();
  app.add_option("--subscribers", options.sizes, "subscriber counts for throughput and latency")
      ->capture_default_str();
  app.add_option("--deliveries", options.deliveries,
                 "messages x subscribers per throughput burst")
      ->capture_default_str();
  app.add_option("--latency-messages", options.latency_messages,
                 "messages sent at 10/s for the latency figures")
      ->capture_default_str();
  app.add_option("--idle-connections", options.idle_connections,
                 "connections for the memory figure (0: skip)")
      ->capture_default_str();
  app.add_option("--memory-rounds", options.memory_rounds,
                 "rounds that also measure memory per idle connection (the first ones)")
      ->capture_default_str();
  app.add_option("--scanhub-threads", options.scanhub_threads,
                 "network threads of the scanhub server (scanhub serve's default is 2)")
      ->capture_default_str();
  app.add_option("--client-idle", options.client_idle,
                 "run the load client's latency loop at SCHED_IDLE (false: at normal priority, "
                 "competing with the server for the cores)")
      ->capture_default_str();
  app.add_option("--systems", options.systems,
                 "any of scanhub (SignalR), scanhub-ws (the /ws event socket), socketio, ws")
      ->capture_default_str();
  app.add_option("--work-dir", options.work_dir, "server logs")->capture_default_str();
  app.add_option("--scanhub-server", options.scanhub_server,
                 "the scanhub side (another build of fanout-scanhub-server, or a wrapper)")
      ->capture_default_str();
  app.add_flag("--ws-floor", options.ws_floor,
               "the ws column runs fanout-floor-server (a bare send() loop on --scanhub-threads "
               "threads behind Beast's handshake: the kernel's floor) instead of npm ws");
  app.add_flag("--per-message", options.per_message,
               "print each latency message's p50, p99 and slowest arrival (ms) on stderr");
  app.add_flag("--smoke", options.smoke,
               "the ctest check: 50 subscribers, one round, every message to every client");
  CLI11_PARSE(app, argc, argv);
  if (options.smoke) {
    options.rounds = 1;
    options.sizes = {50};
    options.deliveries = 1000;
    options.latency_messages = 5;
    options.idle_connections = 200;
    // A check that runs beside other tests: an idle-priority loop could starve behind them.
    options.client_idle = false;
  }

  std::vector<System> systems;
  for (const auto& name : options.systems) {
    if (name == "scanhub") systems.push_back(System::kScanhub);
    else if (name == "scanhub-ws") systems.push_back(System::kScanhubWs);
    else if (name == "socketio") systems.push_back(System::kSocketIo);
    else if (name == "ws") systems.push_back(System::kWs);
    else {
      std::fprintf(stderr, "fanout-bench: unknown system '%s'\n", name.c_str());
      return 2;
    }
  }

  std::signal(SIGPIPE, SIG_IGN);
  const std::size_t largest = std::max(options.idle_connections,
                                       *std::max_element(options.sizes.begin(), options.sizes.end()));
  const auto limit = raise_open_files_limit(largest + 1024);
  std::string limit_note;
  if (limit < largest + 256) {
    // Every process here (this client and each server) is bound by the hard limit, which only
    // CAP_SYS_RESOURCE can raise: measure as many connections as fit, and say so.
    if (limit < 1024 || *std::max_element(options.sizes.begin(), options.sizes.end()) + 256 > limit) {
      std::fprintf(stderr, "fanout-bench: RLIMIT_NOFILE is %llu, too low for %zu connections\n",
                   static_cast<unsigned long long>(limit), largest);
      return 1;
    }
    const std::size_t fitting = (static_cast<std::size_t>(limit) - 256) / 100 * 100;
    limit_note = "memory measured with " + std::to_string(fitting) + " instead of " +
                 std::to_string(options.idle_connections) +
                 " connections: RLIMIT_NOFILE's hard limit is " + std::to_string(limit) +
                 " here and cannot be raised without CAP_SYS_RESOURCE";
    std::fprintf(stderr, "fanout-bench: %s\n", limit_note.c_str());
    options.idle_connections = fitting;
  }
  fs::create_directories(options.work_dir);

  Results results;
  results.started = utc_now();
  try {
    for (unsigned round = 1; round <= options.rounds; ++round) {
      std::vector<System> order = systems;
      std::rotate(order.begin(), order.begin() + (round - 1) % order.size(), order.end());
      for (System system : order) run_fanout(system, options, round, results);
      if (options.idle_connections > 0 && round <= options.memory_rounds) {
        for (System system : order) run_memory(system, options, round, results);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fanout-bench: %s\n", e.what());
    return 1;
  }
  ReportSettings settings;
  settings.command = options.smoke ? "fanout-bench --smoke" : "fanout-bench";
  for (int i = 1; i < argc && !options.smoke; ++i) settings.command += std::string(" ") + argv[i];
  settings.rounds = options.rounds;
  settings.memory_rounds = std::min(options.memory_rounds, options.rounds);
  settings.latency_messages = options.latency_messages;
  settings.scanhub_threads = options.scanhub_threads;
  settings.client_idle = options.client_idle;
  settings.payload_bytes = payload(1, now_ns()).size();
  settings.note = limit_note;
  print_report(std::cout, settings, results);
  return 0;
}
