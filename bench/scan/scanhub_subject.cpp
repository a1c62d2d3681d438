#include "scanhub_subject.hpp"

#include "child_process.hpp"

#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>

namespace scanhub::bench {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::string_view last_line(std::string_view text) {
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  const auto start = text.rfind('\n');
  return start == std::string_view::npos ? text : text.substr(start + 1);
}

std::int64_t count_field(const json::object& summary, std::string_view name) {
  const json::value* value = summary.if_contains(name);
  if (value == nullptr || !value->is_number()) {
    throw VerificationError("ScanCompleted summary has no numeric " + std::string(name));
  }
  return value->to_number<std::int64_t>();
}

// The summary object of the ScanCompleted event on the last stdout line of `scanhub --json`.
json::object scan_completed_summary(std::string_view out) {
  const std::string_view line = last_line(out);
  boost::system::error_code ec;
  const json::value event = json::parse(line, ec);
  const json::object* object = ec ? nullptr : event.if_object();
  const json::value* target = object ? object->if_contains("target") : nullptr;
  const json::value* arguments = object ? object->if_contains("arguments") : nullptr;
  if (target == nullptr || !target->is_string() || target->get_string() != "ScanCompleted" ||
      arguments == nullptr || !arguments->is_array() || arguments->get_array().size() < 2 ||
      !arguments->get_array()[1].is_object()) {
    throw VerificationError("the last line is not a ScanCompleted event: " + std::string(line));
  }
  return arguments->get_array()[1].get_object();
}

void expect(bool condition, const std::string& what) {
  if (!condition) throw VerificationError(what);
}

}  // namespace

int verify_scan_counts(const json::object& scan, std::string_view found_field, int expected_tracks,
                       bool full) {
  const std::int64_t found = count_field(scan, found_field);
  const std::int64_t expected = expected_tracks;
  expect(found == expected, std::string(found_field) + " is " + std::to_string(found) +
                                ", expected " + std::to_string(expected));
  expect(count_field(scan, "errorsCount") == 0, "the scan reported errors");
  const std::int64_t added = count_field(scan, "tracksNew");
  const std::int64_t updated = count_field(scan, "tracksUpdated");
  const std::int64_t removed = count_field(scan, "tracksRemoved");
  if (full) {
    expect(added == expected, "only " + std::to_string(added) + " tracks were new");
  } else {
    expect(added == 0 && updated == 0 && removed == 0,
           "not a no-change rescan: " + std::to_string(added) + " new, " + std::to_string(updated) +
               " updated, " + std::to_string(removed) + " removed");
  }
  return static_cast<int>(found);
}

ScanhubSubject::ScanhubSubject(ScanhubOptions options)
    : options_(std::move(options)), database_(options_.runtime_dir / "scanhub.db") {}

Measurement ScanhubSubject::full_scan() {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::remove(fs::path(database_.string() + suffix));
  }
  return run(Kind::full);
}

Measurement ScanhubSubject::rescan() {
  if (!fs::exists(database_)) throw VerificationError("rescan without a database: full scan first");
  return run(Kind::rescan);
}

Measurement ScanhubSubject::run(Kind kind) {
  const char* name = kind == Kind::full ? "scanhub full scan" : "scanhub no-change rescan";
  std::vector<std::string> argv{options_.binary.string(),  "scan",
                                options_.library.string(), "--db",
                                database_.string(),        "--json"};
  if (options_.workers) {
    argv.push_back("--workers");
    argv.push_back(std::to_string(*options_.workers));
  }
  if (options_.gate != nullptr) options_.gate->wait();
  const TimedRun run = run_timed(argv, options_.runtime_dir);
  try {
    expect(run.exit_code == 0, "exit " + std::to_string(run.exit_code) + ": " + run.err);
    const json::object summary = scan_completed_summary(run.out);
    const json::value* status = summary.if_contains("status");
    expect(status != nullptr && status->is_string() && status->get_string() == "completed",
           "status is not \"completed\"");
    const int indexed =
        verify_scan_counts(summary, "totalTracksIndexed", options_.expected_tracks, kind == Kind::full);
    return {run.wall, run.max_rss_kb, indexed, run.cpu,
            background_cores(run.machine_busy_seconds, run.cpu, run.wall)};
  } catch (const VerificationError& e) {
    throw VerificationError(std::string(name) + ": " + e.what());
  }
}

}  // namespace scanhub::bench
