// Metarr's event socket (issue 15; seeds 002 and 003): a client that behaves as Metarr's
// ResilientWebSocket (support/metarr_socket.mjs) against a real `scanhub serve` while it scans a
// real movie library and a real music library (tools/make-library).
//   - welcome first, with serverId, serverVersion and capabilities;
//   - startLibraryScan over the socket starts the scan and is acked with its id;
//   - every job of the scan: job:created, job:started, then job:completed (or job:failed), in
//     that order, each under its own event name with the job's own type in jobType;
//   - scan:progress (seed 002's ScanProgressMessage) never goes backwards, and the last one is the
//     scan's end with the counts GET /api/scans/{id} reads from the database;
//   - queue:stats ends with no pending and no processing job;
//   - a message scanhub does not handle gets an error, and the socket stays usable;
//   - a server that goes away drops the socket (1001); the client reconnects with its backoff,
//     gets the new server's welcome, and what it sent meanwhile is answered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, withTimeout } from './support/server_process.mjs';
import { MetarrSocket } from './support/metarr_socket.mjs';

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const PORT_LINE = /serving http:\/\/[^:]+:(\d+)\//;
const MS = 60000;

let dir;
let server;
let port;
let libraries;
const manifests = {};

function serveArgs(portArg) {
  return ['serve', '--port', String(portArg), '--db', join(dir, 'scanhub.db'),
          '--library', join(dir, 'music'), '--movies', join(dir, 'movies'), '--no-watch',
          '--directory-delay-for-test', '40', '--workers', '2'];
}

async function getJson(path) {
  const response = await withTimeout(fetch(`${server.url}${path}`), 5000, `GET ${path}`);
  assert.equal(response.status, 200, `GET ${path}`);
  return response.json();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-ws-'));
  for (const [name, args] of [['music', ['--tracks', '30']], ['movies', ['--movies', '6']]]) {
    execFileSync(process.env.MAKE_LIBRARY, [join(dir, name), ...args, '--seed', '15',
                                            '--template-cache', process.env.TEMPLATE_CACHE]);
    manifests[name] = JSON.parse(readFileSync(join(dir, name, 'manifest.json'), 'utf8'));
  }
  server = await startServer(process.env.SCANHUB_BIN, serveArgs(0), { portPattern: PORT_LINE });
  port = server.port;
  libraries = await getJson('/api/libraries');
});

after(async () => {
  if (server) assert.equal((await server.stop()).code, 0, 'scanhub serve exits 0 on SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every job of scan `scanId` seen by `client`: its events in arrival order, by job id. */
function jobsOf(client, scanId) {
  const ids = new Set(client.messages.filter((m) => m.type.startsWith('job:') && m.scanId === scanId)
    .map((m) => m.jobId));
  const jobs = new Map();
  for (const m of client.messages) {
    if (!m.type.startsWith('job:') || !ids.has(m.jobId)) continue;
    if (!jobs.has(m.jobId)) jobs.set(m.jobId, []);
    jobs.get(m.jobId).push(m);
  }
  return jobs;
}

/** created, started, then (failed with a retry, started)*, then completed or a final failed. */
function assertLifecycle(jobId, events) {
  const life = events.filter((e) => e.type !== 'job:progress');
  const types = life.map((e) => e.type);
  assert.equal(types[0], 'job:created', `job ${jobId} begins with job:created: ${types}`);
  assert.equal(types[1], 'job:started', `job ${jobId} starts after it is created: ${types}`);
  let i = 2;
  while (life[i]?.type === 'job:failed' && life[i].willRetry) {
    assert.equal(types[i + 1], 'job:started', `job ${jobId} starts again after a retry: ${types}`);
    i += 2;
  }
  assert.ok(['job:completed', 'job:failed'].includes(types[i]), `job ${jobId} ends: ${types}`);
  assert.equal(i, types.length - 1, `nothing after job ${jobId}'s end: ${types}`);
  const jobType = events[0].jobType;
  assert.equal(typeof jobType, 'string');
  for (const e of events) {
    assert.equal(e.jobType, jobType, `jobType holds the job's own type (${e.type})`);
    assert.match(e.timestamp, ISO_TIME);
  }
  return jobType;
}

const COUNTS = (p) => [p.progress.discovering.directoriesFound, p.progress.scanning.scanned,
  p.progress.scanning.total, p.progress.caching.cached, p.progress.caching.queued,
  p.progress.enriching.completed, p.progress.enriching.queued, p.stats.moviesFound,
  p.stats.tracksFound, p.stats.assetsCached, p.stats.errorsCount];
const PHASES = ['discovering', 'scanning', 'caching', 'enriching', 'completed'];

async function scanOverTheSocket(client, library) {
  const requestId = `start-${library.id}`;
  const from = client.messages.length;
  client.send({ type: 'startLibraryScan', libraryId: library.id, requestId });
  const ack = await client.until((m) => m.requestId === requestId, `the ack of ${requestId}`, MS, from);
  assert.equal(ack.type, 'ack', JSON.stringify(ack));
  assert.equal(ack.originalType, 'startLibraryScan');
  assert.equal(ack.success, true);
  assert.equal(ack.alreadyRunning, false);
  const scanId = ack.scanId;
  assert.ok(Number.isInteger(scanId) && scanId > 0);

  const last = await client.until((m) => m.type === 'scan:progress' && m.scanJobId === scanId
                                        && ['completed', 'failed', 'cancelled'].includes(m.phase),
                                  `scan ${scanId} to end`, MS, from);
  assert.equal(last.phase, 'completed', `scan ${scanId} completed`);
  // The queue empties; queue:stats says so last.
  await client.whenever(() => {
    const stats = client.messages.filter((m) => m.type === 'queue:stats').at(-1);
    return stats && stats.pending === 0 && stats.processing === 0;
  }, 'queue:stats with no active job', MS);

  // scan:progress: seed 002's shape, never backwards, the end equal to the database.
  const progress = client.messages.filter((m) => m.type === 'scan:progress' && m.scanJobId === scanId);
  assert.ok(progress.length >= 3, `${progress.length} scan:progress messages`);
  for (let i = 1; i < progress.length; i += 1) {
    const [before, now] = [COUNTS(progress[i - 1]), COUNTS(progress[i])];
    now.forEach((value, k) => assert.ok(value >= before[k], `scan:progress count ${k} goes ${before[k]} -> ${value}`));
    assert.ok(PHASES.indexOf(progress[i].phase) >= PHASES.indexOf(progress[i - 1].phase), 'phases in order');
  }
  for (const p of progress) {
    assert.equal(p.libraryId, library.id);
    assert.equal(p.libraryName, library.name);
    assert.match(p.startedAt, ISO_TIME);
    assert.match(p.lastUpdatedAt, ISO_TIME);
  }
  assert.equal(progress.at(-1), last, 'nothing of the scan after its end');
  const stored = await getJson(`/api/scans/${scanId}`);
  assert.equal(stored.status, 'completed');
  assert.equal(last.progress.discovering.directoriesFound, stored.directoriesTotal);
  assert.equal(last.progress.scanning.scanned, stored.directoriesScanned);
  assert.equal(last.progress.scanning.total, stored.directoriesTotal);
  assert.equal(last.progress.scanning.percentage, 100);
  assert.equal(last.progress.caching.cached, stored.assetsCached);
  assert.equal(last.progress.caching.queued, stored.assetsQueued);
  assert.equal(last.progress.enriching.completed, stored.enrichmentCompleted);
  assert.equal(last.progress.enriching.skipped, stored.enrichmentSkipped);
  for (const key of ['moviesFound', 'moviesNew', 'tracksFound', 'tracksNew', 'assetsCached', 'errorsCount']) {
    assert.equal(last.stats[key], stored[key], `stats.${key}`);
  }

  // Every job of the scan: its lifecycle in order, under its own names. The queue reads its
  // counts apart from the events and a scan completes in its last job's commit, so the last
  // job's end may arrive a moment after queue:stats says zero and after the scan's end.
  const ended = (events) => events.some((e) => e.type === 'job:completed'
                                        || (e.type === 'job:failed' && !e.willRetry));
  await client.whenever(() => [...jobsOf(client, scanId).values()].every(ended),
                        'every job of the scan to end', MS);
  const jobs = jobsOf(client, scanId);
  const types = new Set();
  for (const [jobId, events] of jobs) types.add(assertLifecycle(jobId, events));
  assert.ok(types.has('discover') && types.has('directory-scan'), `job types: ${[...types]}`);
  return { scanId, stored, jobs, types };
}

test('Metarr\'s client watches a movie scan and a music scan it started over /ws', { timeout: 180000 }, async (t) => {
  const client = new MetarrSocket({ url: `ws://127.0.0.1:${port}/ws`, reconnectInterval: 200 });
  client.connect();
  const welcome = await client.until(() => true, 'the first message', 10000);
  assert.equal(welcome.type, 'welcome', 'welcome comes first');
  assert.match(welcome.serverId, /\S/);
  assert.match(welcome.serverVersion, /^\d+\.\d+\.\d+/);
  assert.deepEqual(welcome.capabilities, ['ping', 'resync', 'startLibraryScan', 'cancelLibraryScan']);
  assert.match(welcome.timestamp, ISO_TIME);

  // Metarr's heartbeat message.
  client.send({ type: 'ping', requestId: 'p1' });
  const pong = await client.until((m) => m.type === 'pong', 'pong', 10000);
  assert.equal(pong.requestId, 'p1');
  assert.match(pong.serverTime, ISO_TIME);

  const movies = libraries.find((l) => l.type === 'movie');
  const music = libraries.find((l) => l.type === 'music');
  const movieScan = await scanOverTheSocket(client, movies);
  assert.equal(movieScan.stored.moviesFound, manifests.movies.totals.movies);
  const musicScan = await scanOverTheSocket(client, music);
  assert.equal(musicScan.stored.tracksFound, manifests.music.tracks.length);
  assert.ok(musicScan.jobs.size > 5, `${musicScan.jobs.size} jobs in the music scan`);
  for (const [name, scan] of [['movie', movieScan], ['music', musicScan]]) {
    t.diagnostic(`${name} scan ${scan.scanId}: ${scan.jobs.size} jobs (${[...scan.types].join(', ')})`);
  }

  // A message scanhub does not handle: an error naming it; the socket stays open and answers.
  client.send({ type: 'updateMovie', movieId: 1, requestId: 'bad' });
  const error = await client.until((m) => m.requestId === 'bad', 'the error', 10000);
  assert.equal(error.type, 'error');
  assert.equal(error.code, 'UNKNOWN_TYPE');
  assert.equal(error.originalType, 'updateMovie');
  assert.match(error.error, /updateMovie/);
  client.send({ type: 'resync', scope: 'scans', requestId: 'r1' });
  const resync = await client.until((m) => m.requestId === 'r1', 'resyncData', 10000);
  assert.equal(resync.type, 'resyncData');
  const scanIds = resync.data.scans.map((s) => s.id);
  assert.ok(scanIds.includes(movieScan.scanId) && scanIds.includes(musicScan.scanId), `${scanIds}`);
  assert.equal(client.opens, 1, 'one connection all along');
  client.disconnect();
});

test('a server that goes away drops the socket; the client reconnects to a new welcome', { timeout: 60000 }, async () => {
  const client = new MetarrSocket({ url: `ws://127.0.0.1:${port}/ws`, reconnectInterval: 100,
                                    maxReconnectInterval: 400 });
  client.connect();
  const first = await client.until((m) => m.type === 'welcome', 'welcome', 10000);

  assert.equal((await server.stop()).code, 0, 'scanhub serve exits 0 on SIGTERM');
  // At least one: under load the process's exit can be reported after the client's first
  // reconnect attempt already failed (a second close, 1006).
  await client.whenever(() => client.closes.length >= 1, 'the socket to drop', 10000);
  assert.deepEqual(client.closes[0], { code: 1001, reason: 'the server is shutting down' });
  // Sent while disconnected: queued by the client, answered after the reconnect.
  client.send({ type: 'ping', requestId: 'while-down' });

  server = await startServer(process.env.SCANHUB_BIN, serveArgs(port), { portPattern: PORT_LINE });
  const second = await client.until((m) => m.type === 'welcome' && m !== first, 'a new welcome', 20000);
  assert.notEqual(second.serverId, first.serverId, 'the new process has its own serverId');
  const pong = await client.until((m) => m.requestId === 'while-down', 'the queued ping answered', 10000);
  assert.equal(pong.type, 'pong');
  assert.equal(client.messages.indexOf(second) < client.messages.indexOf(pong), true, 'welcome first');
  assert.ok(client.opens >= 2);
  client.disconnect();
});
