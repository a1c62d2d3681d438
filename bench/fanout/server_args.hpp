#pragma once
// The command line both fan-out servers take (fanout-scanhub-server, fanout-floor-server):
// `[--threads N]`, network threads, default 2 (`scanhub serve`'s default); and the scanhub
// server's `[--surface signalr|ws]`: where its messages go (default signalr).

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace scanhub::bench {

struct ServerArgs {
  unsigned threads = 2;
  bool ws_surface = false;  ///< --surface ws: the /ws event socket, not the SignalR hub
};

/// The arguments in `argv`, or nullopt after printing the usage line for `program` to stderr
/// (the caller exits with status 2).
inline std::optional<ServerArgs> parse_server_args(int argc, char** argv, const char* program) {
  ServerArgs args;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      args.threads = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    } else if (std::strcmp(argv[i], "--surface") == 0 && i + 1 < argc &&
               (std::strcmp(argv[i + 1], "signalr") == 0 || std::strcmp(argv[i + 1], "ws") == 0)) {
      args.ws_surface = std::strcmp(argv[++i], "ws") == 0;
    } else {
      std::fprintf(stderr, "usage: %s [--threads N] [--surface signalr|ws]\n", program);
      return std::nullopt;
    }
  }
  return args;
}

/// The thread count from `argv` (a server without surfaces), or nullopt as above.
inline std::optional<unsigned> parse_server_threads(int argc, char** argv, const char* program) {
  const auto args = parse_server_args(argc, argv, program);
  if (!args) return std::nullopt;
  if (args->ws_surface) {
    std::fprintf(stderr, "usage: %s [--threads N]\n", program);
    return std::nullopt;
  }
  return args->threads;
}

}  // namespace scanhub::bench
