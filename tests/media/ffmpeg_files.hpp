#pragma once
// Real media files for the media tests, made by the ffmpeg command-line tool, once per build
// tree: GoogleTest cases run as separate processes under ctest, and encoding per process would
// cost seconds each.

#include <gtest/gtest.h>

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

namespace scanhub::test {

inline std::string shell_quote(const std::string& arg) {
  std::string out = "'";
  for (const char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

/// Runs `ffmpeg -y <args>` quietly, bounded to 60 s; true when it exited 0.
inline bool run_ffmpeg(const std::vector<std::string>& args) {
  std::string command = "timeout 60 ffmpeg -nostdin -hide_banner -loglevel error -y";
  for (const auto& arg : args) command += " " + shell_quote(arg);
  const int rc = std::system(command.c_str());
  if (rc != 0) ADD_FAILURE() << "ffmpeg failed (" << rc << "): " << command;
  return rc == 0;
}

/// The directory `cache_root/name`, filled by `make` the first time any test process asks for
/// it. `make` fills a fresh sibling directory which is then renamed into place, so processes
/// racing here never see half-made files; the loser of the race discards its copy. Bump the
/// name when `make` changes. Read-only for callers.
inline std::filesystem::path cached_fixture_dir(
    const std::filesystem::path& cache_root, const std::string& name,
    const std::function<bool(const std::filesystem::path&)>& make) {
  namespace fs = std::filesystem;
  const fs::path final_dir = cache_root / name;
  if (fs::exists(final_dir)) return final_dir;
  fs::create_directories(cache_root);
  std::string pattern = (cache_root / (name + ".tmp-XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) {
    ADD_FAILURE() << "mkdtemp in " << cache_root;
    return final_dir;
  }
  const fs::path temp_dir = pattern;
  std::error_code ec;
  if (!make(temp_dir)) {
    fs::remove_all(temp_dir, ec);
    ADD_FAILURE() << "could not make the fixture " << name;
    return final_dir;
  }
  fs::rename(temp_dir, final_dir, ec);
  if (ec) fs::remove_all(temp_dir, ec);  // another process made it first
  return final_dir;
}

}  // namespace scanhub::test
