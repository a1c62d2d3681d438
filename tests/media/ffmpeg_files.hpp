#pragma once
// Real media files for the media tests, made by the ffmpeg command-line tool at test time.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
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

}  // namespace scanhub::test
