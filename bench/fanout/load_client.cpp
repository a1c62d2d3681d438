#include "load_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <optional>

namespace scanhub::bench {

namespace {

constexpr std::int64_t kPingIntervalNs = 15'000'000'000;  // the official clients' keep-alive
constexpr std::size_t kSourceAddresses = 8;                // 127.0.0.1 .. 127.0.0.8
constexpr char kRecordSeparator = '\x1e';

std::string errno_text(int error) { return std::strerror(error); }

// The value after `"key":` in `text` as an integer; nullopt when absent.
std::optional<std::int64_t> find_integer(std::string_view text, std::string_view quoted_key) {
  const auto at = text.find(quoted_key);
  if (at == std::string_view::npos) return std::nullopt;
  const char* first = text.data() + at + quoted_key.size();
  const char* last = text.data() + text.size();
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc()) return std::nullopt;
  return value;
}

}  // namespace

std::string_view system_name(System system) noexcept {
  switch (system) {
    case System::kScanhub: return "scanhub";
    case System::kScanhubWs: return "scanhub /ws";
    case System::kSocketIo: return "Socket.IO";
    case System::kWs: return "ws";
  }
  return "?";
}

namespace {

// A CLOCK_REALTIME time (the kernel's receive timestamps) on the steady clock of now_ns(): the
// two clocks' offset read now; they advance at the same rate over a run, barring a step.
std::int64_t realtime_to_steady_ns(const timespec& stamp) noexcept {
  timespec real{};
  ::clock_gettime(CLOCK_REALTIME, &real);
  const std::int64_t real_now = static_cast<std::int64_t>(real.tv_sec) * 1'000'000'000 + real.tv_nsec;
  const std::int64_t stamp_ns =
      static_cast<std::int64_t>(stamp.tv_sec) * 1'000'000'000 + stamp.tv_nsec;
  return now_ns() - (real_now - stamp_ns);
}

}  // namespace

std::int64_t now_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Connection {
  enum class Phase { kConnecting, kUpgrading, kHandshake, kSubscribing, kReady, kClosed };
  int fd = -1;
  Phase phase = Phase::kConnecting;
  std::string in;       // received bytes not yet parsed
  std::string message;  // payload of a fragmented message so far
  std::string out;      // bytes the socket did not take yet
  bool want_write = false;
  std::uint64_t last_seq = 0;
  std::int64_t next_ping_ns = 0;
  // When the bytes of the last read reached this socket: the kernel's receive timestamp
  // (SO_TIMESTAMPNS, of the read's last segment) on the steady clock; 0 when there was none.
  std::int64_t arrived_ns = 0;
};

LoadClient::LoadClient(System system, std::uint16_t port) : system_(system), port_(port) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) throw ClientError("epoll_create1: " + errno_text(errno));
}

LoadClient::~LoadClient() {
  close_all();
  if (epoll_ >= 0) ::close(epoll_);
}

void LoadClient::close_all() noexcept {
  for (auto& c : connections_) {
    if (c->fd >= 0) ::close(c->fd);  // SO_LINGER 0: RST, no TIME_WAIT
    c->fd = -1;
  }
  connections_.clear();
  in_handshake_ = subscribed_ = opened_ = 0;
}

void LoadClient::open_one() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ClientError("socket: " + errno_text(errno) + " (raise RLIMIT_NOFILE?)");
  const linger no_linger{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &no_linger, sizeof no_linger);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  sockaddr_in source{};
  source.sin_family = AF_INET;
  source.sin_addr.s_addr = htonl(0x7f000001u + static_cast<std::uint32_t>(opened_ % kSourceAddresses));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&source), sizeof source) != 0) {
    const int error = errno;
    ::close(fd);
    throw ClientError("bind: " + errno_text(error));
  }
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(port_);
  server.sin_addr.s_addr = htonl(0x7f000001u);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0 &&
      errno != EINPROGRESS) {
    const int error = errno;
    ::close(fd);
    throw ClientError("connect: " + errno_text(error));
  }
  auto c = std::make_unique<Connection>();
  c->fd = fd;
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
  event.data.ptr = c.get();
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0) {
    const int error = errno;
    ::close(fd);
    throw ClientError("epoll_ctl: " + errno_text(error));
  }
  c->want_write = true;
  connections_.push_back(std::move(c));
  ++opened_;
  ++in_handshake_;
}

void LoadClient::connect_to(std::size_t total, std::chrono::milliseconds timeout,
                            std::size_t parallel) {
  const auto deadline = now_ns() + std::chrono::nanoseconds(timeout).count();
  while (subscribed_ < total) {
    while (opened_ < total && in_handshake_ < parallel) open_one();
    poll_once(10);
    if (now_ns() > deadline) {
      throw ClientError("connecting: " + std::to_string(subscribed_) + " of " +
                        std::to_string(total) + " subscribed after " +
                        std::to_string(timeout.count()) + " ms");
    }
  }
}

bool LoadClient::wait_delivered(std::uint64_t last_seq, std::chrono::milliseconds timeout) {
  const auto deadline = now_ns() + std::chrono::nanoseconds(timeout).count();
  for (;;) {
    const bool all = std::all_of(connections_.begin(), connections_.end(), [&](const auto& c) {
      return c->phase != Connection::Phase::kReady || c->last_seq >= last_seq;
    });
    if (all) return true;
    // Poll in slices; the O(n) check above runs at most every few ms.
    const auto slice_end = std::min(deadline, now_ns() + 5'000'000);
    while (now_ns() < slice_end) poll_once(1);
    if (now_ns() >= deadline) return false;
  }
}

void LoadClient::run_for(std::chrono::nanoseconds duration) {
  const auto end = now_ns() + duration.count();
  for (auto now = now_ns(); now < end; now = now_ns()) {
    poll_once(static_cast<int>(std::max<std::int64_t>(0, (end - now) / 1'000'000)));
  }
}

Latencies LoadClient::take_latencies() {
  Latencies taken;
  std::swap(taken, latencies_);
  return taken;
}

bool LoadClient::poll_once(int timeout_ms) {
  if (!error_.empty()) throw ClientError(error_);
  epoll_event events[256];
  const int n = ::epoll_wait(epoll_, events, 256, timeout_ms);
  if (n < 0 && errno != EINTR) throw ClientError("epoll_wait: " + errno_text(errno));
  for (int i = 0; i < n; ++i) {
    on_event(*static_cast<Connection*>(events[i].data.ptr), events[i].events);
  }
  if (system_ == System::kScanhub) send_pings();
  if (!error_.empty()) throw ClientError(error_);
  return n > 0;
}

void LoadClient::send_pings() {
  const auto now = now_ns();
  if (now < next_ping_check_ns_) return;
  next_ping_check_ns_ = now + 100'000'000;
  for (auto& c : connections_) {
    if (c->phase == Connection::Phase::kReady && now >= c->next_ping_ns) {
      c->next_ping_ns = now + kPingIntervalNs;
      send_text(*c, "{\"type\":6}\x1e");
    }
  }
}

void LoadClient::fail(Connection& c, std::string_view why) {
  if (error_.empty()) {
    error_ = std::string(system_name(system_)) + " connection " + std::to_string(c.fd) + ": " +
             std::string(why);
  }
  if (c.phase != Connection::Phase::kReady && c.phase != Connection::Phase::kClosed) {
    --in_handshake_;
  } else if (c.phase == Connection::Phase::kReady) {
    --subscribed_;
  }
  c.phase = Connection::Phase::kClosed;
  ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
}

void LoadClient::on_event(Connection& c, std::uint32_t events) {
  if (c.phase == Connection::Phase::kClosed) return;
  if (c.phase == Connection::Phase::kConnecting) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) return fail(c, "connect: " + errno_text(error));
    c.phase = Connection::Phase::kUpgrading;
    std::string path = system_ == System::kScanhub     ? "/hubs/bench"
                       : system_ == System::kScanhubWs ? "/ws"
                       : system_ == System::kSocketIo  ? "/socket.io/?EIO=4&transport=websocket"
                                                       : "/";
    c.out = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    flush(c);
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(c);
  if (c.phase != Connection::Phase::kClosed && (events & EPOLLOUT) && !c.out.empty()) flush(c);
}

void LoadClient::flush(Connection& c) {
  while (!c.out.empty()) {
    const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return fail(c, "send: " + errno_text(errno));
    }
    c.out.erase(0, static_cast<std::size_t>(n));
  }
  const bool want = !c.out.empty();
  if (want != c.want_write) {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u);
    event.data.ptr = &c;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &event);
    c.want_write = want;
  }
}

void LoadClient::on_readable(Connection& c) {
  char buffer[64 * 1024];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  c.arrived_ns = 0;
  for (;;) {
    iovec io{buffer, sizeof buffer};
    msghdr message{};
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(c.fd, &message, 0);
    if (n > 0) {
      for (cmsghdr* cmsg = CMSG_FIRSTHDR(&message); cmsg; cmsg = CMSG_NXTHDR(&message, cmsg)) {
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_TIMESTAMPNS) {
          timespec stamp{};
          std::memcpy(&stamp, CMSG_DATA(cmsg), sizeof stamp);
          c.arrived_ns = realtime_to_steady_ns(stamp);
        }
      }
      c.in.append(buffer, static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) < sizeof buffer) break;
      continue;
    }
    if (n == 0) return fail(c, "the server closed the connection");
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    if (errno == EINTR) continue;
    return fail(c, "recv: " + errno_text(errno));
  }
  if (c.phase == Connection::Phase::kUpgrading) on_upgrade_response(c);
  if (c.phase != Connection::Phase::kUpgrading && c.phase != Connection::Phase::kClosed) {
    on_frames(c);
  }
}

void LoadClient::on_upgrade_response(Connection& c) {
  const auto end = c.in.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (c.in.size() > 8192) fail(c, "upgrade response too long");
    return;
  }
  if (!c.in.starts_with("HTTP/1.1 101")) {
    return fail(c, "upgrade refused: " + c.in.substr(0, c.in.find("\r\n")));
  }
  c.in.erase(0, end + 4);
  switch (system_) {
    case System::kScanhub:
      c.phase = Connection::Phase::kHandshake;
      send_text(c, "{\"protocol\":\"json\",\"version\":1}\x1e");
      break;
    case System::kScanhubWs:
    case System::kSocketIo:
      c.phase = Connection::Phase::kHandshake;  // waits for the welcome, or Engine.IO's open packet
      break;
    case System::kWs:
      become_subscribed(c);
      break;
  }
}

void LoadClient::become_subscribed(Connection& c) {
  c.phase = Connection::Phase::kReady;
  // The first keep-alive at a point of the interval spread by connection, as browsers that
  // connected at different times send theirs: thousands of connections made within a second
  // would otherwise all ping in the same 100 ms every 15 s, a burst no real audience makes.
  const auto spread_ms = (static_cast<std::uint64_t>(c.fd) * 7919u) % 15'000u;
  c.next_ping_ns = now_ns() + static_cast<std::int64_t>(spread_ms) * 1'000'000;
  --in_handshake_;
  ++subscribed_;
}

void LoadClient::on_frames(Connection& c) {
  std::size_t at = 0;
  while (c.phase != Connection::Phase::kClosed) {
    const std::size_t available = c.in.size() - at;
    if (available < 2) break;
    const auto* p = reinterpret_cast<const unsigned char*>(c.in.data() + at);
    const bool fin = (p[0] & 0x80) != 0;
    const unsigned opcode = p[0] & 0x0f;
    if (p[1] & 0x80) return fail(c, "masked frame from the server");
    std::uint64_t length = p[1] & 0x7f;
    std::size_t header = 2;
    if (length == 126) {
      if (available < 4) break;
      length = (std::uint64_t{p[2]} << 8) | p[3];
      header = 4;
    } else if (length == 127) {
      if (available < 10) break;
      length = 0;
      for (int i = 2; i < 10; ++i) length = (length << 8) | p[i];
      header = 10;
    }
    if (length > (16u << 20)) return fail(c, "frame over 16 MiB");
    if (available < header + length) break;
    const std::string_view payload(c.in.data() + at + header, static_cast<std::size_t>(length));
    at += header + static_cast<std::size_t>(length);
    switch (opcode) {
      case 0x0:  // continuation
      case 0x1:  // text
      case 0x2:  // binary
        if (!fin || !c.message.empty()) {
          c.message.append(payload);
          if (fin) {
            std::string whole;
            whole.swap(c.message);
            on_message(c, whole);
          }
        } else {
          on_message(c, payload);
        }
        break;
      case 0x8:
        return fail(c, "close frame from the server: " + std::string(payload.substr(std::min<std::size_t>(2, payload.size()))));
      case 0x9:
        send_text(c, payload, 0xA);
        break;
      default:  // pong and reserved opcodes
        break;
    }
  }
  c.in.erase(0, at);
}

void LoadClient::on_message(Connection& c, std::string_view payload) {
  switch (system_) {
    case System::kScanhub:
      while (!payload.empty() && c.phase != Connection::Phase::kClosed) {
        const auto end = payload.find(kRecordSeparator);
        if (end == std::string_view::npos) return fail(c, "a record without its separator");
        on_signalr_record(c, payload.substr(0, end));
        payload.remove_prefix(end + 1);
      }
      return;
    case System::kSocketIo:
      if (payload.starts_with("42")) return on_data(c, payload);
      if (payload == "2") return send_text(c, "3");
      if (payload.starts_with("0")) return send_text(c, "40");  // Engine.IO open
      if (payload.starts_with("40")) return send_text(c, "421[\"subscribe\",\"bench\"]");
      if (payload.starts_with("431")) {
        c.phase == Connection::Phase::kReady ? void() : become_subscribed(c);
        return;
      }
      if (payload.starts_with("1") || payload.starts_with("41") || payload.starts_with("44")) {
        return fail(c, "Socket.IO ended the session: " + std::string(payload.substr(0, 80)));
      }
      return;
    case System::kScanhubWs:
      if (c.phase == Connection::Phase::kHandshake) {
        if (payload.find("\"type\":\"welcome\"") == std::string_view::npos) {
          return fail(c, "the first message is not a welcome: " + std::string(payload.substr(0, 120)));
        }
        return become_subscribed(c);
      }
      return on_data(c, payload);
    case System::kWs:
      return on_data(c, payload);
  }
}

void LoadClient::on_signalr_record(Connection& c, std::string_view record) {
  if (c.phase == Connection::Phase::kHandshake) {
    if (record != "{}") return fail(c, "handshake refused: " + std::string(record.substr(0, 120)));
    c.phase = Connection::Phase::kSubscribing;
    send_text(c, "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Subscribe\",\"arguments\":[\"bench\"]}\x1e");
    return;
  }
  const auto type = find_integer(record, "\"type\":");
  if (!type) return fail(c, "a record without a type");
  switch (*type) {
    case 1:
      return on_data(c, record);
    case 3:
      if (record.find("\"error\"") != std::string_view::npos) {
        return fail(c, "Subscribe failed: " + std::string(record.substr(0, 160)));
      }
      if (c.phase == Connection::Phase::kSubscribing) become_subscribed(c);
      return;
    case 7:
      return fail(c, "Close message: " + std::string(record.substr(0, 160)));
    default:  // 6, Ping
      return;
  }
}

void LoadClient::on_data(Connection& c, std::string_view message) {
  if (c.phase != Connection::Phase::kReady) return fail(c, "data before the subscription");
  const auto seq = find_integer(message, "\"seq\":");
  const auto sent_at = find_integer(message, "\"sentAt\":");
  if (!seq || !sent_at || *seq <= 0) return fail(c, "a data message without seq and sentAt");
  const auto received_at = now_ns();
  const auto expected = c.last_seq + 1;
  if (c.last_seq != 0 && static_cast<std::uint64_t>(*seq) != expected) {
    return fail(c, "message " + std::to_string(*seq) + " arrived where " +
                       std::to_string(expected) + " was due (lost or out of order)");
  }
  c.last_seq = static_cast<std::uint64_t>(*seq);
  ++messages_received_;
  last_receive_ns_ = received_at;
  if (record_latencies_) {
    latencies_.read.push_back(received_at - *sent_at);
    latencies_.arrived.push_back((c.arrived_ns != 0 ? c.arrived_ns : received_at) - *sent_at);
    latencies_.seq.push_back(c.last_seq);
  }
}

void LoadClient::send_text(Connection& c, std::string_view text, std::uint8_t opcode) {
  static constexpr unsigned char kMask[4] = {0x12, 0x34, 0x56, 0x78};
  std::string frame;
  frame.reserve(text.size() + 14);
  frame.push_back(static_cast<char>(0x80 | opcode));
  if (text.size() < 126) {
    frame.push_back(static_cast<char>(0x80 | text.size()));
  } else {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>((text.size() >> 8) & 0xff));
    frame.push_back(static_cast<char>(text.size() & 0xff));
  }
  frame.append(reinterpret_cast<const char*>(kMask), 4);
  for (std::size_t i = 0; i < text.size(); ++i) {
    frame.push_back(static_cast<char>(text[i] ^ static_cast<char>(kMask[i % 4])));
  }
  c.out += frame;
  flush(c);
}

}  // namespace scanhub::bench
