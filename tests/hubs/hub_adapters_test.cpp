// The hub adapters over a real tracker and store, with a HubContext that records calls:
// method dispatch, argument errors, subscribe-with-snapshot order, Error events.
#include "hubs/hub_arguments.hpp"
#include "hubs/indexer_hub.hpp"
#include "hubs/job_progress_hub.hpp"
#include "hubs/progress_hub.hpp"
#include "support/temp_dir.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <mutex>

using namespace scanhub;

namespace {

struct Call {
  std::string kind;     // "all", "group", "connection", "join", "leave"
  std::string address;  // group or connection id
  std::string target;
  boost::json::array arguments;
  std::string conflation_key;
};

class RecordingContext : public signalr::HubContext {
 public:
  void send_all(std::string_view target, boost::json::array arguments, const signalr::SendOptions& o) override {
    add({"all", "", std::string(target), std::move(arguments), o.conflation_key});
  }
  void send_group(std::string_view group, std::string_view target, boost::json::array arguments,
                  const signalr::SendOptions& o) override {
    add({"group", std::string(group), std::string(target), std::move(arguments), o.conflation_key});
  }
  void send_connection(std::string_view id, std::string_view target, boost::json::array arguments,
                       const signalr::SendOptions& o) override {
    add({"connection", std::string(id), std::string(target), std::move(arguments), o.conflation_key});
  }
  void add_to_group(std::string_view id, std::string_view group) override {
    add({"join", std::string(id), std::string(group), {}, {}});
  }
  void remove_from_group(std::string_view id, std::string_view group) override {
    add({"leave", std::string(id), std::string(group), {}, {}});
  }
  std::vector<Call> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(calls_, {});
  }

 private:
  void add(Call call) {
    std::lock_guard lock(mutex_);
    calls_.push_back(std::move(call));
  }
  std::mutex mutex_;
  std::vector<Call> calls_;
};

signalr::InvocationResult invoke(signalr::Hub& hub, std::string_view target, boost::json::array arguments) {
  std::optional<signalr::InvocationResult> result;
  hub.invoke({"conn-1", ""}, target, arguments, [&](signalr::InvocationResult r) { result = std::move(r); });
  EXPECT_TRUE(result.has_value()) << "completed synchronously";
  return result.value_or(std::unexpected("no completion"));
}

core::ScanSnapshot running_scan(core::ScanId id) {
  core::ScanSnapshot s;
  s.id = id;
  s.status = core::ScanStatus::discovering;
  s.times.started_at = core::Clock::now();
  s.libraries = {{1, "/music"}};
  return s;
}

struct Fixture : testing::Test {
  test::TempDir dir;
  store::Store store{dir / "scanhub.db"};
  progress::EventBus bus;
  progress::ProgressTracker tracker{bus, std::chrono::milliseconds(0)};
  RecordingContext context;
};

using JobProgressHubTest = Fixture;

TEST_F(JobProgressHubTest, SubscribeToARunningJobJoinsThenSendsItsSnapshotFirst) {
  hubs::JobProgressHub hub(tracker, store);
  hub.attach(context);
  tracker.start(running_scan(5));
  context.take();  // ScanStarted: update to job-5, notification to all

  ASSERT_TRUE(invoke(hub, "SubscribeToJob", {"5"}).value().is_null());
  auto calls = context.take();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].kind, "join");
  EXPECT_EQ(calls[0].target, "job-5");
  EXPECT_EQ(calls[1].kind, "connection");
  EXPECT_EQ(calls[1].target, "JobProgressUpdate");
  EXPECT_EQ(calls[1].arguments[0].at("jobId"), "5");
  EXPECT_EQ(calls[1].arguments[0].at("status"), "Running");

  tracker.update(5, [](core::ScanSnapshot& s) { ++s.counters.directories_total; });
  tracker.flush();
  calls = context.take();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].kind, "group");
  EXPECT_EQ(calls[0].address, "job-5");
  EXPECT_EQ(calls[0].conflation_key, "job-progress:5");

  const auto progress = invoke(hub, "getjobprogress", {5});  // case-insensitive, numbers accepted
  EXPECT_EQ(progress.value().at("jobId"), "5");
  hub.detach();
}

TEST_F(JobProgressHubTest, UnknownJobsAndVideosAreNullWithAnErrorEvent) {
  hubs::JobProgressHub hub(tracker, store);
  hub.attach(context);
  for (const char* method : {"GetJobProgress", "GetVideoProgress"}) {
    EXPECT_TRUE(invoke(hub, method, {"404"}).value().is_null());
    const auto calls = context.take();
    ASSERT_EQ(calls.size(), 1u) << method;
    EXPECT_EQ(calls[0].target, "Error");
    EXPECT_EQ(calls[0].arguments[0].at("code"), "NOT_FOUND");
  }
  EXPECT_TRUE(invoke(hub, "SubscribeToVideo", {"v1"}).has_value());
  EXPECT_TRUE(invoke(hub, "UnsubscribeFromVideo", {"v1"}).has_value());
  EXPECT_TRUE(invoke(hub, "UnsubscribeFromJob", {"job-123"}).has_value());
  const auto calls = context.take();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].kind + " " + calls[0].target, "join video-v1");
  EXPECT_EQ(calls[1].kind + " " + calls[1].target, "leave video-v1");
  EXPECT_EQ(calls[2].kind + " " + calls[2].target, "leave job-job-123");
}

TEST_F(JobProgressHubTest, BadInvocationsCompleteWithErrors) {
  hubs::JobProgressHub hub(tracker, store);
  hub.attach(context);
  const std::vector<std::pair<std::pair<std::string, boost::json::array>, std::string>> cases = {
      {{"NoSuchMethod", {}}, "Method does not exist"},
      {{"SubscribeToJob", {}}, "takes 1 argument"},
      {{"SubscribeToJob", {"1", "2"}}, "takes 1 argument"},
      {{"GetJobProgress", {boost::json::object{}}}, "argument jobId must be a string"},
      {{"SubscribeToVideo", {nullptr}}, "argument videoId must be a string"},
  };
  for (const auto& [call, error] : cases) {
    const auto result = invoke(hub, call.first, call.second);
    ASSERT_FALSE(result.has_value()) << call.first;
    EXPECT_NE(result.error().find(error), std::string::npos) << result.error();
  }
}

using IndexerHubTest = Fixture;

scan::ScanServiceOptions one_worker() {
  scan::ScanServiceOptions options;
  options.workers = 1;
  return options;
}

TEST_F(IndexerHubTest, ActiveScansAndProgressToAll) {
  media::TagLibReader reader;
  scan::ScanService scans(store, tracker, reader, one_worker());
  hubs::IndexerHub hub(tracker, store, scans);
  hub.attach(context);
  tracker.start(running_scan(8));
  auto calls = context.take();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].kind, "all");
  EXPECT_EQ(calls[0].target, "ScanProgress");
  EXPECT_EQ(calls[0].arguments[0].at("requestId"), "8");

  const auto active = invoke(hub, "GetActiveScans", {}).value().as_array();
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].at("requestId"), "8");
  EXPECT_EQ(active[0].at("libraryPath"), "/music");

  tracker.finish(8, core::ScanStatus::completed);
  EXPECT_TRUE(invoke(hub, "GetActiveScans", {}).value().as_array().empty());
  hub.detach();
}

TEST_F(IndexerHubTest, StartLibraryScanOfAnUnknownLibraryIsAnError) {
  media::TagLibReader reader;
  scan::ScanService scans(store, tracker, reader, one_worker());
  hubs::IndexerHub hub(tracker, store, scans);
  hub.attach(context);
  for (const boost::json::value& id : {boost::json::value("999"), boost::json::value(999),
                                      boost::json::value("3fa85f64-5717-4562-b3fc-2c963f66afa6")}) {
    const auto result = invoke(hub, "StartLibraryScan", {id});
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(result.error().find("not found"), std::string::npos) << result.error();
  }
  EXPECT_FALSE(invoke(hub, "StartLibraryScan", {}).has_value());
  EXPECT_FALSE(invoke(hub, "GetActiveScans", {1}).has_value());
}

TEST_F(JobProgressHubTest, QueueJobsAreJobsNamedJobDashId) {
  hubs::JobProgressHub hub(tracker, store);
  hub.attach(context);
  core::NewJob external;
  external.type = "external";
  external.payload = R"({"jobType":"Transcription","videoId":"video-456","payload":null})";
  core::JobId id = 0;
  store.write_sync([&](store::Connection& c) {
    id = c.jobs.enqueue(std::span(&external, 1), core::Clock::now()).front();
  });
  const std::string hub_id = "job-" + std::to_string(id);

  // Subscribing joins job-job-{id} and sends the stored state first.
  ASSERT_TRUE(invoke(hub, "SubscribeToJob", {hub_id}).has_value());
  auto calls = context.take();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].kind + " " + calls[0].target, "join job-" + hub_id);
  EXPECT_EQ(calls[1].target, "JobProgressUpdate");
  EXPECT_EQ(std::string(calls[1].arguments[0].at("jobId").as_string()), hub_id);
  EXPECT_EQ(calls[1].arguments[0].at("status"), "Pending");
  EXPECT_EQ(calls[1].arguments[0].at("jobType"), "Transcription");
  EXPECT_EQ(calls[1].arguments[0].at("videoId"), "video-456");

  // A job event on the bus reaches the group; progress carries a conflation key.
  core::Job job = *store.read([&](store::Connection& c) { return c.jobs.get(id); });
  job.status = core::JobStatus::processing;
  bus.publish(progress::JobEvent{progress::JobProgressed{job, {1, 4, 25.0, "Transcribing", ""}}});
  calls = context.take();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].kind + " " + calls[0].address, "group job-" + hub_id);
  EXPECT_EQ(calls[0].conflation_key, "job-progress:" + hub_id);
  EXPECT_EQ(calls[0].arguments[0].at("progress"), 25);
  EXPECT_EQ(calls[0].arguments[0].at("currentStage"), "Transcribing");
  // The job carries a videoId: the video's progress goes to video-{videoId}, its stage from
  // the job's reported progress.
  EXPECT_EQ(calls[1].kind + " " + calls[1].address + " " + calls[1].target,
            "group video-video-456 VideoProgressUpdate");
  EXPECT_EQ(calls[1].conflation_key, "video-progress:video-456");
  const auto& video = calls[1].arguments[0].as_object();
  EXPECT_EQ(video.at("videoId"), "video-456");
  EXPECT_EQ(video.at("processingStatus"), "Processing");
  EXPECT_EQ(video.at("transcriptionStatus"), "InProgress");
  EXPECT_EQ(video.at("embeddingStatus"), "NotStarted");
  EXPECT_EQ(video.at("overallProgress"), 25);
  ASSERT_EQ(video.at("stages").as_array().size(), 1u);
  EXPECT_EQ(video.at("stages").at(0).at("name"), "Transcription");
  EXPECT_EQ(video.at("stages").at(0).at("progress"), 25);

  // GetVideoProgress answers from the stored jobs carrying the id; an unknown video is null
  // with Error NOT_FOUND.
  const auto stored_video = invoke(hub, "GetVideoProgress", {"video-456"}).value();
  EXPECT_EQ(stored_video.at("processingStatus"), "Pending");
  EXPECT_EQ(stored_video.at("stages").at(0).at("status"), "Pending");
  EXPECT_TRUE(invoke(hub, "GetVideoProgress", {"video-000"}).value().is_null());
  calls = context.take();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].target, "Error");
  EXPECT_EQ(calls[0].arguments[0].at("code"), "NOT_FOUND");

  EXPECT_EQ(invoke(hub, "GetJobProgress", {hub_id}).value().at("status"), "Pending");
  EXPECT_TRUE(invoke(hub, "GetJobProgress", {"job-999999"}).value().is_null());
  calls = context.take();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].target, "Error");

  hub.detach();
  bus.publish(progress::JobEvent{progress::JobCompleted{job}});
  EXPECT_TRUE(context.take().empty()) << "nothing after detach";
}


// Every method that takes an id, on each hub: a 129-byte id completes with an error that does
// not echo it, and nothing is joined, sent or looked up; 128 bytes is still an id.
TEST_F(Fixture, IdsLongerThanTheLimitCompleteWithAnErrorAndStoreNothing) {
  media::TagLibReader reader;
  scan::ScanService scans(store, tracker, reader, one_worker());
  hubs::ProgressHub progress_hub(tracker, store);
  hubs::JobProgressHub job_hub(tracker, store);
  hubs::IndexerHub indexer_hub(tracker, store, scans);
  progress_hub.attach(context);
  job_hub.attach(context);
  indexer_hub.attach(context);
  const std::vector<std::pair<signalr::Hub*, std::string>> methods = {
      {&progress_hub, "SubscribeToScan"}, {&progress_hub, "UnsubscribeFromScan"},
      {&progress_hub, "GetScanProgress"}, {&job_hub, "SubscribeToJob"},
      {&job_hub, "UnsubscribeFromJob"},   {&job_hub, "SubscribeToVideo"},
      {&job_hub, "UnsubscribeFromVideo"}, {&job_hub, "GetJobProgress"},
      {&job_hub, "GetVideoProgress"},     {&indexer_hub, "StartLibraryScan"},
  };
  const std::string too_long(hubs::kMaxIdLength + 1, '7');
  for (const auto& [hub, method] : methods) {
    const auto result = invoke(*hub, method, {boost::json::string(too_long)});
    ASSERT_FALSE(result.has_value()) << method;
    EXPECT_NE(result.error().find("longer than 128 bytes"), std::string::npos) << result.error();
    EXPECT_LT(result.error().size(), 200u) << method;
    const auto calls = context.take();
    if (hub != &job_hub) {
      EXPECT_TRUE(calls.empty()) << method;
      continue;
    }
    // Seed 004 section 9: the job hub also sends the validation error as its Error event.
    ASSERT_EQ(calls.size(), 1u) << method;
    EXPECT_EQ(calls[0].kind + " " + calls[0].address + " " + calls[0].target, "connection conn-1 Error");
    EXPECT_EQ(calls[0].arguments[0].at("code"), "VALIDATION_ERROR");
    EXPECT_EQ(std::string(calls[0].arguments[0].at("message").as_string()), result.error());
  }
  const std::string longest(hubs::kMaxIdLength, '7');
  EXPECT_TRUE(invoke(progress_hub, "SubscribeToScan", {boost::json::string(longest)}).has_value());
  EXPECT_TRUE(invoke(job_hub, "SubscribeToJob", {boost::json::string(longest)}).has_value());
  const auto calls = context.take();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].target, "scan_" + longest);
  EXPECT_EQ(calls[1].target, "job-" + longest);
  progress_hub.detach();
  job_hub.detach();
  indexer_hub.detach();
}

}  // namespace

namespace {

signalr::CallerContext caller_as(std::string connection, std::string user, bool admin = false) {
  signalr::CallerContext caller{std::move(connection), ""};
  caller.user.user_id = std::move(user);
  caller.user.admin = admin;
  caller.user.source = auth::Principal::Source::kToken;
  return caller;
}

signalr::InvocationResult invoke_as(signalr::Hub& hub, const signalr::CallerContext& caller,
                                    std::string_view target, boost::json::array arguments) {
  std::optional<signalr::InvocationResult> result;
  hub.invoke(caller, target, arguments, [&](signalr::InvocationResult r) { result = std::move(r); });
  EXPECT_TRUE(result.has_value()) << "completed synchronously";
  return result.value_or(std::unexpected("no completion"));
}

// Issue 16 "Per-user jobs" on the hub: user groups on connect; another user's external job
// (and, for a user, a job id that does not exist) refused with Error NOT_FOUND and an error
// completion before any group is joined; an admin sees every job; the owner's job ending
// goes to the owner's group as UserNotification.
TEST_F(JobProgressHubTest, UsersSeeOnlyTheirOwnExternalJobs) {
  hubs::JobProgressHub hub(tracker, store);
  hub.attach(context);
  const auto alice = caller_as("conn-a", "alice");
  const auto bob = caller_as("conn-b", "bob");
  const auto root = caller_as("conn-r", "root", true);

  hub.on_connected(alice);
  hub.on_connected(signalr::CallerContext{"conn-anon", ""});
  auto calls = context.take();
  ASSERT_EQ(calls.size(), 1u) << "an anonymous connection has no user group";
  EXPECT_EQ(calls[0].kind + " " + calls[0].address + " " + calls[0].target, "join conn-a user-alice");

  core::NewJob external;
  external.type = "external";
  external.payload = R"({"jobType":"Transcription","videoId":"video-a","payload":null})";
  external.created_by = "alice";
  core::JobId id = 0;
  store.write_sync([&](store::Connection& c) { id = c.jobs.enqueue(std::span(&external, 1), core::Clock::now()).front(); });
  const std::string hub_id = "job-" + std::to_string(id);

  for (const char* method : {"SubscribeToJob", "GetJobProgress"}) {
    const auto refused = invoke_as(hub, bob, method, {hub_id});
    ASSERT_FALSE(refused.has_value()) << method;
    EXPECT_EQ(refused.error(), "Job " + hub_id + " not found");
    calls = context.take();
    ASSERT_EQ(calls.size(), 1u) << method << ": nothing joined, only the Error event";
    EXPECT_EQ(calls[0].kind + " " + calls[0].address + " " + calls[0].target, "connection conn-b Error");
    EXPECT_EQ(calls[0].arguments[0].at("code"), "NOT_FOUND");
  }
  EXPECT_FALSE(invoke_as(hub, bob, "SubscribeToJob", {"job-999999"}).has_value())
      << "a user may not wait in the group of a job not created yet";
  EXPECT_FALSE(invoke_as(hub, bob, "SubscribeToVideo", {"video-a"}).has_value());
  context.take();

  ASSERT_TRUE(invoke_as(hub, alice, "SubscribeToJob", {hub_id}).has_value());
  ASSERT_TRUE(invoke_as(hub, root, "SubscribeToJob", {hub_id}).has_value());
  ASSERT_TRUE(invoke_as(hub, root, "SubscribeToJob", {"job-999999"}).has_value()) << "an admin may";
  ASSERT_TRUE(invoke_as(hub, alice, "SubscribeToVideo", {"video-a"}).has_value());
  calls = context.take();
  std::vector<std::string> joins;
  for (const auto& call : calls) {
    if (call.kind == "join") joins.push_back(call.address + " " + call.target);
  }
  EXPECT_EQ(joins, (std::vector<std::string>{"conn-a job-" + hub_id, "conn-r job-" + hub_id,
                                             "conn-r job-job-999999", "conn-a video-video-a"}));

  core::Job done = *store.read([&](store::Connection& c) { return c.jobs.get(id); });
  done.status = core::JobStatus::completed;
  bus.publish(progress::JobEvent{progress::JobCompleted{done}});
  std::vector<std::string> sends;
  for (const auto& call : context.take()) sends.push_back(call.kind + " " + call.address + " " + call.target);
  EXPECT_EQ(sends, (std::vector<std::string>{"group job-" + hub_id + " JobProgressUpdate",
                                             "group job-" + hub_id + " JobCompleted",
                                             "group user-alice UserNotification",
                                             "group video-video-a VideoProgressUpdate"}))
      << "no BroadcastNotification of a user's job to everyone";
  hub.detach();
}

}  // namespace
