// The queue's storage gate with a clock of the test's own (no sleeps): when a storage fault
// pauses the queue, how the wait grows, what resumes it, what gets a log line; and which SQLite
// result codes are storage faults at all.

#include "lib/sqlite/error.hpp"
#include "queue/storage_gate.hpp"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include <stdexcept>

using namespace scanhub;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Change = queue::StorageGate::Change;
using State = queue::StorageStatus::State;

namespace {

constexpr auto kFull = sqlite::Fault::disk_full;
const core::TimePoint t0 = core::TimePoint(seconds(1'700'000'000));

queue::StorageGate gate() { return queue::StorageGate({seconds(1), seconds(60), seconds(60)}); }

}  // namespace

TEST(StorageFault, ClassifiesResultCodesByTheirPrimaryCode) {
  const struct {
    int code;
    sqlite::Fault fault;
  } cases[] = {
      {SQLITE_FULL, sqlite::Fault::disk_full},
      {SQLITE_IOERR, sqlite::Fault::io_error},
      {SQLITE_IOERR_WRITE, sqlite::Fault::io_error},
      {SQLITE_IOERR_FSYNC, sqlite::Fault::io_error},
      {SQLITE_READONLY, sqlite::Fault::read_only},
      {SQLITE_READONLY_DBMOVED, sqlite::Fault::read_only},
      {SQLITE_CANTOPEN, sqlite::Fault::cannot_open},
      {SQLITE_CORRUPT, sqlite::Fault::corrupt},
      {SQLITE_CORRUPT_INDEX, sqlite::Fault::corrupt},
      {SQLITE_NOTADB, sqlite::Fault::corrupt},
      // A job's own errors, and a lock held by another process, are not storage faults.
      {SQLITE_CONSTRAINT_UNIQUE, sqlite::Fault::none},
      {SQLITE_ERROR, sqlite::Fault::none},
      {SQLITE_BUSY, sqlite::Fault::none},
      {SQLITE_MISMATCH, sqlite::Fault::none},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(sqlite::fault_of(c.code), c.fault) << c.code;
    EXPECT_EQ(sqlite::transient(c.fault), c.fault != sqlite::Fault::none && c.fault != sqlite::Fault::corrupt);
  }
}

TEST(StorageFault, IsFoundInsideNestedExceptionsAndNotInOthers) {
  const auto nested = [] {
    try {
      try {
        throw sqlite::Error(SQLITE_FULL, "statement `INSERT ...` failed: database or disk is full");
      } catch (...) {
        std::throw_with_nested(std::runtime_error("scan 3: cannot commit"));
      }
    } catch (...) {
      return std::current_exception();
    }
  }();
  const auto found = sqlite::find_fault(nested);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->code(), SQLITE_FULL);
  EXPECT_EQ(found->code_text(), "database or disk is full");

  EXPECT_FALSE(sqlite::find_fault(std::make_exception_ptr(sqlite::Error(SQLITE_CONSTRAINT_UNIQUE, "x"))));
  EXPECT_FALSE(sqlite::find_fault(std::make_exception_ptr(std::runtime_error("tag read failed"))));
  EXPECT_FALSE(sqlite::find_fault(nullptr));
}

TEST(StorageGate, AFaultPausesAndEachFailedRetryDoublesTheWaitUpToItsCap) {
  auto g = gate();
  EXPECT_EQ(g.on_fault(kFull, "disk full", t0), Change::paused);
  EXPECT_TRUE(g.paused());
  EXPECT_EQ(g.retry_at(), t0 + seconds(1));
  const auto status = g.status();
  EXPECT_EQ(status.state, State::paused);
  EXPECT_EQ(status.reason, "disk full");
  EXPECT_EQ(status.since, t0);

  // Each retry fails when it is due: 1, 2, 4, ... 32, then 60 s at most.
  core::TimePoint now = g.retry_at();
  for (const int expected : {2, 4, 8, 16, 32, 60, 60}) {
    EXPECT_EQ(g.on_fault(kFull, "disk full", now), Change::retry_failed);
    EXPECT_EQ(g.retry_at() - now, seconds(expected));
    now = g.retry_at();
  }
  EXPECT_EQ(g.status().since, t0) << "still the same pause";
}

TEST(StorageGate, FaultsOfWritesAlreadyUnderWayDoNotLengthenTheWait) {
  auto g = gate();
  g.on_fault(kFull, "disk full", t0);
  // Three workers' commits fail right after the first: the retry stays 1 s away.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(g.on_fault(kFull, "disk full", t0 + milliseconds(10 * i)), Change::none);
  EXPECT_EQ(g.retry_at(), t0 + seconds(1));
  EXPECT_EQ(g.streak(), 1);
}

TEST(StorageGate, ASuccessWhenTheRetryIsDueResumesAndAFaultSoonAfterContinuesTheStreak) {
  auto g = gate();
  g.on_fault(kFull, "disk full", t0);
  g.on_fault(kFull, "disk full", t0 + seconds(1));  // wait 2 s
  // A write under way before the retry was due got through (it needed no new page): that
  // says nothing about the disk, so the queue does not flap.
  EXPECT_EQ(g.on_success(t0 + milliseconds(1500)), Change::none);
  EXPECT_TRUE(g.paused());
  EXPECT_EQ(g.on_success(t0 + seconds(3)), Change::resumed);
  EXPECT_FALSE(g.paused());
  EXPECT_EQ(g.status().state, State::ok);
  EXPECT_EQ(g.on_success(t0 + seconds(4)), Change::none) << "resumed once";

  // Failing again within a minute of resuming: the wait goes on doubling (4 s), so storage
  // that fails every other write cannot make the queue flap once a second.
  EXPECT_EQ(g.on_fault(kFull, "disk full", t0 + seconds(10)), Change::paused);
  EXPECT_EQ(g.retry_at(), t0 + seconds(14));
  g.on_success(t0 + seconds(14));

  // Long after: a new episode starts from 1 s.
  EXPECT_EQ(g.on_fault(kFull, "disk full", t0 + seconds(300)), Change::paused);
  EXPECT_EQ(g.retry_at(), t0 + seconds(301));
}

TEST(StorageGate, RemindsAtMostOncePerReminderPeriodWhilePaused) {
  auto g = gate();
  EXPECT_FALSE(g.reminder_due(t0 + seconds(120))) << "not paused: nothing to remind";
  g.on_fault(kFull, "disk full", t0);
  int lines = 0;
  for (int s = 0; s <= 300; ++s) lines += g.reminder_due(t0 + seconds(s)) ? 1 : 0;
  EXPECT_EQ(lines, 5);  // at 60, 120, 180, 240 and 300 s
  g.on_success(t0 + seconds(301));
  EXPECT_FALSE(g.reminder_due(t0 + seconds(1000)));
}

TEST(StorageGate, DamageIsReportedOnceStaysAndDoesNotPause) {
  auto g = gate();
  EXPECT_EQ(g.on_fault(sqlite::Fault::corrupt, "damaged", t0), Change::damaged);
  EXPECT_EQ(g.on_fault(sqlite::Fault::corrupt, "damaged", t0 + seconds(1)), Change::none);
  EXPECT_FALSE(g.paused());
  EXPECT_EQ(g.status().state, State::damaged);
  EXPECT_EQ(g.status().since, t0);
  EXPECT_EQ(g.on_success(t0 + seconds(5)), Change::none);
  EXPECT_EQ(g.status().state, State::damaged) << "waiting does not mend a file";

  // A full disk on top pauses; once it passes, the damage is what remains.
  EXPECT_EQ(g.on_fault(kFull, "disk full", t0 + seconds(6)), Change::paused);
  EXPECT_EQ(g.status().state, State::paused);
  g.on_success(t0 + seconds(8));
  EXPECT_EQ(g.status().state, State::damaged);
  EXPECT_EQ(g.status().reason, "damaged");
}

TEST(StorageGate, NotAFaultChangesNothing) {
  auto g = gate();
  EXPECT_EQ(g.on_fault(sqlite::Fault::none, "constraint", t0), Change::none);
  EXPECT_FALSE(g.paused());
  EXPECT_EQ(g.status().state, State::ok);
}
