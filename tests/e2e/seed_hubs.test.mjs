// Seed 001's IndexerHub (/hubs/indexer) and seed 004's JobProgressHub (/hubs/job-progress) and
// connection-info, with the official @microsoft/signalr client and its defaults, during a real
// `scanhub serve` scan of a generated library. Every method of both hubs is invoked; event
// payloads are checked against the seeds' shapes and against the library's manifest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { startServer, withTimeout } from './support/server_process.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
// Seed 001's ScanProgress and ScanJobProgress; scanhub adds `status` to ScanProgress.
const SCAN_PROGRESS_KEYS = ['embeddingProgress', 'embeddingsCompleted', 'indexingProgress', 'requestId',
  'status', 'totalTracks', 'tracksIndexed'];
const SCAN_JOB_PROGRESS_KEYS = ['embeddingsCompleted', 'expectedTracks', 'libraryId', 'libraryPath',
  'requestId', 'startedAt', 'tracksIndexed'];
// Seed 004's event payloads.
const JOB_PROGRESS_UPDATE_KEYS = ['currentStage', 'errorMessage', 'jobId', 'jobType', 'metadata', 'progress',
  'status', 'statusMessage', 'updatedAt', 'videoId'];
const JOB_COMPLETED_KEYS = ['completedAt', 'jobId', 'message', 'status', 'videoId'];
const JOB_STATUSES = ['Pending', 'Running', 'Completed', 'Failed', 'Cancelled'];
const MS = 5000;  // bound of one invocation

let dir;
let manifest;
let server;
let library;

const keys = (o) => Object.keys(o).sort();

function connect(path) {
  return new signalR.HubConnectionBuilder()
    .withUrl(`${server.url}${path}`)
    .configureLogging(signalR.LogLevel.Warning)
    .build();
}

/** Bounded invoke. */
const call = (connection, method, ...args) =>
  withTimeout(connection.invoke(method, ...args), MS, `${method}(${args.join(', ')})`);

/** Records the named events of one connection, and waits for conditions on them. */
function record(connection, names) {
  const log = [];
  let wake = () => {};
  for (const name of names) connection.on(name, (...args) => { log.push({ name, args }); wake(); });
  log.until = (predicate, label, ms = 15000) => withTimeout(new Promise((resolve) => {
    const check = () => { const hit = log.find(predicate); if (hit) resolve(hit); else wake = check; };
    check();
  }), ms, label);
  log.payloads = (name) => log.filter((e) => e.name === name).map((e) => e.args[0]);
  return log;
}

const JOB_EVENTS = ['JobProgressUpdate', 'JobCompleted', 'JobFailed', 'VideoProgressUpdate',
  'BroadcastNotification', 'Error'];

function assertMonotonic(list, field, label) {
  for (let i = 1; i < list.length; i += 1) {
    assert.ok(list[i][field] >= list[i - 1][field], `${label}: ${field} never goes backwards`);
  }
  for (const p of list) assert.ok(Number.isInteger(p[field]) && p[field] >= 0 && p[field] <= 100, `${label}: ${field} in 0-100`);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-'));
  const root = join(dir, 'library');
  execFileSync(process.env.MAKE_LIBRARY, [root, '--tracks', '80', '--seed', '21',
                                          '--template-cache', process.env.TEMPLATE_CACHE]);
  manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8'));
  // One worker and 150 ms per directory: the scan runs long enough (about 1.5 s) to be joined.
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), '--library', root,
    '--directory-delay-for-test', '150', '--workers', '1',
  ], { portPattern: /serving http:\/\/[^:]+:(\d+)\// });
  [library] = await withTimeout((await fetch(`${server.url}/api/libraries`)).json(), MS, 'libraries');
});

after(async () => {
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, 'scanhub serve exits 0 on SIGTERM');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('connection-info lists the three hubs and what negotiate really offers', async () => {
  const [v0, v1] = await Promise.all(['/api/signalr/connection-info', '/api/v1/signalr/connection-info']
    .map(async (path) => {
      const response = await withTimeout(fetch(`${server.url}${path}`), MS, path);
      assert.equal(response.status, 200, path);
      return response.json();
    }));
  assert.deepEqual(v0, v1);
  assert.equal(v1.hubUrl, '/hubs/job-progress');
  assert.equal(v1.userId, null);
  for (const key of ['subscribeToJob', 'subscribeToVideo', 'unsubscribeFromJob', 'getJobProgress', 'getVideoProgress']) {
    assert.equal(typeof v1.instructions[key], 'string', key);
  }
  assert.ok(v1.events.some((e) => e.startsWith('JobProgressUpdate')));
  assert.deepEqual(v1.hubs.map((h) => h.url).sort(), ['/hubs/indexer', '/hubs/job-progress', '/hubs/progress']);
  assert.ok(v1.protocols.includes('json'));
  for (const hub of v1.hubs) {
    const response = await withTimeout(fetch(`${server.url}${hub.url}/negotiate?negotiateVersion=1`, { method: 'POST' }),
                                       MS, `${hub.url}/negotiate`);
    assert.equal(response.status, 200, hub.url);
    const offered = (await response.json()).availableTransports.map((t) => t.transport);
    assert.deepEqual([...v1.transports].sort(), offered.sort(), `${hub.url}: transports as negotiate offers them`);
  }
});

test('a scan started over /hubs/indexer is followed on both hubs to its end', async () => {
  const indexer = connect('/hubs/indexer');
  const progress = record(indexer, ['ScanProgress']);
  const watcher = connect('/hubs/job-progress');
  const jobs = record(watcher, JOB_EVENTS);
  await withTimeout(Promise.all([indexer.start(), watcher.start()]), MS, 'connect');

  assert.deepEqual(await call(indexer, 'GetActiveScans'), []);
  await assert.rejects(call(indexer, 'StartLibraryScan', '999999'), /Library 999999 not found/);
  await assert.rejects(call(indexer, 'StartLibraryScan', '3fa85f64-5717-4562-b3fc-2c963f66afa6'), /not found/);

  const requestId = await call(indexer, 'StartLibraryScan', String(library.id));
  assert.match(requestId, /^\d+$/);
  assert.equal(await call(indexer, 'StartLibraryScan', library.id), requestId, 'the running scan of that library');

  // Subscribing right after the start: the snapshot comes first, before the invocation completes.
  await call(watcher, 'SubscribeToJob', requestId);
  const first = jobs.find((e) => e.name === 'JobProgressUpdate');
  assert.ok(first, 'snapshot before the completion');
  assert.equal(first.args[0].jobId, requestId);
  assert.equal(first.args[0].status, 'Running');

  const active = await call(indexer, 'GetActiveScans');
  assert.equal(active.length, 1);
  assert.deepEqual(keys(active[0]), SCAN_JOB_PROGRESS_KEYS);
  assert.equal(active[0].requestId, requestId);
  assert.equal(active[0].libraryId, library.id);
  assert.equal(active[0].libraryPath, library.path);
  assert.match(active[0].startedAt, ISO_TIME);
  assert.ok(active[0].tracksIndexed <= manifest.tracks.length);

  // Mid-scan, a second client subscribes: the current snapshot first, at least as new as what
  // the first has seen, and not the end.
  await jobs.until((e) => e.name === 'JobProgressUpdate' && e.args[0].metadata.directoriesScanned >= 2, 'mid-scan progress');
  const late = connect('/hubs/job-progress');
  const lateJobs = record(late, JOB_EVENTS);
  await withTimeout(late.start(), MS, 'late connect');
  const seen = jobs.payloads('JobProgressUpdate').at(-1);
  await call(late, 'SubscribeToJob', requestId);
  assert.equal(lateJobs[0]?.name, 'JobProgressUpdate', 'the snapshot arrives before the completion');
  const snapshot = lateJobs[0].args[0];
  assert.equal(snapshot.status, 'Running');
  assert.ok(snapshot.metadata.directoriesScanned >= seen.metadata.directoriesScanned);
  assert.ok(snapshot.metadata.directoriesScanned < manifest.directoriesWithAudio, 'joined mid-scan');
  assert.ok(snapshot.progress >= seen.progress && snapshot.progress < 100);

  const now = await call(late, 'GetJobProgress', requestId);
  assert.deepEqual(keys(now), JOB_PROGRESS_UPDATE_KEYS);
  assert.equal(now.jobId, requestId);

  // Videos: groups only; scanhub has none, so progress is null with an Error event.
  await call(late, 'SubscribeToVideo', 'video-456');
  await call(late, 'UnsubscribeFromVideo', 'video-456');
  assert.equal(await call(late, 'GetVideoProgress', 'video-456'), null);
  assert.equal(await call(late, 'GetJobProgress', '999999'), null);
  const errors = lateJobs.payloads('Error');
  assert.deepEqual(errors.map((e) => e.code), ['NOT_FOUND', 'NOT_FOUND']);
  for (const e of errors) assert.deepEqual(keys(e), ['code', 'message']);

  const [completed] = (await jobs.until((e) => e.name === 'JobCompleted', 'JobCompleted')).args;
  await lateJobs.until((e) => e.name === 'JobCompleted', 'JobCompleted for the late subscriber');
  await progress.until((e) => e.args[0].requestId === requestId && e.args[0].status === 'completed', 'last ScanProgress');

  // Seed 004: JobProgressUpdate / JobCompleted shapes and values.
  assert.deepEqual(keys(completed), JOB_COMPLETED_KEYS);
  assert.equal(completed.jobId, requestId);
  assert.equal(completed.status, 'Completed');
  assert.equal(completed.videoId, null);
  assert.match(completed.completedAt, ISO_TIME);
  for (const log of [jobs, lateJobs]) {
    const updates = log.payloads('JobProgressUpdate');
    assert.ok(updates.length >= 2);
    assertMonotonic(updates, 'progress', 'JobProgressUpdate');
    for (const u of updates) {
      assert.deepEqual(keys(u), JOB_PROGRESS_UPDATE_KEYS);
      assert.equal(u.jobId, requestId);
      assert.equal(u.jobType, 'LibraryScan');
      assert.ok(JOB_STATUSES.includes(u.status), u.status);
      assert.ok(['discovering', 'scanning', 'completed'].includes(u.currentStage), u.currentStage);
      assert.equal(typeof u.statusMessage, 'string');
      assert.match(u.updatedAt, ISO_TIME);
      assert.ok(u.metadata.directoriesScanned <= u.metadata.directoriesTotal || u.currentStage === 'discovering');
    }
    const last = updates.at(-1);
    assert.equal(last.status, 'Completed');
    assert.equal(last.progress, 100);
    assert.equal(last.errorMessage, null);
    assert.equal(last.metadata.tracksFound, manifest.tracks.length);
    assert.equal(last.metadata.directoriesScanned, manifest.directoriesWithAudio);
    assert.equal(last.metadata.errorsCount, manifest.errors.length);
    const order = log.filter((e) => e.name !== 'BroadcastNotification' && e.name !== 'Error').map((e) => e.name);
    assert.equal(order.at(-1), 'JobCompleted', 'JobCompleted ends the job');
    assert.equal(order.filter((n) => n === 'JobCompleted').length, 1);
  }
  const notices = jobs.payloads('BroadcastNotification');
  assert.deepEqual(notices.map((n) => n.type), ['JobStarted', 'JobCompleted']);
  for (const n of notices) {
    assert.deepEqual(keys(n), ['data', 'message', 'timestamp', 'type']);
    assert.equal(n.data.jobId, requestId);
    assert.match(n.timestamp, ISO_TIME);
  }

  // Seed 001: ScanProgress to every indexer connection, no subscription needed.
  const updates = progress.payloads('ScanProgress').filter((p) => p.requestId === requestId);
  assert.ok(updates.length >= 3);
  assertMonotonic(updates, 'indexingProgress', 'ScanProgress');
  assertMonotonic(updates, 'embeddingProgress', 'ScanProgress');
  for (const p of updates) {
    assert.deepEqual(keys(p), SCAN_PROGRESS_KEYS);
    assert.equal(p.tracksIndexed, p.totalTracks, 'totalTracks is the tracks found so far');
    assert.ok(p.tracksIndexed <= manifest.tracks.length);
  }
  assertMonotonic(updates, 'tracksIndexed', 'ScanProgress');
  const end = updates.at(-1);
  assert.deepEqual([end.indexingProgress, end.embeddingProgress], [100, 100]);
  assert.equal(end.totalTracks, manifest.tracks.length);
  // Embeddings are on: every track is done with (skipped: the generated tracks are under 60 s).
  assert.equal(end.embeddingsCompleted, manifest.tracks.length);

  assert.deepEqual(await call(indexer, 'GetActiveScans'), [], 'an ended scan is not active');
  await call(watcher, 'UnsubscribeFromJob', requestId);

  // After the end: GetJobProgress answers from the final state; a new subscriber gets the end.
  const ended = await call(late, 'GetJobProgress', requestId);
  assert.equal(ended.status, 'Completed');
  assert.equal(ended.progress, 100);
  const third = connect('/hubs/job-progress');
  const thirdJobs = record(third, JOB_EVENTS);
  await withTimeout(third.start(), MS, 'third connect');
  await call(third, 'SubscribeToJob', requestId);
  assert.deepEqual(thirdJobs.map((e) => e.name), ['JobProgressUpdate', 'JobCompleted']);

  await withTimeout(Promise.all([indexer.stop(), watcher.stop(), late.stop(), third.stop()]), MS, 'stop');
});

test('bad invocations on both hubs get error completions; the connections stay usable', async () => {
  const indexer = connect('/hubs/indexer');
  const jobHub = connect('/hubs/job-progress');
  await withTimeout(Promise.all([indexer.start(), jobHub.start()]), MS, 'connect');
  await assert.rejects(call(indexer, 'NoSuchMethod'), /Method does not exist/);
  await assert.rejects(call(indexer, 'StartLibraryScan'), /takes 1 argument/);
  await assert.rejects(call(indexer, 'StartLibraryScan', { id: 1 }), /must be a string/);
  await assert.rejects(call(jobHub, 'NoSuchMethod'), /Method does not exist/);
  await assert.rejects(call(jobHub, 'SubscribeToJob'), /takes 1 argument/);
  await assert.rejects(call(jobHub, 'GetJobProgress', [1]), /must be a string/);
  assert.equal(await call(jobHub, 'SubscribeToJob', 'job-123'), null, 'any id may be joined');
  assert.equal(await call(jobHub, 'UnsubscribeFromJob', 'job-123'), null);
  assert.equal(indexer.state, signalR.HubConnectionState.Connected);
  assert.equal(jobHub.state, signalR.HubConnectionState.Connected);
  await withTimeout(Promise.all([indexer.stop(), jobHub.stop()]), MS, 'stop');
});
