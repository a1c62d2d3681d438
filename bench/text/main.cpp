// text-bench: the cost of text::serialize_json's UTF-8 check (text/json_text.hpp), which every
// hub message pays, on a typical seed 000 ScanProgress message: Boost.JSON's serialize alone,
// serialize_json (serialize + is_valid_utf8), the check alone, and the whole JSON hub record
// (signalr::write_invocation). Best of 7 rounds, nanoseconds per message.
//
//   text-bench [ITERATIONS [ascii]]   (default 200000 per round; `ascii`: the first message only,
//                                      e.g. to count instructions under callgrind)
#include "core/time.hpp"
#include "hubs/progress_payloads.hpp"
#include "signalr/json_hub_protocol.hpp"
#include "text/json_text.hpp"
#include "text/utf8.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

using namespace scanhub;

namespace {

std::size_t g_sink = 0;  // keeps the work from being optimized away

double best_ns(int iterations, const std::function<std::size_t()>& work) {
  double best = 1e300;
  for (int round = 0; round < 7; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) g_sink += work();
    const std::chrono::duration<double, std::nano> elapsed =
        std::chrono::steady_clock::now() - start;
    best = std::min(best, elapsed.count() / iterations);
  }
  return best;
}

hubs::HubMessage progress_message(const std::string& library, const std::string& directory) {
  core::ScanSnapshot scan;
  scan.id = 4711;
  scan.libraries = {{3, library}};
  scan.current_library_id = 3;
  scan.status = core::ScanStatus::scanning;
  scan.counters.directories_total = 1200;
  scan.counters.directories_queued = 1200;
  scan.counters.directories_scanned = 517;
  scan.counters.tracks_found = 6210;
  scan.counters.tracks_new = 6100;
  scan.counters.errors_count = 3;
  scan.current_directory = directory;
  scan.current_operation = "Scanned " + directory;
  scan.times.started_at = core::Clock::now();
  scan.estimated_time_remaining = std::chrono::milliseconds(83'500);
  auto messages = hubs::progress_hub_messages(progress::ScanProgressed{scan});
  return messages.front();
}

void measure(const char* label, const hubs::HubMessage& m, int iterations) {
  const std::string serialized = boost::json::serialize(m.arguments);
  const double plain =
      best_ns(iterations, [&] { return boost::json::serialize(m.arguments).size(); });
  const double checked =
      best_ns(iterations, [&] { return text::serialize_json(m.arguments).size(); });
  const double check =
      best_ns(iterations, [&] { return std::size_t{text::is_valid_utf8(serialized)}; });
  const double record =
      best_ns(iterations, [&] { return signalr::write_invocation(m.target, m.arguments).size(); });
  std::printf("| %s | %zu | %.0f | %.0f | %.1f | %+.1f%% | %.0f |\n", label, serialized.size(),
              plain, checked, check, 100.0 * (checked - plain) / plain, record);
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200'000;
  std::printf(
      "| message | bytes | serialize ns | serialize_json ns | is_valid_utf8 ns | overhead | "
      "JSON hub record ns |\n|---|---|---|---|---|---|---|\n");
  measure("ScanProgress, ASCII names", progress_message("/srv/music", "Miles Davis/Kind of Blue"),
          iterations);
  if (argc > 2 && std::string(argv[2]) == "ascii") return g_sink == 0 ? 1 : 0;
  measure("ScanProgress, UTF-8 names",
          progress_message("/srv/musik", "Björk/Homogenic (坂本龍一 remix)"), iterations);
  measure("ScanProgress, a name not UTF-8", progress_message("/srv/musik", "Bj\xF6rk/Homogenic"),
          iterations);
  return g_sink == 0 ? 1 : 0;
}
