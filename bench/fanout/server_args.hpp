#pragma once
// The command line both fan-out servers take (fanout-scanhub-server, fanout-floor-server):
// `[--threads N]`, network threads, default 2 (`scanhub serve`'s default).

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace scanhub::bench {

/// The thread count from `argv`, or nullopt after printing the usage line for `program` to
/// stderr (the caller exits with status 2).
inline std::optional<unsigned> parse_server_threads(int argc, char** argv, const char* program) {
  unsigned threads = 2;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    } else {
      std::fprintf(stderr, "usage: %s [--threads N]\n", program);
      return std::nullopt;
    }
  }
  return threads;
}

}  // namespace scanhub::bench
