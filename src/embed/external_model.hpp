#pragma once
// An external embedding model (issue 5 item 2), the way Coral runs Essentia through a CLI
// (seed 000: "Generates ML embeddings via Coral.Essentia.Cli"): a configured command is run per
// track with the file's path as its last argument, without a shell (posix_spawnp; PATH is
// searched for the program), and prints the vector on stdout as a JSON array of numbers, e.g.
// `[0.12, -0.5, 3]`. Its stdin is /dev/null; its stderr is kept (the last 2 KiB) for the error.
//
// Thread-safe: every call spawns its own process; the enricher runs up to 10 at once.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::embed {

struct ExternalModelOptions {
  std::string model;  ///< the name its vectors are stored under, e.g. "essentia-discogs"
  int version = 1;    ///< bump to recompute stored vectors
  std::vector<std::string> command;  ///< program and leading arguments; the path is appended
  std::chrono::milliseconds timeout{120'000};  ///< per track; then the process group is killed
  std::size_t max_output_bytes = 16u << 20;    ///< more stdout than this is an error
  std::size_t max_dimension = 65'536;
};

/// Why a run failed: the reason a person reads on the job ("timed out after 2 s", "exited with
/// status 1: <stderr>", "printed no JSON array of numbers: ...").
class ExternalModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Runs `options.command` with `file` appended and returns the vector it printed (as printed,
/// not normalized). Throws ExternalModelError: the program cannot be started, it exits non-zero
/// or by a signal, it outlives `options.timeout` or `stop` (the whole process group is killed
/// with SIGKILL and reaped, so nothing hangs), its output is too large or not a non-empty JSON
/// array of finite numbers of at most max_dimension.
std::vector<float> run_external_model(const ExternalModelOptions& options,
                                      const std::filesystem::path& file, std::stop_token stop = {});

/// Splits a command line given as one string (`scanhub serve --embedding-command "essentia-cli
/// --graph 'my model.pb'"`) into program and arguments as a POSIX shell would, without expanding
/// anything: blanks separate words, '...' keeps everything literal, "..." keeps all but \" and
/// \\, a backslash outside quotes takes the next character literally. Throws
/// std::invalid_argument for an unterminated quote or a line with no word.
std::vector<std::string> split_command_line(std::string_view line);

/// Parses a JSON array of finite numbers (what run_external_model reads). Throws
/// ExternalModelError with the reason.
std::vector<float> parse_vector_json(std::string_view text, std::size_t max_dimension);

}  // namespace scanhub::embed
