// The external-model runner (issue 5 item 2): real processes, no shell in between; a broken
// command is reported with its reason, never hung on.

#include "embed/external_model.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <thread>

namespace scanhub::embed {
namespace {

using Clock = std::chrono::steady_clock;

class ExternalModel : public ::testing::Test {
 protected:
  // A shell script (the model a test configures); the track's path arrives as $1.
  std::string script(const std::string& name, const std::string& body) {
    const auto path = dir_ / name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    ::chmod(path.c_str(), 0755);
    return path.string();
  }
  ExternalModelOptions options(const std::string& program) {
    ExternalModelOptions o;
    o.model = "test-model";
    o.command = {program};
    o.timeout = std::chrono::milliseconds(1500);
    return o;
  }
  // The error message of running `o`, or "" when it succeeded.
  std::string error_of(const ExternalModelOptions& o, std::stop_token stop = {}) {
    try {
      run_external_model(o, "/music/a track.flac", stop);
    } catch (const ExternalModelError& e) {
      return e.what();
    }
    return "";
  }
  test::TempDir dir_;
};

TEST_F(ExternalModel, ReturnsTheVectorItPrintsAndGetsThePathAsOneArgument) {
  auto o = options(script("model.sh", R"(if [ "$1" = "/music/a track.flac" ] && [ $# -eq 1 ]; then
  echo '[0.5, -1, 2e-3,' ; echo ' 4]'
else echo "bad args: $*" >&2; exit 3; fi)"));
  // A program found on PATH with a leading argument: `sh SCRIPT PATH`.
  o.command = {"sh", o.command[0]};
  const auto vector = run_external_model(o, "/music/a track.flac");
  EXPECT_EQ(vector, (std::vector<float>{0.5f, -1.0f, 0.002f, 4.0f}));
}

TEST_F(ExternalModel, ANonZeroExitIsAnErrorWithItsStatusAndStderr) {
  const auto error = error_of(options(script("fail.sh", "echo 'model file missing' >&2; exit 1")));
  EXPECT_NE(error.find("exited with status 1"), std::string::npos) << error;
  EXPECT_NE(error.find("model file missing"), std::string::npos) << error;
  EXPECT_NE(error.find("test-model"), std::string::npos) << error;
}

TEST_F(ExternalModel, ACommandThatHangsIsKilledAtTheTimeout) {
  // The script's child (sleep) holds stdout open too: the whole process group must go.
  auto o = options(script("hang.sh", "sleep 30; echo '[1]'"));
  o.timeout = std::chrono::milliseconds(300);
  const auto start = Clock::now();
  const auto error = error_of(o);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_NE(error.find("timed out after 300 ms"), std::string::npos) << error;
}

TEST_F(ExternalModel, MalformedOutputIsAnErrorWithTheReason) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"echo 'not json at all'", "printed no JSON"},
      {"echo '{\"vector\": [1, 2]}'", "not an array"},
      {"echo '[]'", "empty array"},
      {"echo '[1, \"two\", 3]'", "element 1"},
      {"echo '[1, 1e999]'", "element 1"},
      {"echo '[1, 2'", "printed no JSON"},
      {"true", "printed no JSON"},
  };
  int i = 0;
  for (const auto& [body, reason] : cases) {
    SCOPED_TRACE(body);
    const auto error = error_of(options(script("bad" + std::to_string(i++) + ".sh", body)));
    EXPECT_NE(error.find(reason), std::string::npos) << error;
  }
}

TEST_F(ExternalModel, OversizedOutputAndAMissingProgramAreErrors) {
  auto o = options(script("flood.sh", "yes 1.0, | head -c 100000"));
  o.max_output_bytes = 1000;
  EXPECT_NE(error_of(o).find("more than 1000 bytes"), std::string::npos) << error_of(o);
  const auto missing = error_of(options((dir_ / "no-such-model").string()));
  EXPECT_NE(missing.find("could not be started"), std::string::npos) << missing;
}

TEST_F(ExternalModel, AStopRequestKillsIt) {
  auto o = options(script("slow.sh", "sleep 30"));
  o.timeout = std::chrono::seconds(60);
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop.request_stop();
  });
  const auto start = Clock::now();
  const auto error = error_of(o, stop.get_token());
  stopper.join();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_NE(error.find("stopped"), std::string::npos) << error;
}

}  // namespace
}  // namespace scanhub::embed
