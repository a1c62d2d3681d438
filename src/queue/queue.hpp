#pragma once
// The persistent job queue's runtime (issue 4 items 1 and 2): handlers per job type, worker
// threads, a dispatcher that claims due jobs through the store's one writer, heartbeat lease
// renewal, stalled-job recovery, retries with exponential backoff and jitter, cancellation by
// stop token, and exactly-once completion.
//
// Exactly-once: a handler returns a CommitFn holding its results (and its scan's counter
// increments). The queue runs that CommitFn, inserts the children the handler asked for, and
// marks the job completed in ONE Store::write (one savepoint of one transaction). A crash
// before that commit leaves the job processing; recovery makes it pending and it runs again
// with nothing of the first run stored. A crash after the commit finds it completed: it never
// runs again. If the job stopped being ours meanwhile (cancelled, or its lease expired and
// another worker took it), completion is refused and the CommitFn's writes roll back with it.
//
// Completions are group-committed: those that arrive while one Store::write is queued share
// it, each in its own savepoint, and the slots they free are refilled by a claim in the same
// transaction (BullMQ's moveToFinished does the same), so a busy queue needs one transaction
// per round of completions.
//
// Storage faults (queue/storage_gate.hpp): a write that fails because the database cannot be
// written (a full disk, an I/O error, a file become read-only) is not the job's failure. The
// queue pauses (no claims), keeps what could not be written (a finished job's completion and
// results, the failure of an attempt, an attempt that could not read) and tries again with
// backoff; the first write that succeeds resumes it, and what was kept is written or run again
// then, its attempt not counted twice. A damaged file (SQLITE_CORRUPT, SQLITE_NOTADB) does not
// mend by waiting: the job that meets it fails at once, and QueueOptions::on_damaged is told.
//
// Threads: `workers` worker threads run handlers; one dispatcher thread claims jobs when woken
// (enqueue, a finished job, a due retry) or every poll_interval, renews leases (every
// lease/3) and recovers stalled jobs (expired leases). Store writes are asynchronous; their
// completions run on the Store's writer thread. Public members may be called from any thread
// except the Store's writer thread (observers run there): they wait for writes.
//
// Sources: seed 002 (priorities: lower runs first; retries with exponential backoff), seed 003
// (lifecycle events, JobProgress, queue stats), issue 4 item 1 (statuses, per-type maximum
// attempts and concurrency, leases, stalled recovery, cancellation of children, parent link).

#include "core/job.hpp"
#include "queue/job_context.hpp"
#include "queue/observer.hpp"
#include "queue/retry.hpp"
#include "queue/storage_gate.hpp"
#include "store/store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace scanhub::queue {

/// Writes a job's results on the writer connection, in the transaction that completes the job.
/// May throw: the results roll back and the attempt counts as failed.
using CommitFn = std::function<void(store::Connection&)>;

/// Runs one attempt of a job on a worker thread. Returns the results to commit (an empty
/// function commits nothing but the completion). Throwing fails the attempt: it is retried
/// after a backoff until max_attempts, then the job is failed with the exception's what() as
/// last_error (a PermanentJobError fails it at once). A handler that stops early because its
/// stop token was triggered must throw; returning means the work is done.
using Handler = std::function<CommitFn(JobContext&)>;

/// Runs in the transaction that fails a job for good (its last attempt failed, or it threw a
/// PermanentJobError), on the Store's writer thread, with the job and the failure's reason:
/// e.g. counts the failure in the job's scan so the scan's phase can still end. Returns work to
/// run on the writer thread after that commit (may be empty). A throw is logged and its writes
/// roll back alone (the job is failed all the same).
using FailedFn = std::function<std::function<void()>(store::Connection&, const core::Job&,
                                                     const std::string& error)>;

/// Settings of one job type.
struct JobTypeOptions {
  int max_attempts = 3;  ///< attempts before a job is failed (a NewJob may set its own)
  /// At most this many jobs of the type are held by this queue at once: running, waiting for a
  /// free worker thread, or committing (BullMQ counts its "active" jobs the same way).
  int concurrency = 1;
  RetryPolicy retry;     ///< delay before the next attempt
  FailedFn on_failed;    ///< may be empty
};

struct QueueOptions {
  unsigned workers = 0;  ///< worker threads; 0: one per core (at least 2)
  /// Lease of a claimed job; renewed every lease/3 while it runs. A job whose lease expired is
  /// stalled and returns to pending (recover_stalled), run by whichever worker claims it.
  std::chrono::milliseconds lease{30000};
  /// How often the dispatcher looks for due jobs it was not told about (jobs added by other
  /// processes, retries of other processes). Local enqueues, completions and retries wake it.
  std::chrono::milliseconds poll_interval{500};
  /// At most this often observers get on_stats_changed (stats are counted in the database).
  std::chrono::milliseconds stats_interval{1000};
  /// Lease owner written on claimed rows; empty: "<hostname>:<pid>:<random>".
  std::string owner;
  /// Single-process deployment: at start() every processing job was left by a process that
  /// died, so all of the types with a handler here go back to pending at once (a restart after
  /// kill -9 resumes immediately); other programs' jobs (external jobs) keep their leases.
  /// Turn off when several processes share the store; expired leases are recovered anyway.
  bool recover_all_at_start = true;
  /// A job interrupted this many times by a process that died (or by an expired lease) fails
  /// for good at its next recovery, with a reason, and is counted by its type's on_failed like
  /// any failure (BullMQ's maxStalledCount): a file that crashes the process whenever it is read
  /// is not retried forever. A graceful stop() releases jobs without counting a stall.
  int max_stalled = 5;
  /// Backoff while the database cannot be written (see the top of this file).
  StorageBackoff storage_backoff;
  /// Called when a job met a damaged database (its handler's read or its commit failed with
  /// SQLITE_CORRUPT or SQLITE_NOTADB), with the reason in words, before the job is failed for
  /// good: e.g. fails the job's scan, which waiting would not finish. `job` is null when the
  /// queue's own writes met it (claims, leases): then no job can be relied on to run. Runs on
  /// the dispatcher thread; may write (Store::write_sync, Queue::cancel_scan); a throw is
  /// logged. May be empty.
  std::function<void(const core::Job* job, const std::string& reason)> on_damaged;
};

class Queue {
 public:
  /// `store` must outlive the queue. Nothing runs until start().
  Queue(store::Store& store, QueueOptions options = {});
  /// stop(0 ms): running handlers are asked to stop; their jobs go back to pending.
  ~Queue();
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  /// Registers the handler of job type `type`. Before start() only; throws std::logic_error
  /// after it or for a type registered twice, std::invalid_argument for limits below 1.
  void register_handler(std::string type, Handler handler, JobTypeOptions options = {});
  /// `observer` must outlive the queue; called as observer.hpp says. Before start() only.
  void add_observer(QueueObserver& observer);

  /// Recovers jobs left by a dead process (QueueOptions::recover_all_at_start), then starts the
  /// dispatcher and the workers. Throws what the store throws for the recovery.
  void start();
  /// Stops claiming; waits up to `grace` for running handlers, then triggers their stop tokens
  /// and waits for them to return. Jobs claimed but not started, and jobs whose handler was
  /// stopped, go back to pending (the attempt is not counted). Waits for the commits of
  /// finished jobs. Idempotent; no event is lost for a job that finished.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  /// Adds jobs and waits until they are committed. Returns their ids. Throws sqlite::Error
  /// (e.g. a parent_id that does not exist); then none was added. A job's max_attempts 0 takes
  /// its type's setting (1 for types with no handler here).
  std::vector<core::JobId> enqueue(std::vector<core::NewJob> jobs);
  /// As enqueue, without waiting: `done` (may be empty) runs on the writer thread after the
  /// commit with the ids, or with the error and no ids.
  void enqueue_async(std::vector<core::NewJob> jobs,
                     std::function<void(std::vector<core::JobId>, std::exception_ptr)> done);
  /// Adds jobs inside the caller's own Store::write (so they commit with the caller's data).
  /// The caller then calls notify_enqueued() after its commit.
  std::vector<core::JobId> enqueue_in(store::Connection& connection,
                                      std::span<const core::NewJob> jobs);
  /// Wakes the dispatcher and tells observers about jobs added with enqueue_in.
  void notify_enqueued(std::span<const core::JobId> ids);

  /// Cancels job `id` and its pending and processing descendants (cancel_scan: every job of a
  /// scan) and waits for the commit. Running handlers of those jobs see their stop token
  /// triggered; what they return is not committed. Returns the ids that became cancelled.
  std::vector<core::JobId> cancel(core::JobId id);
  /// `also` (may be empty) runs in the same transaction, before the jobs are cancelled (the
  /// scan's own status, so no commit can see a cancelled scan's jobs still live, or the reverse).
  std::vector<core::JobId> cancel_scan(core::ScanId scan_id, const CommitFn& also = {});

  /// Counts by status, in total and per type, from the database. Thread-safe.
  core::QueueStats stats();
  /// The job as stored, with its live progress when it is running here. Thread-safe.
  std::optional<core::Job> get(core::JobId id);

  const std::string& owner() const noexcept { return options_.owner; }

  /// Whether the queue is paused by a storage fault or has met a damaged file, with the reason
  /// (/healthz). Thread-safe.
  StorageStatus storage_status();

  /// Runs the dispatcher's lease and recovery round now (tests use a short lease instead of
  /// waiting for the timer).
  void heartbeat_for_test();

 private:
  struct TypeState {
    Handler handler;
    JobTypeOptions options;
    int active = 0;  ///< claimed (or reserved for a claim under way) and not yet finished
  };
  struct Running {
    std::stop_source stop;
    std::optional<core::JobProgress> progress;
  };

  /// A finished attempt waiting for its group commit.
  struct PendingCommit {
    core::Job job;
    CommitFn commit;
    std::function<void()> after_commit;  ///< JobContext::after_commit
    std::vector<core::NewJob> children;
    std::vector<core::JobId> child_ids;  ///< set by the commit
    core::TimePoint now{};
    std::exception_ptr error;  ///< set when its savepoint rolled back
    bool retry = false;        ///< committed again after a storage fault (the probe)
  };
  /// Work for the dispatcher: writes the writer thread must not queue itself (a failure, a
  /// release), and what follows meeting a damaged file.
  struct Deferred {
    enum class Kind {
      release,  ///< give the job back to pending, attempt not counted
      fail,     ///< record the failed attempt (`error`, `retryable`)
      damaged,  ///< options_.on_damaged, then fail for good (unless `record` is false)
    };
    Deferred(core::Job j, Kind k, std::string why = {}, bool retry = true, bool write = true)
        : job(std::move(j)), kind(k), error(std::move(why)), retryable(retry), record(write) {}
    core::Job job;
    Kind kind;
    std::string error;
    bool retryable;
    bool record;
  };
  /// A job held while storage is paused (still in running_, its slot taken): its completion
  /// to commit again, its failure to record again, or (neither) its handler to run again.
  struct Parked {
    core::Job job;
    std::optional<PendingCommit> commit;
    std::optional<Deferred> failure;
  };

  friend class JobContext;

  void run_dispatcher();
  void run_worker();
  void run_job(core::Job job);
  bool claim_round();
  /// Computes a claim and reserves its slots; `freed` are slots of jobs completing in the same
  /// transaction. Caller holds mutex_. accept_claimed() returns the unused reservations.
  store::ClaimRequest reserve_claim_locked(const std::map<std::string, int, std::less<>>& freed);
  void accept_claimed(const store::ClaimRequest& request, std::vector<core::Job> claimed);
  void heartbeat_round();
  void run_deferred();
  // Storage faults (see the top of this file).
  struct NotedFault {
    sqlite::Fault fault;
    std::string reason;  ///< store::describe_fault: in words, with the database's path
  };
  void submit_commit(PendingCommit pending);
  /// Adds `pending` to the next group commit, scheduling its write unless one is queued.
  void schedule_commits(std::vector<PendingCommit> pending);
  /// Queues the Store::write that takes every waiting commit (commits_).
  void write_commits();
  void on_progress(const core::Job& job, const core::JobProgress& progress);
  /// The group commit's outcome for one job. Returns the storage fault it met, if any.
  std::optional<NotedFault> on_committed(PendingCommit& p, std::exception_ptr error);

  // Storage faults (see the top of this file).
  /// When `error` holds a storage fault: tells the gate (logging a change of state and telling
  /// observers) and returns the fault. Any thread; takes mutex_.
  std::optional<NotedFault> note_fault(std::exception_ptr error);
  /// A write of the queue's own succeeded: resumes when paused. Any thread; takes mutex_.
  void note_success();
  /// Keeps `parked` until storage returns; while stopping, gives the job back instead.
  void park(Parked parked);
  /// On resumption: the parked jobs run or record their failure again (any thread); parked
  /// completions wait for the dispatcher's resubmit_parked (a Store::write may not be queued
  /// from the writer thread).
  void release_parked();
  /// Dispatcher thread: commits the parked completions again (`probe`: as the paused queue's
  /// retry, whose outcome resumes it or lengthens the wait).
  void resubmit_parked(bool probe);
  /// The dispatcher's retry while paused: the parked completions again, else a heartbeat.
  void probe_storage();
  void fail_attempt(core::Job job, const std::string& error, bool retryable);
  /// Inside a write: the job's type's on_failed (in a savepoint; a throw is logged and rolled
  /// back). Returns what to run after the commit (may be empty).
  std::function<void()> count_failure(store::Connection& c, const core::Job& job,
                                      const std::string& error);
  struct StalledFailure {
    core::Job job;
    std::function<void()> after;
  };
  /// Inside a write, before recover_stalled: fails the stalled jobs over max_stalled and counts
  /// them. report_stalled() then tells the observers, after the commit.
  std::vector<StalledFailure> fail_stalled(store::Connection& c, core::TimePoint now, bool all,
                                           std::span<const std::string> types);
  void report_stalled(const std::vector<StalledFailure>& failures);
  static void run_after_commit(const core::Job& job, const std::function<void()>& fn) noexcept;
  void release_job(const core::Job& job);
  void stop_cancelled(const std::vector<core::JobId>& ids);
  /// The job is no longer held here: its slot is free; the dispatcher is woken to refill it
  /// unless a claim in the same commit already did.
  void on_finished(const core::Job& job, bool wake_dispatcher = true);
  void notify(const std::function<void(QueueObserver&)>& fn);
  int default_max_attempts(const std::string& type) const;
  void wake() noexcept;

  store::Store& store_;
  QueueOptions options_;
  std::map<std::string, TypeState, std::less<>> types_;
  std::vector<QueueObserver*> observers_;

  std::mutex mutex_;
  std::condition_variable dispatch_cv_;  ///< the dispatcher waits: wake_ or stopping_
  std::condition_variable work_cv_;      ///< workers wait: ready_ or stopping_
  std::condition_variable idle_cv_;      ///< stop() waits: executing_, running_, deferred
  std::deque<core::Job> ready_;  ///< claimed, waiting for a worker
  std::unordered_map<core::JobId, Running> running_;  ///< claimed here, not yet committed
  int executing_ = 0;  ///< handlers running now
  /// Writes the writer thread must not queue itself, done by the dispatcher (or stop()).
  std::vector<Deferred> deferred_;
  StorageGate gate_;
  std::vector<Parked> parked_;
  bool probing_ = false;  ///< parked completions are being committed again
  bool wake_ = false;
  bool started_ = false;
  bool stopping_ = false;  ///< no more claims
  bool shutting_down_ = false;  ///< stop tokens of running jobs were triggered by stop()
  bool stopped_ = false;
  core::TimePoint next_due_ = core::TimePoint::max();  ///< earliest local retry
  std::atomic<bool> stats_dirty_{true};

  std::mutex commit_mutex_;
  std::vector<PendingCommit> commits_;  ///< waiting for the next group commit
  bool commit_scheduled_ = false;       ///< a Store::write that will take commits_ is queued

  std::thread dispatcher_;
  std::vector<std::thread> workers_;
};

}  // namespace scanhub::queue
