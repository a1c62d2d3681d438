#include "scanhub_daemon.hpp"

#include "system_load.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <charconv>
#include <fstream>
#include <iterator>
#include <thread>

namespace scanhub::bench {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using namespace std::chrono_literals;

// One keep-alive HTTP/1.1 connection to the server on 127.0.0.1.
class HttpConnection {
 public:
  explicit HttpConnection(std::uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    socket_.set_option(tcp::no_delay(true));
  }

  // The JSON body of the answer; throws VerificationError for a status other than 200.
  json::value request(http::verb verb, const std::string& target) {
    http::request<http::empty_body> request(verb, target, 11);
    request.set(http::field::host, "127.0.0.1");
    request.keep_alive(true);
    request.prepare_payload();
    http::write(socket_, request);
    http::response<http::string_body> response;
    http::read(socket_, buffer_, response);
    if (response.result() != http::status::ok) {
      throw VerificationError(std::string(http::to_string(verb)) + " " + target + ": " +
                              std::to_string(response.result_int()) + " " + response.body());
    }
    return json::parse(response.body());
  }

 private:
  boost::asio::io_context io_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

namespace {

void expect(bool condition, const std::string& what) {
  if (!condition) throw VerificationError(what);
}

// The port from serve's "scanhub: serving http://127.0.0.1:PORT/ ..." line, once it is there.
std::optional<std::uint16_t> served_port(const fs::path& log) {
  std::ifstream in(log);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  constexpr std::string_view kPrefix = "serving http://127.0.0.1:";
  const auto at = text.find(kPrefix);
  if (at == std::string::npos) return std::nullopt;
  unsigned port = 0;
  const char* begin = text.data() + at + kPrefix.size();
  if (std::from_chars(begin, text.data() + text.size(), port).ec != std::errc() || port == 0 ||
      port > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(port);
}

}  // namespace

ScanhubDaemon::ScanhubDaemon(ScanhubOptions options)
    : options_(std::move(options)),
      database_(options_.runtime_dir / "scanhub-daemon.db"),
      log_(options_.runtime_dir / "scanhub-daemon.log") {}

ScanhubDaemon::~ScanhubDaemon() {
  http_.reset();
  server_.reset();  // SIGKILL if still running
}

void ScanhubDaemon::start() {
  std::vector<std::string> argv{options_.binary.string(), "serve",      "--port",     "0",
                                "--library",              options_.library.string(), "--db",
                                database_.string(),       "--no-watch"};
  if (options_.workers) {
    argv.push_back("--workers");
    argv.push_back(std::to_string(*options_.workers));
  }
  fs::remove(log_);
  server_.emplace(argv, log_);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (server_->has_exited()) {
      throw ProcessError("scanhub serve exited with " + std::to_string(server_->exit_code()) +
                         "; its log:\n" + file_tail(log_));
    }
    if (const auto port = served_port(log_)) {
      http_ = std::make_unique<HttpConnection>(*port);
      return;
    }
    std::this_thread::sleep_for(10ms);
  }
  throw ProcessError("scanhub serve did not say where it serves within 30 s; its log:\n" + file_tail(log_));
}

void ScanhubDaemon::stop() {
  http_.reset();
  if (!server_) return;
  const int code = server_->stop(10s);
  server_.reset();
  if (code != 0) {
    throw VerificationError("scanhub serve exited with " + std::to_string(code) +
                            " on SIGTERM; its log:\n" + file_tail(log_));
  }
}

Measurement ScanhubDaemon::full_scan() {
  stop();
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::remove(fs::path(database_.string() + suffix));
  }
  start();
  return timed_scan(Kind::full);
}

Measurement ScanhubDaemon::rescan() {
  if (!server_) throw VerificationError("daemon rescan without a server: full scan first");
  return timed_scan(Kind::rescan);
}

Measurement ScanhubDaemon::timed_scan(Kind kind) {
  const char* name = kind == Kind::full ? "scanhub daemon full scan" : "scanhub daemon rescan";
  try {
    if (options_.gate != nullptr) options_.gate->wait();
    const pid_t pid = server_->pid();
    const CpuSample machine_before = sample_cpu();
    const auto cpu_before = process_cpu(pid);
    const auto begin = std::chrono::steady_clock::now();
    const json::value started = http_->request(http::verb::post, "/api/library/scan");
    const json::value* id = started.is_object() ? started.get_object().if_contains("scanId") : nullptr;
    expect(id != nullptr && id->is_string(), "POST /api/library/scan answered without a scanId");
    const std::string target = "/api/scans/" + std::string(id->get_string());
    json::object scan;
    for (;;) {
      scan = http_->request(http::verb::get, target).as_object();
      const json::value* status = scan.if_contains("status");
      expect(status != nullptr && status->is_string(), target + " has no status");
      if (status->get_string() == "completed") break;
      expect(status->get_string() != "failed" && status->get_string() != "cancelled",
             "the scan ended " + std::string(status->get_string()));
      std::this_thread::sleep_for(1ms);
    }
    const auto wall =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - begin);
    const auto cpu = process_cpu(pid) - cpu_before;
    const double machine_busy = busy_seconds(machine_before, sample_cpu());

    const int found = verify_scan_counts(scan, "tracksFound", options_.expected_tracks, kind == Kind::full);
    return {wall, vm_hwm_kb(pid), found, cpu, background_cores(machine_busy, cpu, wall)};
  } catch (const VerificationError& e) {
    throw VerificationError(std::string(name) + ": " + e.what());
  } catch (const boost::system::system_error& e) {
    throw VerificationError(std::string(name) + ": HTTP: " + e.what() + "; its log:\n" + file_tail(log_));
  }
}

}  // namespace scanhub::bench
