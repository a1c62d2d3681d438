// Issue 3's acceptance matrix: every transport (WebSockets, Server-Sent Events, Long Polling) x
// every hub protocol (JSON, MessagePack) x every seed hub (/hubs/progress seed 000,
// /hubs/indexer seed 001, /hubs/job-progress seed 004), with the OFFICIAL clients
// (@microsoft/signalr 8, @microsoft/signalr-protocol-msgpack 8) against a real `scanhub serve`
// scanning real generated libraries. Each combination invokes every method of the three hubs
// and receives their events during a completed scan and a cancelled one; every payload is
// checked against the seeds' shapes (support/seed_payloads.mjs). MessagePack over Server-Sent
// Events is refused as ASP.NET Core refuses it.
//
// The five working combinations run side by side on one server, so they share the scans; what
// seed_hubs, scan_progress and signalr_* already assert in depth (snapshot ordering, argument
// errors, status codes) is only touched here where the transport or protocol could change it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { startServer, withTimeout } from './support/server_process.mjs';
import { invoke } from './support/hub_calls.mjs';
import {
  assertShape, SCAN_PROGRESS_DTO, SCAN_SUMMARY_DTO, INDEXER_SCAN_PROGRESS, SCAN_JOB_PROGRESS,
  JOB_PROGRESS_UPDATE, JOB_COMPLETED, JOB_FAILED, NOTIFICATION, HUB_ERROR,
} from './support/seed_payloads.mjs';

const require = createRequire(import.meta.url);
const execFileAsync = promisify(execFile);
const signalR = require('@microsoft/signalr');
const { MessagePackHubProtocol } = require('@microsoft/signalr-protocol-msgpack');

const MS = 5000;
const T = { timeout: 60000 };
const { WebSockets, ServerSentEvents, LongPolling } = signalR.HttpTransportType;
const TRANSPORTS = [['WebSockets', WebSockets], ['ServerSentEvents', ServerSentEvents], ['LongPolling', LongPolling]];
// The official client's class for each transport.
const TRANSPORT_CLASS = { WebSockets: 'WebSocketTransport', ServerSentEvents: 'ServerSentEventsTransport', LongPolling: 'LongPollingTransport' };
const PROTOCOLS = ['json', 'messagepack'];
const HUBS = {
  progress: { path: '/hubs/progress', events: ['ScanProgress', 'IndexingCompleted', 'EmbeddingProgress', 'EmbeddingCompleted', 'ScanCompleted', 'ScanFailed'] },
  indexer: { path: '/hubs/indexer', events: ['ScanProgress'] },
  job: { path: '/hubs/job-progress', events: ['JobProgressUpdate', 'JobCompleted', 'JobFailed', 'VideoProgressUpdate', 'UserNotification', 'BroadcastNotification', 'Error'] },
};

let dir;
let server;
const libraries = {};  // name -> { id, path, manifest }
const combos = [];     // the five combinations that must work

/**
 * The events of one connection in arrival order; `until` waits, bounded, for one to match (any
 * number of waiters at once).
 */
function record(connection, names) {
  const log = [];
  const waiters = new Set();
  for (const name of names) {
    connection.on(name, (...args) => {
      log.push({ name, args });
      for (const check of [...waiters]) check();
    });
  }
  log.until = (predicate, label, ms = 15000) => {
    let check;
    return withTimeout(new Promise((resolve) => {
      check = () => {
        const hit = log.find(predicate);
        if (hit) { waiters.delete(check); resolve(hit); }
      };
      waiters.add(check);
      check();
    }), ms, label).finally(() => waiters.delete(check));
  };
  return log;
}

/** One transport x protocol: a connection to each hub, its events and its client-side errors. */
class Combo {
  constructor(transportName, transport, protocol) {
    this.label = `${transportName}/${protocol}`;
    this.transportName = transportName;
    this.clientErrors = [];
    this.hubs = {};
    for (const [hub, { path, events }] of Object.entries(HUBS)) {
      const connection = buildConnection(path, transport, protocol, this.clientErrors);
      this.hubs[hub] = { connection, log: record(connection, events) };
    }
  }

  async start() {
    await Promise.all(Object.entries(this.hubs).map(([hub, { connection }]) =>
      withTimeout(connection.start(), MS, `${this.label} ${hub} start`)));
    for (const [hub, { connection }] of Object.entries(this.hubs)) {
      assert.equal(connection.connection.transport.constructor.name, TRANSPORT_CLASS[this.transportName], `${this.label} ${hub}`);
    }
  }

  call(hub, method, ...args) {
    return invoke(this.hubs[hub].connection, method, ...args)
      .catch((e) => { throw new Error(`${this.label} ${hub}.${method}(${args.join(', ')}): ${e.message}`); });
  }

  log(hub) { return this.hubs[hub].log; }
  events(hub, name, id, idOf) { return this.log(hub).filter((e) => e.name === name && (!id || idOf(e) === id)); }
}

function buildConnection(path, transport, protocol, clientErrors) {
  const logger = {
    log(level, message) { if (level >= signalR.LogLevel.Error) clientErrors.push(`${path}: ${message}`); },
  };
  return new signalR.HubConnectionBuilder()
    .withUrl(`${server.url}${path}`, { transport })
    .withHubProtocol(protocol === 'messagepack' ? new MessagePackHubProtocol() : new signalR.JsonHubProtocol())
    .configureLogging(logger)
    .build();
}

/** Runs `work(combo)` for every combination at once; fails with every combination's failure. */
async function eachCombo(work) {
  const results = await Promise.allSettled(combos.map((combo) => work(combo)));
  const failures = results.map((r, i) => (r.status === 'rejected' ? `${combos[i].label}: ${r.reason?.message ?? r.reason}` : null))
    .filter(Boolean);
  assert.deepEqual(failures, [], failures.join('\n\n'));
  return results.map((r) => r.value);
}

/** Asserts `field` of `payloads` never decreases: every transport must keep the order. */
function assertNonDecreasing(payloads, field, label) {
  const values = payloads.map((p) => (typeof field === 'function' ? field(p) : p[field]));
  for (let i = 1; i < values.length; i += 1) {
    assert.ok(values[i] >= values[i - 1], `${label}: never goes backwards (${values.join(' ')})`);
  }
}

const progressId = (e) => e.args[0]?.scanId ?? e.args[0];   // ScanProgress dto, or (scanId, ...)
const indexerId = (e) => e.args[0].requestId;
const jobId = (e) => e.args[0].jobId ?? e.args[0].data?.jobId;

async function startScan(library) {
  const ids = await eachCombo((c) => c.call('indexer', 'StartLibraryScan', String(library.id)));
  assert.match(ids[0], /^\d+$/);
  assert.deepEqual(ids, ids.map(() => ids[0]), 'every combination is given the one running scan of the library');
  return ids[0];
}

/** Subscribes a combination to `id` on both subscription hubs; the snapshot precedes the completion. */
async function subscribe(c, id) {
  await Promise.all([
    c.call('progress', 'SubscribeToScan', id).then((r) => assert.equal(r, null, `${c.label} SubscribeToScan`)),
    c.call('job', 'SubscribeToJob', id).then((r) => assert.equal(r, null, `${c.label} SubscribeToJob`)),
  ]);
  assert.ok(c.events('progress', 'ScanProgress', id, progressId).length > 0, `${c.label}: ScanProgress snapshot on subscribe`);
  assert.ok(c.events('job', 'JobProgressUpdate', id, jobId).length > 0, `${c.label}: JobProgressUpdate snapshot on subscribe`);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-matrix-'));
  const args = [];
  // a: 21 directories (about 5 s at 250 ms each on one worker) for the completed scan, long
  // enough for every combination to invoke and unsubscribe mid-scan; b: 9, for the cancelled one.
  await Promise.all([['a', 200, 5], ['b', 80, 21]].map(async ([name, tracks, seed]) => {
    const root = join(dir, name);
    await withTimeout(execFileAsync(process.env.MAKE_LIBRARY, [root, '--tracks', String(tracks), '--seed', String(seed),
                                                              '--template-cache', process.env.TEMPLATE_CACHE]),
                      60000, `make-library ${name}`);
    libraries[name] = { path: root, manifest: JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) };
  }));
  for (const library of Object.values(libraries)) args.push('--library', library.path);
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), ...args,
    '--directory-delay-for-test', '250', '--workers', '1',
  ], { portPattern: /serving http:\/\/[^:]+:(\d+)\// });
  const listed = await (await withTimeout(fetch(`${server.url}/api/libraries`), MS, 'libraries')).json();
  for (const library of Object.values(libraries)) library.id = listed.find((l) => l.path === library.path).id;

  for (const [transportName, transport] of TRANSPORTS) {
    for (const protocol of PROTOCOLS) {
      if (transport === ServerSentEvents && protocol === 'messagepack') continue;
      combos.push(new Combo(transportName, transport, protocol));
    }
  }
  await eachCombo((c) => c.start());
});

after(async () => {
  await Promise.allSettled(combos.flatMap((c) => Object.values(c.hubs))
    .map(({ connection }) => withTimeout(connection.stop(), MS, 'stop')));
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, 'scanhub serve exits 0 on SIGTERM');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('MessagePack over Server-Sent Events', () => {
  for (const [hub, { path }] of Object.entries(HUBS)) {
    test(`${path}: the client finds no transport and the server refuses the handshake`, T, async () => {
      // negotiate offers Server-Sent Events for Text only, so the official client gives up.
      const errors = [];
      const connection = buildConnection(path, ServerSentEvents, 'messagepack', errors);
      await assert.rejects(withTimeout(connection.start(), MS, 'start'), /'ServerSentEvents' does not support Binary/);
      assert.equal(connection.state, signalR.HubConnectionState.Disconnected);

      // A client that tries anyway gets ASP.NET Core's handshake error, and the stream ends.
      const url = `${server.url}${path}`;
      const negotiated = await withTimeout(fetch(`${url}/negotiate?negotiateVersion=1`, { method: 'POST' }), MS, 'negotiate');
      const { connectionToken, availableTransports } = await negotiated.json();
      assert.deepEqual(availableTransports.find((t) => t.transport === 'ServerSentEvents').transferFormats, ['Text']);
      const controller = new AbortController();
      const stream = await withTimeout(fetch(`${url}?id=${connectionToken}`,
        { headers: { accept: 'text/event-stream' }, signal: controller.signal }), MS, 'event stream');
      assert.equal(stream.status, 200);
      const posted = await withTimeout(fetch(`${url}?id=${connectionToken}`,
        { method: 'POST', body: `${JSON.stringify({ protocol: 'messagepack', version: 1 })}\x1e` }), MS, 'handshake POST');
      assert.equal(posted.status, 200);
      const reader = stream.body.getReader();
      const decoder = new TextDecoder();
      let received = '';
      let ended = false;
      while (!ended) {
        const { value, done } = await withTimeout(reader.read(), MS, `${hub}: the refused stream ends`);
        ended = done;
        if (value) received += decoder.decode(value, { stream: true });
      }
      assert.match(received, /data: \{"error":"Cannot use the 'messagepack' protocol on the current transport\. The transport does not support 'Binary' transfer format\."\}\x1e/);
      // The connection is gone: its id no longer answers.
      const again = await withTimeout(fetch(`${url}?id=${connectionToken}`, { method: 'POST', body: '{"type":6}\x1e' }), MS, 'POST after');
      assert.equal(again.status, 404);
    });
  }
});

describe('every transport x protocol on every hub', () => {
  test('before any scan: the read methods answer empty, the video methods answer with Error events', T, async () => {
    await eachCombo(async (c) => {
      // Methods without a value complete with a null result over both protocols, as ASP.NET
      // Core sends a void hub method's completion (the client resolves null, not undefined).
      assert.deepEqual(await c.call('progress', 'GetActiveScans'), []);
      assert.equal(await c.call('progress', 'GetScanProgress', '999999'), null, `${c.label} progress.GetScanProgress`);
      assert.deepEqual(await c.call('indexer', 'GetActiveScans'), []);
      await assert.rejects(c.call('indexer', 'StartLibraryScan', '999999'), /Library 999999 not found/);
      assert.equal(await c.call('job', 'SubscribeToVideo', 'video-456'), null, `${c.label} job.SubscribeToVideo`);
      assert.equal(await c.call('job', 'UnsubscribeFromVideo', 'video-456'), null, `${c.label} job.UnsubscribeFromVideo`);
      assert.equal(await c.call('job', 'GetVideoProgress', 'video-456'), null, `${c.label} job.GetVideoProgress`);
      assert.equal(await c.call('job', 'GetJobProgress', '999999'), null, `${c.label} job.GetJobProgress`);
      // The Error events were sent before the completions, on the same connection.
      const errors = c.events('job', 'Error').map((e) => e.args[0]);
      assert.equal(errors.length, 2);
      for (const e of errors) assertShape(e, HUB_ERROR, `${c.label} Error`);
      assert.deepEqual(errors.map((e) => [e.code, e.message]),
        [['NOT_FOUND', 'Video video-456 not found'], ['NOT_FOUND', 'Job 999999 not found']]);
    });
  });

  test('a completed scan: every method mid-scan, unsubscribe, and every event in the seeds\' shapes', T, async () => {
    const a = libraries.a;
    const id = await startScan(a);

    await eachCombo(async (c) => {
      await subscribe(c, id);
      // Mid-scan reads, in the seeds' shapes.
      const active = await c.call('progress', 'GetActiveScans');
      assert.equal(active.length, 1);
      assertShape(active[0], SCAN_PROGRESS_DTO, `${c.label} progress.GetActiveScans[0]`);
      assert.deepEqual([active[0].scanId, active[0].status], [id, 'InProgress']);
      const progress = await c.call('progress', 'GetScanProgress', id);
      assertShape(progress, SCAN_PROGRESS_DTO, `${c.label} GetScanProgress`);
      assert.equal(progress.status, 'InProgress', `${c.label}: the scan is still running`);
      const jobs = await c.call('indexer', 'GetActiveScans');
      assert.equal(jobs.length, 1);
      assertShape(jobs[0], SCAN_JOB_PROGRESS, `${c.label} indexer.GetActiveScans[0]`);
      assert.deepEqual([jobs[0].requestId, jobs[0].libraryId, jobs[0].libraryPath], [id, a.id, a.path]);
      const job = await c.call('job', 'GetJobProgress', id);
      assertShape(job, JOB_PROGRESS_UPDATE, `${c.label} GetJobProgress`);
      assert.deepEqual([job.jobId, job.status, job.jobType], [id, 'Running', 'LibraryScan']);

      // Unsubscribed, a connection gets nothing while the scan goes on (the indexer hub, which
      // sends to everyone, shows that it does), then subscribes again.
      assert.deepEqual(await Promise.all([c.call('progress', 'UnsubscribeFromScan', id), c.call('job', 'UnsubscribeFromJob', id)]), [null, null], `${c.label} Unsubscribe*`);
      const counts = [c.events('progress', 'ScanProgress', id, progressId).length, c.events('job', 'JobProgressUpdate', id, jobId).length];
      const ticks = c.events('indexer', 'ScanProgress', id, indexerId).length;
      await c.log('indexer').until(() => c.events('indexer', 'ScanProgress', id, indexerId).length >= ticks + 2,
        `${c.label}: two indexer ScanProgress events while unsubscribed`);
      assert.deepEqual([c.events('progress', 'ScanProgress', id, progressId).length, c.events('job', 'JobProgressUpdate', id, jobId).length],
        counts, `${c.label}: no ScanProgress or JobProgressUpdate after unsubscribing`);
      assert.ok(!c.log('progress').some((e) => e.name === 'ScanCompleted'), `${c.label}: unsubscribed before the end`);
      await subscribe(c, id);
      assert.ok(c.events('progress', 'ScanProgress', id, progressId).length > counts[0], 'a fresh snapshot');

      await Promise.all([
        c.log('progress').until((e) => e.name === 'ScanCompleted', `${c.label} ScanCompleted`),
        c.log('job').until((e) => e.name === 'JobCompleted', `${c.label} JobCompleted`),
        c.log('job').until((e) => e.name === 'BroadcastNotification' && e.args[0].type === 'JobCompleted', `${c.label} notification`),
        c.log('indexer').until((e) => indexerId(e) === id && e.args[0].status === 'completed', `${c.label} last ScanProgress`),
      ]);
    });

    const finals = await eachCombo(async (c) => {
      // Seed 000: ScanProgress while indexing, IndexingCompleted(scanId, tracks), ScanCompleted(scanId, summary) last.
      const progress = c.log('progress');
      for (const e of progress) {
        if (e.name === 'ScanProgress') {
          assert.equal(e.args.length, 1);
          assertShape(e.args[0], SCAN_PROGRESS_DTO, `${c.label} ScanProgress`);
          assert.equal(e.args[0].phase, 'Indexing');
        }
      }
      assertNonDecreasing(c.events('progress', 'ScanProgress', id, progressId).map((e) => e.args[0]), 'scannedDirectories',
        `${c.label} ScanProgress.scannedDirectories`);
      assert.deepEqual(progress.map((e) => e.name).slice(-2), ['IndexingCompleted', 'ScanCompleted']);
      const [indexingId, tracks] = progress.at(-2).args;
      const [completedId, summary] = progress.at(-1).args;
      assert.deepEqual([indexingId, completedId], [id, id]);
      assert.ok(Number.isInteger(tracks));
      assertShape(summary, SCAN_SUMMARY_DTO, `${c.label} ScanCompleted summary`);
      const last = progress.at(-3).args[0];
      assert.equal(last.status, 'Completed');

      // Seed 001: ScanProgress to everyone, 100/100 at the end.
      const ticks = c.events('indexer', 'ScanProgress', id, indexerId).map((e) => e.args[0]);
      assert.ok(ticks.length >= 5, `${c.label}: ${ticks.length} indexer ScanProgress events`);
      for (const p of ticks) assertShape(p, INDEXER_SCAN_PROGRESS, `${c.label} indexer ScanProgress`);
      assert.deepEqual([ticks.at(-1).indexingProgress, ticks.at(-1).embeddingProgress], [100, 100]);
      assertNonDecreasing(ticks, 'tracksIndexed', `${c.label} indexer ScanProgress.tracksIndexed`);
      assertNonDecreasing(ticks, 'indexingProgress', `${c.label} indexer ScanProgress.indexingProgress`);

      // Seed 004: JobProgressUpdate, JobCompleted last; BroadcastNotification JobStarted and JobCompleted.
      const job = c.log('job').filter((e) => jobId(e) === id);
      for (const e of job) {
        const shape = { JobProgressUpdate: JOB_PROGRESS_UPDATE, JobCompleted: JOB_COMPLETED, BroadcastNotification: NOTIFICATION }[e.name];
        assert.ok(shape, `${c.label}: unexpected ${e.name}`);
        assertShape(e.args[0], shape, `${c.label} ${e.name}`);
      }
      const updates = job.filter((e) => e.name === 'JobProgressUpdate').map((e) => e.args[0]);
      assert.ok(updates.some((u) => u.progress > 0 && u.progress < 100), `${c.label}: progress between 0 and 100`);
      assertNonDecreasing(updates, 'progress', `${c.label} JobProgressUpdate.progress`);
      assertNonDecreasing(updates, (u) => u.metadata.directoriesScanned, `${c.label} JobProgressUpdate.metadata.directoriesScanned`);
      assert.deepEqual(job.filter((e) => e.name !== 'BroadcastNotification').map((e) => e.name).slice(-2), ['JobProgressUpdate', 'JobCompleted']);
      const notices = job.filter((e) => e.name === 'BroadcastNotification').map((e) => e.args[0]);
      assert.deepEqual(notices.map((n) => n.type), ['JobStarted', 'JobCompleted']);
      for (const n of notices) assert.deepEqual(Object.keys(n.data).sort(), ['jobId', 'jobType', 'status']);
      assert.deepEqual(c.events('job', 'VideoProgressUpdate').concat(c.events('job', 'UserNotification')), []);
      return { tracks, summary: { ...summary }, indexer: ticks.at(-1), job: updates.at(-1).metadata };
    });

    // Every combination saw the same end, and it is the library's manifest.
    const strip = ({ startedAt, completedAt, ...rest }) => rest;
    for (const f of finals) {
      assert.equal(f.tracks, a.manifest.tracks.length);
      assert.deepEqual(strip(f.summary), strip(finals[0].summary));
      assert.deepEqual(f.indexer, finals[0].indexer);
      assert.deepEqual(strip(f.job), strip(finals[0].job));
    }
    assert.equal(finals[0].summary.totalDirectoriesScanned, a.manifest.directoriesWithAudio);
    assert.equal(finals[0].job.tracksFound, a.manifest.tracks.length);
  });

  test('a cancelled scan: ScanFailed, JobFailed and the cancelled ScanProgress on every combination', T, async () => {
    const b = libraries.b;
    const id = await startScan(b);
    await eachCombo((c) => subscribe(c, id));
    const cancelled = await withTimeout(fetch(`${server.url}/api/scans/${id}/cancel`, { method: 'POST' }), MS, 'cancel');
    assert.equal(cancelled.status, 202, 'cancelled while running');

    await eachCombo(async (c) => {
      const [, reason] = (await c.log('progress').until((e) => e.name === 'ScanFailed', `${c.label} ScanFailed`)).args;
      assert.equal(reason, 'Scan cancelled');
      const failedProgress = c.events('progress', 'ScanProgress', id, progressId).at(-1).args[0];
      assertShape(failedProgress, SCAN_PROGRESS_DTO, `${c.label} ScanProgress`);
      assert.deepEqual([failedProgress.status, failedProgress.stage], ['Failed', 'cancelled']);
      assert.equal(c.log('progress').at(-1).name, 'ScanFailed');

      const [failed] = (await c.log('job').until((e) => e.name === 'JobFailed', `${c.label} JobFailed`)).args;
      assertShape(failed, JOB_FAILED, `${c.label} JobFailed`);
      assert.deepEqual([failed.jobId, failed.error], [id, 'Job cancelled']);
      const update = c.events('job', 'JobProgressUpdate', id, jobId).at(-1).args[0];
      assertShape(update, JOB_PROGRESS_UPDATE, `${c.label} JobProgressUpdate`);
      assert.deepEqual([update.status, update.errorMessage], ['Cancelled', 'Job cancelled']);
      const notice = (await c.log('job').until((e) => e.name === 'BroadcastNotification' && e.args[0].type === 'JobCancelled',
        `${c.label} JobCancelled notification`)).args[0];
      assertShape(notice, NOTIFICATION, `${c.label} BroadcastNotification`);

      const end = (await c.log('indexer').until((e) => indexerId(e) === id && e.args[0].status === 'cancelled',
        `${c.label} cancelled ScanProgress`)).args[0];
      assertShape(end, INDEXER_SCAN_PROGRESS, `${c.label} indexer ScanProgress`);

      assert.deepEqual(await c.call('progress', 'GetActiveScans'), []);
      assert.deepEqual(await c.call('indexer', 'GetActiveScans'), []);
      assert.equal((await c.call('job', 'GetJobProgress', id)).status, 'Cancelled');
      assert.equal((await c.call('progress', 'GetScanProgress', id)).status, 'Failed');
      assert.deepEqual(await Promise.all([c.call('progress', 'UnsubscribeFromScan', id), c.call('job', 'UnsubscribeFromJob', id)]), [null, null], `${c.label} Unsubscribe*`);
    });
  });

  test('no combination logged a client-side error, and every connection is still connected', T, async () => {
    await eachCombo(async (c) => {
      assert.deepEqual(c.clientErrors, []);
      for (const [hub, { connection }] of Object.entries(c.hubs)) {
        assert.equal(connection.state, signalR.HubConnectionState.Connected, `${c.label} ${hub}`);
      }
    });
  });
});
