// A small server for the end-to-end tests (tests/e2e): the test hub at /hubs/test, a few REST
// routes, the embedded static files. Prints the bound port on stdout, then serves until SIGTERM,
// SIGINT or EOF on stdin (so it dies with the test that spawned it), and exits 0 after a
// graceful stop.
//
// Flags: --port N (0) --address A (127.0.0.1) --threads N (2) --keep-alive-ms --client-timeout-ms
//        --handshake-timeout-ms --close-timeout-ms --max-message-size --outbox-max-messages
//        --max-pending-invocations --body-limit --long-poll-timeout-ms --cors-origin ORIGIN (repeatable)
//        --reconnect-grace-ms --stateful-buffer-bytes --no-stateful-reconnect --send-timeout-ms
//        --web-root DIR --no-stdin --log-level LEVEL (warn)
//        --token TOKEN=USER[:admin][:TTL_MS] (repeatable): authentication on, with these bearer
//        tokens valid (support/test_authenticator.hpp); TTL_MS: the token expires that long
//        after the server starts. GET /api/whoami (any caller) and GET /api/admin (role admin)
//        answer {userId, admin}.
#include "http/json_response.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "signalr/hub_host.hpp"
#include "support/test_authenticator.hpp"
#include "test_hub.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json/object.hpp>

#include <spdlog/spdlog.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace scanhub;

namespace {

struct Flags {
  http::ServerOptions server;
  signalr::HubOptions hub;
  int threads = 2;
  bool watch_stdin = true;
  std::string log_level = "warn";
  std::shared_ptr<test::TestAuthenticator> authenticator;  // null: authentication off
};

// "TOKEN=USER[:admin][:TTL_MS]"
void add_token(Flags& flags, const std::string& spec) {
  const auto equals = spec.find('=');
  if (equals == std::string::npos || equals == 0) {
    std::cerr << "--token wants TOKEN=USER[:admin][:TTL_MS], not " << spec << "\n";
    std::exit(2);
  }
  std::string user = spec.substr(equals + 1);
  bool admin = false;
  auto expires = std::chrono::system_clock::time_point::max();
  for (auto colon = user.rfind(':'); colon != std::string::npos; colon = user.rfind(':')) {
    const std::string part = user.substr(colon + 1);
    if (part == "admin") {
      admin = true;
    } else {
      expires = std::chrono::system_clock::now() + std::chrono::milliseconds(std::stol(part));
    }
    user.resize(colon);
  }
  if (!flags.authenticator) flags.authenticator = std::make_shared<test::TestAuthenticator>();
  flags.authenticator->add(spec.substr(0, equals), test::TestAuthenticator::user(user, admin, expires));
}

Flags parse_flags(int argc, char** argv) {
  Flags flags;
  flags.server.shutdown_grace = std::chrono::seconds(3);
  for (int i = 1; i < argc; ++i) {
    const std::string name = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "missing value for " << name << "\n";
        std::exit(2);
      }
      return argv[++i];
    };
    auto ms = [&] { return std::chrono::milliseconds(std::stol(value())); };
    if (name == "--port") flags.server.port = static_cast<std::uint16_t>(std::stoi(value()));
    else if (name == "--address") flags.server.address = value();
    else if (name == "--threads") flags.threads = std::max(1, std::stoi(value()));
    else if (name == "--keep-alive-ms") flags.hub.keep_alive_interval = ms();
    else if (name == "--client-timeout-ms") flags.hub.client_timeout = ms();
    else if (name == "--handshake-timeout-ms") flags.hub.handshake_timeout = ms();
    else if (name == "--max-message-size") flags.hub.max_receive_message_size = std::stoul(value());
    else if (name == "--close-timeout-ms") flags.hub.close_timeout = ms();
    else if (name == "--max-pending-invocations") flags.hub.max_pending_invocations = std::stoul(value());
    else if (name == "--outbox-max-messages") flags.hub.outbox_max_messages = std::stoul(value());
    else if (name == "--body-limit") flags.server.body_limit = std::stoul(value());
    else if (name == "--long-poll-timeout-ms") flags.hub.long_poll_timeout = ms();
    else if (name == "--reconnect-grace-ms") flags.hub.reconnect_grace_period = ms();
    else if (name == "--stateful-buffer-bytes") flags.hub.stateful_reconnect_buffer_size = std::stoul(value());
    else if (name == "--no-stateful-reconnect") flags.hub.allow_stateful_reconnect = false;
    else if (name == "--send-timeout-ms") flags.hub.transport_send_timeout = ms();
    else if (name == "--cors-origin") flags.server.cors_origins.push_back(value());
    else if (name == "--web-root") flags.server.web_root = value();
    else if (name == "--no-stdin") flags.watch_stdin = false;
    else if (name == "--log-level") flags.log_level = value();
    else if (name == "--token") add_token(flags, value());
    else {
      std::cerr << "unknown flag " << name << "\n";
      std::exit(2);
    }
  }
  return flags;
}

void add_routes(http::Router& router, signalr::HubHost& hubs) {
  router.add(http::Verb::get, "/api/echo/{word}", [](const http::Request&, const http::PathParams& p) {
    return http::json_response(http::Status::ok, json::object{{"word", p.at("word")}});
  });
  router.add(http::Verb::post, "/api/body", [](const http::Request& request, const http::PathParams&) {
    return http::json_response(http::Status::ok, json::object{{"length", request.body().size()}});
  });
  router.add(http::Verb::get, "/api/throw", [](const http::Request&, const http::PathParams&) -> http::Response {
    throw std::runtime_error("secret internal detail");
  });
  router.add(http::Verb::get, "/api/invalid", [](const http::Request&, const http::PathParams&) -> http::Response {
    throw std::invalid_argument("the value is invalid");
  });
  auto whoami = [](const http::Request&, const http::PathParams&, const auth::Principal& user) {
    return http::json_response(http::Status::ok,
                               json::object{{"userId", user.user_id}, {"admin", user.admin}});
  };
  router.add(http::Verb::get, "/api/whoami", http::PrincipalHandler(whoami));
  router.add(http::Verb::get, "/api/admin", http::PrincipalHandler(whoami), http::Access::kAdmin);
  router.add(http::Verb::get, "/api/counters", [&hubs](const http::Request&, const http::PathParams&) {
    const auto c = hubs.counters();
    return http::json_response(http::Status::ok,
                               json::object{{"connectionsOpen", c.connections_open},
                                            {"connectionsTotal", c.connections_total},
                                            {"messagesSent", c.messages_sent},
                                            {"messagesConflated", c.messages_conflated},
                                            {"slowConnectionsClosed", c.slow_connections_closed},
                                            {"protocolErrors", c.protocol_errors}});
  });
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = parse_flags(argc, argv);
  spdlog::set_level(spdlog::level::from_str(flags.log_level));

  asio::io_context io;
  asio::io_context worker;  // completes Delayed() invocations off the network threads
  auto worker_guard = asio::make_work_guard(worker);
  std::thread worker_thread([&worker] { worker.run(); });

  signalr::HubHost hubs;
  auto hub = std::make_shared<tests::TestHub>(worker.get_executor());
  hub->set_context(&hubs.map_hub("/hubs/test", hub, flags.hub));
  http::Router router;
  router.set_authenticator(flags.authenticator);
  add_routes(router, hubs);
  const http::StaticFiles files = http::embedded_static_files();
  http::Server server(io, flags.server, router, hubs, files);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "hub_test_server: " << e.what() << "\n";
    worker_guard.reset();
    worker_thread.join();
    return 1;
  }
  std::cout << server.port() << std::endl;

  auto control = asio::make_strand(io);
  asio::signal_set signals(control, SIGINT, SIGTERM);
  asio::posix::stream_descriptor input(control, ::dup(STDIN_FILENO));
  std::array<char, 256> scratch{};
  bool stopping = false;
  auto stop = [&] {
    if (stopping) return;
    stopping = true;
    server.stop([&] {
      asio::post(control, [&] {
        signals.cancel();
        boost::system::error_code ignored;
        input.cancel(ignored);
        input.close(ignored);
      });
    });
  };
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) stop();
  });
  std::function<void()> watch_input = [&] {
    input.async_read_some(asio::buffer(scratch), [&](boost::system::error_code ec, std::size_t) {
      if (ec == asio::error::eof) {
        stop();
      } else if (!ec) {
        watch_input();
      }  // other errors (stdin not pollable): just stop watching
    });
  };
  if (flags.watch_stdin) watch_input();

  std::vector<std::thread> threads;
  for (int i = 1; i < flags.threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  worker_guard.reset();
  worker.stop();
  worker_thread.join();
  return 0;
}
