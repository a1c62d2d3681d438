// External jobs (issue 4 item 4; seeds 003 and 004): a program that runs its own long job
// creates it over HTTP, reports progress, completes or fails it, and a client of the official
// @microsoft/signalr library subscribed on /hubs/job-progress sees each step in seed 004's
// shapes. Bad requests get 4xx with a JSON error and change nothing. A real `scanhub serve` on
// 127.0.0.1 with a real SQLite file; the database is checked after a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { startServer, withTimeout } from './support/server_process.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

const MS = 5000;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const JOB_PROGRESS_UPDATE_KEYS = ['currentStage', 'errorMessage', 'jobId', 'jobType', 'metadata', 'progress',
  'status', 'statusMessage', 'updatedAt', 'videoId'];
const JOB_COMPLETED_KEYS = ['completedAt', 'jobId', 'message', 'status', 'videoId'];
const JOB_FAILED_KEYS = ['error', 'failedAt', 'jobId', 'message', 'videoId'];

let dir;
let server;

const serve = () => startServer(process.env.SCANHUB_BIN,
  ['serve', '--port', '0', '--db', join(dir, 'scanhub.db')],
  { portPattern: /serving http:\/\/[^:]+:(\d+)\// });

/** One HTTP call: {status, body} with the body parsed as JSON. */
async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const response = await withTimeout(fetch(`${server.url}${path}`, init), MS, `${method} ${path}`);
  const text = await response.text();
  assert.match(response.headers.get('content-type') ?? '', /application\/json/, `${method} ${path}: JSON`);
  return { status: response.status, body: JSON.parse(text) };
}

function record(connection, names) {
  const log = [];
  let wake = () => {};
  for (const name of names) connection.on(name, (...args) => { log.push({ name, args }); wake(); });
  log.until = (predicate, label, ms = 5000) => withTimeout(new Promise((resolve) => {
    const check = () => { const hit = log.find(predicate); if (hit) resolve(hit); else wake = check; };
    check();
  }), ms, label);
  return log;
}

async function subscriber(hubJobId) {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(`${server.url}/hubs/job-progress`)
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  const log = record(connection, ['JobProgressUpdate', 'JobCompleted', 'JobFailed', 'BroadcastNotification', 'Error']);
  await withTimeout(connection.start(), MS, 'connect');
  await withTimeout(connection.invoke('SubscribeToJob', hubJobId), MS, 'SubscribeToJob');
  return { connection, log };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-external-jobs-'));
  server = await serve();
});

after(async () => {
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, 'scanhub serve exits 0 on SIGTERM');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('an external job reported over HTTP reaches a /hubs/job-progress subscriber to its completion', async () => {
  const created = await api('POST', '/api/jobs', { jobType: 'Transcription', videoId: 'video-456', payload: { lang: 'en' } });
  assert.equal(created.status, 201);
  const job = created.body;
  assert.equal(job.status, 'processing');
  assert.equal(job.attempts, 1);
  assert.equal(job.type, 'external');
  assert.equal(job.jobType, 'Transcription');
  assert.deepEqual(job.payload, { lang: 'en' });
  assert.equal(job.hubJobId, `job-${job.jobId}`);

  const { connection, log } = await subscriber(job.hubJobId);
  // The snapshot first: running, no progress yet.
  const first = await log.until((e) => e.name === 'JobProgressUpdate', 'snapshot');
  assert.deepEqual(Object.keys(first.args[0]).sort(), JOB_PROGRESS_UPDATE_KEYS);
  assert.equal(first.args[0].jobId, job.hubJobId);
  assert.equal(first.args[0].status, 'Running');
  assert.equal(first.args[0].progress, 0);

  const steps = [[1, 10, 'Extracting audio'], [4, 10, 'Transcribing audio'], [10, 10, 'Saving segments']];
  for (const [current, total, message] of steps) {
    const r = await api('POST', `/api/jobs/${job.jobId}/progress`, { current, total, message, detail: `step ${current}` });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.progress, { current, total, percentage: (current * 100) / total, message, detail: `step ${current}` });
  }
  await log.until((e) => e.name === 'JobProgressUpdate' && e.args[0].progress === 100, 'progress 100');
  const updates = log.filter((e) => e.name === 'JobProgressUpdate').map((e) => e.args[0]);
  // The outbox may conflate progress (newest wins), never reorder it.
  for (let i = 1; i < updates.length; i += 1) assert.ok(updates[i].progress >= updates[i - 1].progress, 'monotonic');
  const last = updates.at(-1);
  assert.equal(last.videoId, 'video-456');
  assert.equal(last.jobType, 'Transcription');
  assert.equal(last.currentStage, 'Saving segments');
  assert.equal(last.statusMessage, 'step 10');
  assert.match(last.updatedAt, ISO_TIME);
  assert.equal(last.metadata.current, 10);

  const gotten = await withTimeout(connection.invoke('GetJobProgress', job.hubJobId), MS, 'GetJobProgress');
  assert.equal(gotten.progress, 100);
  assert.equal(gotten.status, 'Running');

  const done = await api('POST', `/api/jobs/${job.jobId}/complete`, { message: 'Transcribed 42 segments' });
  assert.equal(done.status, 200);
  assert.equal(done.body.status, 'completed');
  const completed = (await log.until((e) => e.name === 'JobCompleted', 'JobCompleted')).args[0];
  assert.deepEqual(Object.keys(completed).sort(), JOB_COMPLETED_KEYS);
  assert.equal(completed.jobId, job.hubJobId);
  assert.equal(completed.status, 'Completed');
  assert.equal(completed.message, 'Transcribed 42 segments');
  assert.match(completed.completedAt, ISO_TIME);
  await log.until((e) => e.name === 'BroadcastNotification' && e.args[0].type === 'JobCompleted', 'broadcast');

  const again = await api('POST', `/api/jobs/${job.jobId}/complete`);
  assert.equal(again.status, 409);
  assert.match(again.body.error, /already completed/);
  const late = await api('POST', `/api/jobs/${job.jobId}/progress`, { percentage: 10 });
  assert.equal(late.status, 409);

  // A subscriber that comes after the end gets the final state and the end at once.
  const latecomer = await subscriber(job.hubJobId);
  await latecomer.log.until((e) => e.name === 'JobCompleted', 'JobCompleted for a late subscriber');
  await Promise.all([connection.stop(), latecomer.connection.stop()]);
});

test('failures carry retry information; a retried job starts again on its next report', async () => {
  const { body: job } = await api('POST', '/api/jobs', { jobType: 'EmbeddingGeneration', status: 'pending', maxAttempts: 2 });
  assert.equal(job.status, 'pending');
  assert.equal(job.attempts, 0);
  const { connection, log } = await subscriber(job.hubJobId);
  await log.until((e) => e.name === 'JobProgressUpdate' && e.args[0].status === 'Pending', 'pending snapshot');

  let r = await api('POST', `/api/jobs/${job.jobId}/progress`, { current: 1, total: 4 });
  assert.equal(r.body.status, 'processing');
  assert.equal(r.body.attempts, 1);
  r = await api('POST', `/api/jobs/${job.jobId}/fail`, { error: 'model not loaded', retry: true });
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'pending', 'attempt 1 of 2 failed: it will be retried');
  assert.equal(r.body.lastError, 'model not loaded');
  await log.until((e) => e.name === 'JobProgressUpdate' && e.args[0].status === 'Pending' && e.args[0].errorMessage === 'model not loaded', 'retry update');
  assert.equal(log.filter((e) => e.name === 'JobFailed').length, 0, 'no JobFailed while it will be retried');

  r = await api('POST', `/api/jobs/${job.jobId}/progress`, { percentage: 50 });
  assert.equal(r.body.attempts, 2);
  r = await api('POST', `/api/jobs/${job.jobId}/fail`, { error: 'out of memory', retry: true });
  assert.equal(r.body.status, 'failed', 'the last attempt failed for good');
  const failed = (await log.until((e) => e.name === 'JobFailed', 'JobFailed')).args[0];
  assert.deepEqual(Object.keys(failed).sort(), JOB_FAILED_KEYS);
  assert.equal(failed.error, 'out of memory');
  assert.match(failed.failedAt, ISO_TIME);
  await connection.stop();
});

test('bad requests get 4xx with a JSON error and change nothing', async () => {
  const { body: job } = await api('POST', '/api/jobs', { jobType: 'VideoProcessing' });
  await api('POST', `/api/jobs/${job.jobId}/progress`, { current: 2, total: 8, message: 'ok' });
  const before = (await api('GET', `/api/jobs/${job.jobId}`)).body;
  const statsBefore = (await api('GET', '/api/queue/stats')).body;

  const bad = [
    ['POST', '/api/jobs', 'not json', 400],
    ['POST', '/api/jobs', '[1, 2]', 400],
    ['POST', '/api/jobs', '', 400],
    ['POST', '/api/jobs', { jobType: 'a/b' }, 400],
    ['POST', '/api/jobs', { jobType: 'x'.repeat(65) }, 400],
    ['POST', '/api/jobs', { status: 'completed' }, 400],
    ['POST', '/api/jobs', { maxAttempts: 0 }, 400],
    ['POST', '/api/jobs', { payload: 'x'.repeat(70000) }, 400],
    ['POST', '/api/jobs', { colour: 'red' }, 400],
    ['POST', `/api/jobs/${job.jobId}/progress`, { current: 9, total: 8 }, 400],
    ['POST', `/api/jobs/${job.jobId}/progress`, { percentage: 101 }, 400],
    ['POST', `/api/jobs/${job.jobId}/progress`, { percentage: -1 }, 400],
    ['POST', `/api/jobs/${job.jobId}/progress`, { current: -1, total: 8 }, 400],
    ['POST', `/api/jobs/${job.jobId}/progress`, { current: 1.5, total: 8 }, 400],
    ['POST', `/api/jobs/${job.jobId}/progress`, { message: 'm'.repeat(1025), percentage: 5 }, 400],
    ['POST', `/api/jobs/${job.jobId}/progress`, {}, 400],
    ['POST', `/api/jobs/${job.jobId}/progress`, '{"current": 1,', 400],
    ['POST', `/api/jobs/${job.jobId}/fail`, {}, 400],
    ['POST', `/api/jobs/${job.jobId}/fail`, { error: 'x', retry: 'yes' }, 400],
    ['POST', `/api/jobs/${job.jobId}/complete`, { message: 7 }, 400],
    ['POST', '/api/jobs/999999/progress', { percentage: 5 }, 404],
    ['POST', '/api/jobs/999999/complete', undefined, 404],
    ['POST', '/api/jobs/999999/fail', { error: 'x' }, 404],
    ['POST', '/api/jobs/abc/complete', undefined, 404],
    ['GET', '/api/jobs/999999', undefined, 404],
    ['GET', '/api/jobs?status=running', undefined, 400],
    ['GET', '/api/jobs?limit=-3', undefined, 400],
  ];
  for (const [method, path, body, status] of bad) {
    const r = await api(method, path, body);
    assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 40)}`);
    assert.equal(typeof r.body.error, 'string', `${method} ${path}: {"error": ...}`);
  }
  // Over the server's body limit (1 MiB): refused from the announced length, before the body
  // is read (a raw socket: a client still writing the body would see the close as EPIPE).
  const statusLine = await withTimeout(new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => {
      socket.write(`POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n{`);
    });
    let text = '';
    socket.on('data', (chunk) => { text += chunk; if (text.includes('\r\n')) { resolve(text.split('\r\n')[0]); socket.destroy(); } });
    socket.on('error', reject);
  }), MS, 'over-limit body');
  assert.match(statusLine, /^HTTP\/1\.1 413/);

  assert.deepEqual((await api('GET', `/api/jobs/${job.jobId}`)).body, before, 'the job is unchanged');
  assert.deepEqual((await api('GET', '/api/queue/stats')).body, statsBefore, 'no job was added');
});

test('jobs, their list and the queue stats survive a restart', async () => {
  const list = (await api('GET', '/api/jobs?status=all&type=external')).body;
  assert.ok(list.length >= 3);
  for (let i = 1; i < list.length; i += 1) assert.ok(list[i - 1].jobId > list[i].jobId, 'newest first');
  const stats = (await api('GET', '/api/queue/stats')).body;
  assert.deepEqual(stats.byType.external, { pending: 0, processing: 1, completed: 1, failed: 1, cancelled: 0 });
  assert.equal((await api('GET', '/api/jobs?status=failed')).body.length, 1);
  assert.equal((await api('GET', '/api/jobs?limit=1')).body.length, 1);

  const { code } = await server.stop();
  assert.equal(code, 0);
  server = await serve();
  assert.deepEqual((await api('GET', '/api/queue/stats')).body, stats);
  const completed = (await api('GET', '/api/jobs?status=completed')).body[0];
  assert.equal(completed.jobType, 'Transcription');
  assert.equal(completed.progress.message, 'Transcribed 42 segments');
  assert.equal(completed.progress.percentage, 100);
});
