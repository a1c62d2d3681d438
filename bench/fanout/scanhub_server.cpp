// fanout-scanhub-server: scanhub's own SignalR stack (signalr::HubHost behind http::Server, wired
// as `scanhub serve` wires them) with one bench hub, and Metarr's /ws event socket
// (live::EventService, as `scanhub serve` has it), driven by fanout-bench over stdin/stdout.
// The fan-out measured is the product's: HubContext::send_group, or EventService::publish (the
// history, push::fan_out, each socket's outbox and push::WebSocket); only the hub is the bench's.
//
// --surface signalr (default): hub at /hubs/bench (negotiate or skipNegotiation, JSON or
// MessagePack like every hub):
//   Subscribe(group: string) -> null      joins `group`
//   event ScanProgress(payload)           sent to group "bench" for each `msg` line below
// --surface ws: GET /ws, every socket a subscriber once its welcome arrived; each `msg` line is
//   {"type":"scan:progress","timestamp":...,<the payload's fields>} to every socket, a lifecycle
//   message (never conflated: the peers deliver every message, and so must scanhub here).
//
// The trigger interface, the same for the three servers of bench/fanout (see
// socketio-server.mjs and ws-server.mjs):
//   stdout  "ready <port>\n" once listening on 127.0.0.1 (ephemeral port)
//   stdin   "msg <json>\n"  publish <json> (one progress payload, an object) to every subscriber
//           "heap\n"        print the allocator's figures to stderr (scanhub only; diagnostics)
//           EOF             stop and exit 0
// Usage: fanout-scanhub-server [--threads N] [--surface signalr|ws]   (network threads, default 2
// as `scanhub serve`)

#include "server_args.hpp"

#include "events/commands.hpp"
#include "events/message.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "live/event_service.hpp"
#include "progress/event_bus.hpp"
#include "signalr/hub.hpp"
#include "signalr/hub_host.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace json = boost::json;
using namespace scanhub;

// The /ws clients' commands: no libraries, no scans (the load client sends none).
class NoScans final : public events::ScanCommands {
 public:
  std::vector<core::Library> libraries() override { return {}; }
  std::vector<core::ScanSnapshot> scans() override { return {}; }
  std::expected<Started, events::CommandError> start_library_scan(core::LibraryId) override {
    return std::unexpected(events::CommandError{std::string(events::error_code::kNotFound), "no library"});
  }
  std::expected<void, events::CommandError> cancel_scan(core::ScanId) override {
    return std::unexpected(events::CommandError{std::string(events::error_code::kNotFound), "no scan"});
  }
};

constexpr std::string_view kGroup = "bench";
constexpr std::string_view kEvent = "ScanProgress";

// Subscribe(group): the connection joins the group. Any other target is an error completion.
class FanoutHub final : public signalr::Hub {
 public:
  void set_context(signalr::HubContext& context) noexcept { context_ = &context; }

  void invoke(const signalr::CallerContext& caller, std::string_view target,
              const json::array& arguments, signalr::Completion complete) override {
    if (target != "Subscribe") {
      complete(std::unexpected(signalr::unknown_method_error(target)));
      return;
    }
    if (arguments.size() != 1 || !arguments[0].is_string()) {
      complete(std::unexpected(std::string("Subscribe takes one string, the group.")));
      return;
    }
    context_->add_to_group(caller.connection_id, arguments[0].get_string());
    complete(json::value());
  }

 private:
  signalr::HubContext* context_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = scanhub::bench::parse_server_args(argc, argv, "fanout-scanhub-server");
  if (!parsed) return 2;
  const unsigned threads = parsed->threads;
  spdlog::set_level(spdlog::level::warn);

  boost::asio::io_context io;
  signalr::HubHost hubs;
  auto hub = std::make_shared<FanoutHub>();
  signalr::HubContext& context = hubs.map_hub("/hubs/bench", hub);
  hub->set_context(context);

  progress::EventBus bus;
  NoScans no_scans;
  live::EventService events(bus, no_scans);
  http::Router router;
  if (parsed->ws_surface) live::add_event_routes(router, events);
  const http::StaticFiles files;
  http::ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  http::Server server(io, options, router, hubs, files);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fanout-scanhub-server: cannot listen: %s\n", e.what());
    return 1;
  }
  // The io_context must not run out of work while stdin is still open.
  auto work = boost::asio::make_work_guard(io);
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < threads; ++i) pool.emplace_back([&io] { io.run(); });

  std::printf("ready %u\n", static_cast<unsigned>(server.port()));
  std::fflush(stdout);

  std::string line;
  int status = 0;
  while (std::getline(std::cin, line)) {
    if (line == "heap") {  // diagnostics for the memory figure: heap in use vs. held
      const struct mallinfo2 heap = ::mallinfo2();
      std::fprintf(stderr, "heap: in use %zu KiB, arena %zu KiB, mmapped %zu KiB, free %zu KiB\n",
                   heap.uordblks / 1024, heap.arena / 1024, heap.hblkhd / 1024,
                   heap.fordblks / 1024);
      continue;
    }
    if (!line.starts_with("msg ")) {
      std::fprintf(stderr, "fanout-scanhub-server: unknown command: %.40s\n", line.c_str());
      continue;
    }
    boost::system::error_code ec;
    json::value payload = json::parse(std::string_view(line).substr(4), ec);
    if (ec || !payload.is_object()) {
      std::fprintf(stderr, "fanout-scanhub-server: msg is not a JSON object\n");
      status = 1;
      continue;
    }
    // No conflation key: the peers deliver every message, and so must scanhub here.
    if (parsed->ws_surface) {
      events::Message message = events::make_message("scan:progress", core::Clock::now());
      for (auto& [key, value] : payload.get_object()) message.body[key] = std::move(value);
      events.publish(message);
    } else {
      context.send_group(kGroup, kEvent, json::array{std::move(payload)});
    }
  }

  server.stop();  // graceful; run() returns once every connection has closed
  work.reset();
  for (auto& thread : pool) thread.join();
  return status;
}
