// The job queue as the dashboard shows it: one state for the whole section, so every part of
// it agrees. Pure (no DOM, no network): JobsPanel renders it.
//
// The lists mean what GET /api/queue's do (api/job_routes.cpp; ids are given in order, so "by id,
// newest first" is "most recently created first"):
//   processing  the newest `limits.processing` processing jobs     } together "Active jobs"
//   pending     the newest `limits.pending` pending jobs           }
//   failed      the newest `limits.failed` failed jobs
//   recent      the newest `limits.recent` jobs of any status
// Invariants, after every change:
// - one object per job: a job listed under "Active jobs" and under "Recent jobs" is the same
//   object, so both say the same status;
// - the active lists hold pending and processing jobs only;
// - the counters equal the lists: each of stats.processing, stats.pending and stats.failed is at
//   least the jobs listed with that status (rows beyond the listed ones are counted, "and N
//   more"), whatever order the sources below arrive in.
//
// Sources:
// - a snapshot of GET /api/queue (counts and lists from one read transaction) replaces
//   everything (applySnapshot);
// - seed 003's pushed events from /ws (applyEvent): job:created, job:started, job:progress,
//   job:completed, job:failed (a cancelled job is a job:failed with `cancelled`), queue:stats.
//   A lifecycle event moves its job between the lists and its count with it. queue:stats sets
//   the counters (the server's count; at most four a second).
// A snapshot and the events are not one sequence: events that arrived while a snapshot was on
// its way may be in it or not. The caller applies those again after the snapshot with
// `{replay: true}`; each job's lifecycle only moves forward (created < started(attempt n) <
// failed-and-retrying(n) < started(n + 1) < ended), so an event the snapshot already holds
// changes nothing, and one about a job the snapshot does not list is left to the next count.

export const STATS = ['pending', 'processing', 'completed', 'failed', 'cancelled'];
const ACTIVE = new Set(['pending', 'processing']);
const ENDED = new Set(['completed', 'failed', 'cancelled']);

/** What applyEvent did: the state follows the event, or a snapshot would show more. */
export const FOLLOWED = 'followed';
export const INCOMPLETE = 'incomplete';

export const DEFAULT_LIMITS = { processing: 20, pending: 5, failed: 20, recent: 15 };

/** Where a job is in its lifecycle, as [attempt, step]; compared in that order. */
function stageOf(job) {
  if (ENDED.has(job.status)) return [Infinity, 3];
  if (job.status === 'processing') return [job.attempts || 0, 1];
  // pending: never tried yet, or waiting for its next attempt after a failed one.
  return job.attempts > 0 ? [job.attempts, 2] : [0, 0];
}

function stageOfEvent(message) {
  switch (message.type) {
    case 'job:created': return [0, 0];
    case 'job:started': return [message.attempt || 1, 1];
    case 'job:completed': return [Infinity, 3];
    case 'job:failed': return message.willRetry ? [message.attempt || 0, 2] : [Infinity, 3];
    default: return null;
  }
}

const later = (a, b) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

/** Inserts `job` into `list` (newest id first) unless it falls beyond `limit`; trims. */
function insertById(list, job, limit) {
  if (list.includes(job)) return true;
  let at = list.findIndex((other) => other.jobId < job.jobId);
  if (at < 0) at = list.length;
  if (at >= limit) return false;
  list.splice(at, 0, job);
  if (list.length > limit) list.length = limit;
  return true;
}

function remove(list, job) {
  const at = list.indexOf(job);
  if (at >= 0) list.splice(at, 1);
}

/** A job as the REST API lists it, from what a lifecycle event says of it. */
function jobFromEvent(message) {
  const type = message.jobType ?? 'job';
  return {
    jobId: message.jobId,
    hubJobId: `job-${message.jobId}`,
    type,
    jobType: type,
    status: 'pending',
    priority: message.priority ?? 0,
    attempts: message.attempts ?? 0,
    maxAttempts: message.maxAttempts ?? 1,
    parentId: message.parentId ?? null,
    scanId: message.scanId ?? null,
    payload: null,
    createdAt: message.createdAt ?? message.timestamp ?? null,
    startedAt: null,
    finishedAt: null,
    lastError: null,
    progress: null,
  };
}

export class QueueState {
  constructor(limits = DEFAULT_LIMITS) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.stats = null;
    this.processing = [];
    this.pending = [];
    this.failed = [];
    this.recent = [];
    // Every job listed, and every job not ended that an event told of since the last snapshot
    // (so its next event knows where it stood; as many as the queue has active jobs).
    this.byId = new Map();
  }

  /** "Active jobs": processing first, then pending, each newest first. */
  get active() {
    return [...this.processing, ...this.pending];
  }

  /** GET /api/queue's {stats, active, failed, recent}. */
  applySnapshot({ stats, active, failed, recent }) {
    this.byId = new Map();
    const one = (job) => {
      const known = this.byId.get(job.jobId);
      if (known) return known;
      this.byId.set(job.jobId, job);
      return job;
    };
    this.stats = { ...stats };
    const listed = active.map(one);
    this.processing = listed.filter((job) => job.status === 'processing');
    this.pending = listed.filter((job) => job.status === 'pending');
    this.failed = failed.map(one).filter((job) => job.status === 'failed');
    this.recent = recent.map(one);
  }

  /** Rows beyond the listed ones: {processing, pending, failed}. */
  more() {
    const s = this.stats || {};
    return {
      processing: Math.max(0, (s.processing || 0) - this.processing.length),
      pending: Math.max(0, (s.pending || 0) - this.pending.length),
      failed: Math.max(0, (s.failed || 0) - this.failed.length),
    };
  }

  /** The newest progress of a listed, processing job; false when it is not one. */
  applyProgress(jobId, progress) {
    const job = this.byId.get(jobId);
    if (!job || job.status !== 'processing') return false;
    job.progress = { ...(job.progress || {}), ...progress };
    return true;
  }

  /**
   * Seed 003's pushed events as the /ws socket sends them (and /api/events). Returns FOLLOWED,
   * or INCOMPLETE when the counts follow but a snapshot would list more (a job the lists now
   * have room for, a listed job whose details, such as its payload, no event carries).
   * `replay`: the event arrived while the snapshot just applied was on its way (see above).
   */
  applyEvent(message, { replay = false } = {}) {
    if (!this.stats) return INCOMPLETE;
    if (message.type === 'queue:stats') return replay ? FOLLOWED : this.applyCounts(message);
    if (message.type === 'job:progress') {
      this.applyProgress(message.jobId, message.progress);
      return FOLLOWED;
    }
    const stage = stageOfEvent(message);
    if (!stage) return FOLLOWED;
    const known = this.byId.get(message.jobId);
    if (known) return later(stage, stageOf(known)) ? this.move(known, message) : FOLLOWED;
    // A job the snapshot does not list: when the event came before the snapshot, the snapshot
    // may count it already. Its count waits for the next queue:stats; a snapshot lists it.
    if (replay) return message.type === 'job:completed' ? FOLLOWED : INCOMPLETE;
    if (message.type === 'job:created') return this.add(message);
    // Started or ended, and not listed: the snapshot counted it where it stood then.
    const job = jobFromEvent(message);
    if (message.type === 'job:failed' && message.cancelled) {
      // No event told of it since the snapshot, so it stands where the snapshot counted it
      // without listing it: waiting, or running beyond the listed ones. Which, the event does
      // not say: a guess, and a snapshot to be sure.
      job.status = this.more().pending > 0 || this.more().processing === 0 ? 'pending' : 'processing';
      this.move(job, message);
      return INCOMPLETE;
    }
    // A job starts from waiting; it ends (or fails) from running.
    job.status = message.type === 'job:started' ? 'pending' : 'processing';
    job.attempts = message.type === 'job:started' ? (message.attempt || 1) - 1 : (message.attempt ?? 1);
    return this.move(job, message);
  }

  /** job:created of a job not known yet. */
  add(message) {
    const job = jobFromEvent(message);
    this.stats.pending = (this.stats.pending || 0) + 1;
    this.byId.set(job.jobId, job);
    insertById(this.recent, job, this.limits.recent);
    const listed = insertById(this.pending, job, this.limits.pending);
    this.floorCounts();
    this.dropUnlisted();
    return listed ? INCOMPLETE : FOLLOWED;  // listed without its payload: a snapshot has it
  }

  /** A lifecycle event that moves `job` (known, or made from the event) forward. */
  move(job, message) {
    const from = job.status;
    let to;
    const fields = {};
    switch (message.type) {
      case 'job:started':
        to = 'processing';
        fields.attempts = message.attempt ?? (job.attempts || 0) + 1;
        fields.startedAt = message.startedAt ?? message.timestamp ?? null;
        fields.progress = null;
        break;
      case 'job:completed':
        to = 'completed';
        fields.finishedAt = message.completedAt ?? message.timestamp ?? null;
        break;
      case 'job:failed':
        to = message.cancelled ? 'cancelled' : message.willRetry ? 'pending' : 'failed';
        fields.lastError = message.error ?? null;
        if (message.attempt != null) fields.attempts = message.attempt;
        if (!message.willRetry) fields.finishedAt = message.timestamp ?? null;
        break;
      default:
        to = 'pending';
    }
    if (message.maxAttempts != null) fields.maxAttempts = message.maxAttempts;
    Object.assign(job, fields, { status: to });

    let result = FOLLOWED;
    if (from !== to) {
      this.stats[from] = Math.max(0, (this.stats[from] || 0) - 1);
      this.stats[to] = (this.stats[to] || 0) + 1;
    }
    const wasListed = this.processing.includes(job) || this.pending.includes(job);
    remove(this.processing, job);
    remove(this.pending, job);
    if (to === 'processing' || to === 'pending') {
      const listed = insertById(to === 'processing' ? this.processing : this.pending, job, this.limits[to]);
      // A job new to the lists came from an event: its payload (what it works on) is not known.
      if (listed && !wasListed && job.payload === null) result = INCOMPLETE;
    } else if (to === 'failed') {
      insertById(this.failed, job, this.limits.failed);
    }
    // A listed job left its list while more of that status are counted than listed: a snapshot
    // fills the row it left.
    if (wasListed && from !== to && this.more()[from] > 0) result = INCOMPLETE;
    if (ENDED.has(to) && !this.recent.includes(job)) this.byId.delete(job.jobId);
    else this.byId.set(job.jobId, job);
    // A count that was behind the lists (a queue:stats read before this job moved) catches up.
    this.floorCounts();
    this.dropUnlisted();
    return result;
  }

  /** queue:stats: the server's counts, never below what the lists show. */
  applyCounts(message) {
    const listed = { processing: this.processing.length, pending: this.pending.length, failed: this.failed.length };
    let result = FOLLOWED;
    for (const name of STATS) {
      if (typeof message[name] !== 'number') continue;
      const floor = listed[name] || 0;
      // The counts were read apart from the events: a listed job the count has no room for
      // is one whose event has not arrived yet, or a row a snapshot would drop.
      if (message[name] < floor) result = INCOMPLETE;
      this.stats[name] = Math.max(message[name], floor);
    }
    return result;
  }

  /** Each counter at least the rows listed with its status. */
  floorCounts() {
    for (const name of ['processing', 'pending', 'failed']) {
      this.stats[name] = Math.max(this.stats[name] || 0, this[name].length);
    }
  }

  /** Forgets ended jobs that fell off every list (they change no more): bounded memory. */
  dropUnlisted() {
    if (this.byId.size <= 4 * (this.limits.processing + this.limits.pending + this.limits.failed + this.limits.recent)) return;
    const listed = new Set([...this.processing, ...this.pending, ...this.failed, ...this.recent]);
    for (const [id, job] of this.byId) if (ENDED.has(job.status) && !listed.has(job)) this.byId.delete(id);
  }
}
