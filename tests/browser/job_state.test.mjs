// The dashboard's job-queue state (web/js/job_state.js) on seed 003's pushed events, in Node (the
// module is pure): a simulated queue emits the events scanhub's /ws sends (job:created, started,
// progress, completed, failed with retries and cancels, queue:stats read apart from the events)
// and answers GET /api/queue snapshots as api/job_routes.cpp does (newest ids first, limited
// lists). The page's rules must hold after every event, in every order a snapshot and the
// events can arrive in:
// - no ended job among the active ones; a job listed twice is one object;
// - each counter at least the rows listed with its status (the page prints "and N more" for the
//   rest, never a negative number);
// - once the events stop and a last snapshot is loaded, the page equals the queue; and on
//   events alone (no snapshot after the first) the counters equal the queue's exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FOLLOWED, INCOMPLETE, QueueState } from '../../web/js/job_state.js';

const LIMITS = { processing: 3, pending: 2, failed: 2, recent: 4 };
const STATS = ['pending', 'processing', 'completed', 'failed', 'cancelled'];

/** A small deterministic PRNG (mulberry32), so a failing seed can be run again. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The queue as the server holds it, with the events it pushes for each change. */
class FakeQueue {
  constructor() {
    this.jobs = new Map();
    this.nextId = 1;
    this.events = [];
  }

  stats() {
    const s = Object.fromEntries(STATS.map((name) => [name, 0]));
    for (const job of this.jobs.values()) s[job.status] += 1;
    return s;
  }

  emit(type, job, fields = {}) {
    this.events.push({ type, timestamp: new Date(0).toISOString(), jobId: job.id, jobType: 'directory-scan', scanId: 1, ...fields });
  }

  create() {
    const job = { id: this.nextId++, status: 'pending', attempts: 0, maxAttempts: 2 };
    this.jobs.set(job.id, job);
    this.emit('job:created', job, { status: 'pending', priority: 0, attempts: 0, maxAttempts: 2, parentId: null, createdAt: 'c' });
  }

  start() {
    const job = [...this.jobs.values()].find((j) => j.status === 'pending');
    if (!job) return;
    job.status = 'processing';
    job.attempts += 1;
    this.emit('job:started', job, { attempt: job.attempts, maxAttempts: job.maxAttempts, startedAt: 's' });
  }

  finish(rnd) {
    const running = [...this.jobs.values()].filter((j) => j.status === 'processing');
    if (!running.length) return;
    const job = running[Math.floor(rnd() * running.length)];
    const roll = rnd();
    if (roll < 0.3) this.emit('job:progress', job, { progress: { current: 1, total: 2, percentage: 50, message: 'm', detail: 'd' } });
    else if (roll < 0.8) {
      job.status = 'completed';
      this.emit('job:completed', job, { completedAt: 'f' });
    } else {
      const willRetry = job.attempts < job.maxAttempts;
      job.status = willRetry ? 'pending' : 'failed';
      this.emit('job:failed', job, { error: 'boom', attempt: job.attempts, maxAttempts: job.maxAttempts, willRetry, retryAt: willRetry ? 'r' : null });
    }
  }

  cancelSome(rnd) {
    for (const job of this.jobs.values()) {
      if ((job.status === 'pending' || job.status === 'processing') && rnd() < 0.5) {
        job.status = 'cancelled';
        this.events.push({ type: 'job:failed', timestamp: 't', jobId: job.id, jobType: null, scanId: null, error: 'Job cancelled',
          cancelled: true, attempt: null, maxAttempts: null, willRetry: false, retryAt: null });
      }
    }
  }

  /** queue:stats as the feed sends it (counts read from the database). */
  statsMessage() {
    return { type: 'queue:stats', timestamp: 't', ...this.stats(), byType: {} };
  }

  /** GET /api/queue with LIMITS: one read, newest ids first. */
  snapshot() {
    const all = [...this.jobs.values()].sort((a, b) => b.id - a.id);
    const rest = (job) => ({ jobId: job.id, hubJobId: `job-${job.id}`, type: 'directory-scan', jobType: 'directory-scan', status: job.status,
      attempts: job.attempts, maxAttempts: job.maxAttempts, payload: { directoryPath: `/d/${job.id}` }, progress: null });
    const pick = (status, limit) => all.filter((j) => j.status === status).slice(0, limit).map(rest);
    return {
      stats: { ...this.stats(), byType: {} },
      active: [...pick('processing', LIMITS.processing), ...pick('pending', LIMITS.pending)],
      failed: pick('failed', LIMITS.failed),
      recent: all.slice(0, LIMITS.recent).map(rest),
    };
  }
}

function checkRules(state, where) {
  const active = state.active;
  for (const job of active) {
    assert.ok(job.status === 'pending' || job.status === 'processing', `${where}: job ${job.jobId} listed as active while ${job.status}`);
  }
  assert.ok(state.processing.every((j) => j.status === 'processing') && state.pending.every((j) => j.status === 'pending'), `${where}: sections`);
  assert.ok(state.failed.every((j) => j.status === 'failed'), `${where}: failed list`);
  for (const list of [state.processing, state.pending, state.failed, state.recent]) {
    assert.equal(new Set(list.map((j) => j.jobId)).size, list.length, `${where}: a job listed twice in one list`);
  }
  const objects = new Map();
  for (const job of [...active, ...state.failed, ...state.recent]) {
    if (objects.has(job.jobId)) assert.equal(objects.get(job.jobId), job, `${where}: job ${job.jobId} is two objects`);
    objects.set(job.jobId, job);
  }
  assert.ok(state.stats.processing >= state.processing.length, `${where}: processing ${state.stats.processing} < ${state.processing.length} listed`);
  assert.ok(state.stats.pending >= state.pending.length, `${where}: pending ${state.stats.pending} < ${state.pending.length} listed`);
  assert.ok(state.stats.failed >= state.failed.length, `${where}: failed ${state.stats.failed} < ${state.failed.length} listed`);
  assert.ok(state.processing.length <= LIMITS.processing && state.pending.length <= LIMITS.pending, `${where}: limits`);
}

/** The page's lists and counts compared with a snapshot of the queue (ids and statuses). */
function view(stateOrSnapshot) {
  const ids = (list) => list.map((j) => `${j.jobId}:${j.status}`);
  return {
    stats: Object.fromEntries(STATS.map((n) => [n, stateOrSnapshot.stats[n]])),
    active: ids(stateOrSnapshot.active),
    failed: ids(stateOrSnapshot.failed),
    recent: ids(stateOrSnapshot.recent),
  };
}

/** One random run: the server changes, the page gets the events, snapshots overlap them. */
function run(seed, { snapshots, stats = true }) {
  const rnd = random(seed);
  const queue = new FakeQueue();
  const state = new QueueState(LIMITS);
  for (let i = 0; i < 3; i += 1) queue.create();
  state.applySnapshot(queue.snapshot());
  let delivered = queue.events.length;  // the page's socket opened after these
  let pendingSnapshot = null;           // {snapshot, arrived}: read, not yet applied
  let staleStats = null;
  for (let step = 0; step < 400; step += 1) {
    const roll = rnd();
    if (roll < 0.25) queue.create();
    else if (roll < 0.5) queue.start();
    else if (roll < 0.85) queue.finish(rnd);
    else if (roll < 0.87) queue.cancelSome(rnd);
    else if (roll < 0.93 && stats) staleStats = queue.statsMessage();  // read now, sent a little later
    if (staleStats && rnd() < 0.3) {
      queue.events.push(staleStats);
      staleStats = null;
    }
    if (snapshots && !pendingSnapshot && rnd() < 0.08) pendingSnapshot = { snapshot: queue.snapshot(), arrived: [] };
    // Some of the events so far reach the page (the socket is behind the server a little).
    while (delivered < queue.events.length && rnd() < 0.7) {
      const message = queue.events[delivered++];
      pendingSnapshot?.arrived.push(message);
      const result = state.applyEvent(message);
      assert.ok(result === FOLLOWED || result === INCOMPLETE);
      checkRules(state, `seed ${seed} step ${step} after ${message.type} of ${message.jobId}`);
    }
    if (pendingSnapshot && rnd() < 0.3) {
      state.applySnapshot(pendingSnapshot.snapshot);
      for (const message of pendingSnapshot.arrived) state.applyEvent(message, { replay: true });
      checkRules(state, `seed ${seed} step ${step} after a snapshot and ${pendingSnapshot.arrived.length} replayed events`);
      pendingSnapshot = null;
    }
  }
  // The queue settles: every event arrives, and the counts the feed sends last.
  while (queue.start(), [...queue.jobs.values()].some((j) => j.status === 'processing')) {
    for (const job of queue.jobs.values()) if (job.status === 'processing') { job.status = 'completed'; queue.emit('job:completed', job); }
  }
  if (stats) queue.events.push(queue.statsMessage());
  while (delivered < queue.events.length) {
    const message = queue.events[delivered++];
    pendingSnapshot?.arrived.push(message);
    state.applyEvent(message);
    checkRules(state, `seed ${seed} settling after ${message.type}`);
  }
  return { queue, state };
}

test('the rules hold after every event, and on events alone the counts equal the queue', () => {
  for (let seed = 1; seed <= 150; seed += 1) {
    const { queue, state } = run(seed, { snapshots: false, stats: false });
    assert.deepEqual(view(state).stats, view(queue.snapshot()).stats, `seed ${seed}: the counters on events alone`);
    assert.deepEqual(view(state).active, [], `seed ${seed}: no active job once the queue is idle`);
  }
});

test('snapshots overlapping the events: the rules hold throughout, and the last snapshot gives the queue', () => {
  for (let seed = 1; seed <= 150; seed += 1) {
    const { queue, state } = run(seed, { snapshots: true });
    assert.deepEqual(view(state).stats, view(queue.snapshot()).stats, `seed ${seed}: the counters after queue:stats`);
    state.applySnapshot(queue.snapshot());
    assert.deepEqual(view(state), view(queue.snapshot()), `seed ${seed}: the page after the last snapshot`);
  }
});

test('an event the snapshot already holds changes nothing when applied again', () => {
  const state = new QueueState(LIMITS);
  const job = { jobId: 7, type: 'discover', jobType: 'discover', status: 'completed', attempts: 1, maxAttempts: 1, payload: {} };
  state.applySnapshot({ stats: { pending: 0, processing: 0, completed: 1, failed: 0, cancelled: 0 }, active: [], failed: [], recent: [job] });
  for (const message of [
    { type: 'job:created', jobId: 7, jobType: 'discover', attempts: 0, maxAttempts: 1 },
    { type: 'job:started', jobId: 7, jobType: 'discover', attempt: 1, maxAttempts: 1 },
    { type: 'job:completed', jobId: 7, jobType: 'discover' },
  ]) {
    assert.equal(state.applyEvent(message, { replay: true }), FOLLOWED, message.type);
  }
  assert.equal(state.recent[0].status, 'completed');
  assert.deepEqual(state.stats, { pending: 0, processing: 0, completed: 1, failed: 0, cancelled: 0 });
  assert.deepEqual(state.active, []);
});

test('a retried job goes back to waiting with its error, then runs its next attempt', () => {
  const state = new QueueState(LIMITS);
  const job = { jobId: 3, type: 'cache-asset', jobType: 'cache-asset', status: 'processing', attempts: 1, maxAttempts: 3, payload: {} };
  state.applySnapshot({ stats: { pending: 0, processing: 1, completed: 0, failed: 0, cancelled: 0 }, active: [job], failed: [], recent: [job] });
  state.applyEvent({ type: 'job:failed', jobId: 3, error: 'disk', attempt: 1, maxAttempts: 3, willRetry: true, retryAt: 'x' });
  assert.deepEqual(state.pending.map((j) => [j.jobId, j.status, j.attempts, j.lastError]), [[3, 'pending', 1, 'disk']]);
  assert.equal(state.stats.pending, 1);
  assert.equal(state.stats.processing, 0);
  // The same failure again (a replay) does not count twice; the next attempt runs.
  state.applyEvent({ type: 'job:failed', jobId: 3, error: 'disk', attempt: 1, maxAttempts: 3, willRetry: true, retryAt: 'x' }, { replay: true });
  state.applyEvent({ type: 'job:started', jobId: 3, attempt: 2, maxAttempts: 3 });
  assert.deepEqual(state.processing.map((j) => [j.jobId, j.attempts]), [[3, 2]]);
  assert.deepEqual([state.stats.pending, state.stats.processing], [0, 1]);
});

test('queue:stats sets the counters, never below the rows listed', () => {
  const state = new QueueState(LIMITS);
  const job = { jobId: 1, type: 'discover', jobType: 'discover', status: 'processing', attempts: 1, maxAttempts: 1, payload: {} };
  state.applySnapshot({ stats: { pending: 0, processing: 1, completed: 0, failed: 0, cancelled: 0 }, active: [job], failed: [], recent: [job] });
  assert.equal(state.applyEvent({ type: 'queue:stats', pending: 40, processing: 2, completed: 9, failed: 0, cancelled: 0 }), FOLLOWED);
  assert.deepEqual(state.more(), { processing: 1, pending: 40, failed: 0 });
  // Counts read before job 1 started: the listed row keeps its count, and a snapshot is wanted.
  assert.equal(state.applyEvent({ type: 'queue:stats', pending: 1, processing: 0, completed: 0, failed: 0, cancelled: 0 }), INCOMPLETE);
  assert.equal(state.stats.processing, 1);
});
