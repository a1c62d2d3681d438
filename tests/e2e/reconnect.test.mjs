// Automatic reconnect (issue 3) with the official @microsoft/signalr client and
// `withAutomaticReconnect`, against a real `scanhub serve` scanning a generated library slowly:
// (1) the socket is dropped mid-scan by a loopback TCP proxy in this process; (2) the server
// itself is restarted on the same port and database. After reconnecting, the client does what
// seed 000's hook does in onreconnected: SubscribeToScan again, then GetActiveScans.
// (3) With `withStatefulReconnect` the same drop is invisible: no onreconnecting, no
// re-subscription, and the events received are exactly those a directly connected client got,
// in order, each once (tests/e2e/stateful_reconnect.test.mjs covers the protocol itself).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { startServer, withTimeout } from './support/server_process.mjs';
import { TcpProxy } from './support/tcp_proxy.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

const T = { timeout: 40000 };
const MS = 5000;  // bound of one invocation or connection step
const SERVE = /serving http:\/\/[^:]+:(\d+)\//;

let dir;
let library;
let manifest;

/** `scanhub serve` on `port` (0: any) over the test's database, 400 ms per directory. */
const serve = (port = 0) => startServer(process.env.SCANHUB_BIN, [
  'serve', '--port', String(port), '--db', join(dir, 'scanhub.db'), '--library', library,
  '--directory-delay-for-test', '400', '--workers', '1',
], { portPattern: SERVE });

const call = (connection, method, ...args) =>
  withTimeout(connection.invoke(method, ...args), MS, `${method}(${args.join(', ')})`);

async function startScan(url) {
  const response = await withTimeout(fetch(`${url}/api/library/scan`, { method: 'POST' }), MS, 'POST scan');
  assert.equal(response.status, 200);
  const { scanId } = await response.json();
  return scanId;
}

/**
 * A seed-000 client with automatic reconnect: records its events and lifecycle callbacks in one
 * log, and re-subscribes to `scanId()` in onreconnected, as seed 000's hook does.
 */
function watcher(url, delays, scanId, { stateful = false } = {}) {
  let builder = new signalR.HubConnectionBuilder()
    .withUrl(`${url}/hubs/progress`)
    .withAutomaticReconnect(delays)
    .configureLogging(signalR.LogLevel.None);
  if (stateful) builder = builder.withStatefulReconnect();
  const connection = builder.build();
  const log = [];
  let wake = () => {};
  const push = (entry) => { log.push(entry); wake(); };
  for (const name of ['ScanProgress', 'IndexingCompleted', 'ScanCompleted', 'ScanFailed']) {
    connection.on(name, (...args) => push({ name, args }));
  }
  connection.onreconnecting((error) => push({ name: 'reconnecting', error }));
  connection.onreconnected((connectionId) => {
    push({ name: 'reconnected', connectionId });
    connection.invoke('SubscribeToScan', scanId())
      .then((result) => push({ name: 'resubscribed', result }),
            (error) => push({ name: 'resubscribe failed', error }));
  });
  connection.onclose((error) => push({ name: 'closed', error }));
  log.until = (predicate, label, ms = 20000) => withTimeout(new Promise((resolve) => {
    const check = () => { const hit = log.find(predicate); if (hit) resolve(hit); else wake = check; };
    check();
  }), ms, label);
  return { connection, log };
}

const progressOf = (entries) => entries.filter((e) => e.name === 'ScanProgress').map((e) => e.args[0]);

function assertNeverBackwards(progress, label) {
  for (let i = 1; i < progress.length; i += 1) {
    assert.ok(progress[i].scannedDirectories >= progress[i - 1].scannedDirectories,
              `${label}: directories never go backwards (${progress[i - 1].scannedDirectories} -> ${progress[i].scannedDirectories})`);
    assert.ok(progress[i].indexedTracks >= progress[i - 1].indexedTracks, `${label}: tracks never go backwards`);
  }
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-reconnect-'));
  library = join(dir, 'library');
  execFileSync(process.env.MAKE_LIBRARY, [library, '--tracks', '80', '--seed', '21',
                                          '--template-cache', process.env.TEMPLATE_CACHE]);
  manifest = JSON.parse(readFileSync(join(library, 'manifest.json'), 'utf8'));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a socket dropped mid-scan: reconnect, re-subscribe, a fresh snapshot, then the summary', T, async () => {
  const server = await serve();
  const proxy = await TcpProxy.open(server.port);
  let scanId;
  const { connection, log } = watcher(proxy.url, [0, 100, 200, 500], () => scanId);
  try {
    await withTimeout(connection.start(), MS, 'start');
    const firstId = connection.connectionId;
    scanId = await startScan(server.url);
    await call(connection, 'SubscribeToScan', scanId);

    // Drop the socket once a few directories are done, well before the end.
    await log.until((e) => e.name === 'ScanProgress' && e.args[0].scannedDirectories >= 2, 'progress before the drop');
    const beforeDrop = progressOf(log).at(-1);
    assert.ok(beforeDrop.scannedDirectories < manifest.directoriesWithAudio, 'dropped mid-scan');
    assert.ok(proxy.cut() >= 1, 'the proxy carried the hub socket');

    const reconnecting = await log.until((e) => e.name === 'reconnecting', 'onreconnecting', MS);
    assert.ok(reconnecting.error instanceof Error, 'onreconnecting gets the transport error');
    const reconnected = await log.until((e) => e.name === 'reconnected', 'onreconnected', MS);
    assert.notEqual(reconnected.connectionId, firstId, 'a new connection (no stateful reconnect)');
    assert.equal(connection.state, signalR.HubConnectionState.Connected);
    const resubscribed = await log.until((e) => e.name.startsWith('resubscribe'), 'SubscribeToScan after reconnect', MS);
    assert.equal(resubscribed.name, 'resubscribed', String(resubscribed.error));

    // The first event after the reconnect is the fresh snapshot of the re-subscription (or the
    // scan already ended), at least as new as the last event before the drop.
    const index = log.indexOf(reconnected);
    const afterReconnect = log.slice(index + 1).filter((e) => e.name !== 'resubscribed');
    assert.equal(afterReconnect[0]?.name, 'ScanProgress', 'a snapshot first');
    const snapshot = afterReconnect[0].args[0];
    assert.equal(snapshot.scanId, scanId);
    assert.ok(snapshot.scannedDirectories >= beforeDrop.scannedDirectories, 'the snapshot is not older than the last event');
    assert.ok(snapshot.indexedTracks >= beforeDrop.indexedTracks);

    const active = await call(connection, 'GetActiveScans');
    if (active.length) {  // empty only if the scan ended meanwhile
      assert.equal(active.length, 1);
      assert.equal(active[0].scanId, scanId);
      assert.ok(active[0].scannedDirectories >= beforeDrop.scannedDirectories, 'GetActiveScans is fresh');
    }

    const [completedId, summary] = (await log.until((e) => e.name === 'ScanCompleted', 'ScanCompleted')).args;
    assert.equal(completedId, scanId);
    assert.equal(summary.totalTracksIndexed, manifest.tracks.length);
    assert.equal(summary.totalDirectoriesScanned, manifest.directoriesWithAudio);
    assert.equal(summary.errorsCount, manifest.errors.length);
    assert.equal(summary.tracksNew, manifest.tracks.length);

    assertNeverBackwards(progressOf(log), 'across the reconnect');
    const events = log.filter((e) => ['ScanProgress', 'IndexingCompleted', 'ScanCompleted'].includes(e.name));
    assert.equal(events.at(-1).name, 'ScanCompleted', 'nothing after completion');
    assert.equal(events.filter((e) => e.name === 'ScanCompleted').length, 1);
    assert.equal(log.filter((e) => e.name === 'reconnecting').length, 1, 'one drop, one reconnect');
    assert.ok(!log.some((e) => e.name === 'closed'));
    assert.deepEqual(await call(connection, 'GetActiveScans'), []);
  } finally {
    await withTimeout(connection.stop(), MS, 'stop').catch(() => {});
    await proxy.close();
    assert.equal((await server.stop()).code, 0, 'scanhub serve exits 0 on SIGTERM');
  }
});

test('a server restarted mid-scan: Close with allowReconnect, reconnect, the scan resumes and completes', T, async () => {
  let server = await serve();
  const { port } = server;
  let scanId;
  // Long enough for a graceful stop and a new process to start on the same port.
  const { connection, log } = watcher(server.url, [0, 100, 200, 500, 1000, 1000, 1000, 1000, 1000, 1000], () => scanId);
  try {
    await withTimeout(connection.start(), MS, 'start');
    scanId = await startScan(server.url);
    await call(connection, 'SubscribeToScan', scanId);
    await log.until((e) => e.name === 'ScanProgress' && e.args[0].scannedDirectories >= 1, 'progress before the stop');
    const beforeStop = progressOf(log).at(-1);
    assert.ok(beforeStop.scannedDirectories < manifest.directoriesWithAudio, 'stopped mid-scan');

    const stopping = server.stop();
    // The server's Close carries allowReconnect: the client reconnects instead of closing.
    const reconnecting = await log.until((e) => e.name === 'reconnecting', 'onreconnecting', MS);
    assert.ok(!log.some((e) => e.name === 'closed'), 'not closed for good');
    assert.match(String(reconnecting.error), /Server returned an error on close: Server is shutting down/);
    assert.equal((await stopping).code, 0, 'the first server exits 0 on SIGTERM');

    server = await serve(port);
    assert.equal(server.port, port);
    await log.until((e) => e.name === 'reconnected', 'onreconnected', 15000);
    await log.until((e) => e.name.startsWith('resubscribe'), 'SubscribeToScan after reconnect', MS);

    // The scan was left as it was (SIGTERM stops its jobs; they run again): it resumes on its
    // own and ends with every directory counted once.
    const completed = await log.until((e) => e.name === 'ScanCompleted', 'ScanCompleted after the restart', 30000);
    assert.equal(completed.args[0], scanId);
    assert.equal(completed.args[1].totalTracksIndexed, manifest.tracks.length);
    const progress = await call(connection, 'GetScanProgress', scanId);
    assert.equal(progress.scanId, scanId);
    assert.equal(progress.status, 'Completed');
    assert.equal(progress.scannedDirectories, manifest.directoriesWithAudio, 'each directory counted once');
    assert.equal(progress.indexedTracks, manifest.tracks.length, 'each track counted once');
    const stored = await (await withTimeout(fetch(`${server.url}/api/scans/${scanId}`), MS, 'GET scan')).json();
    assert.equal(stored.status, 'completed', 'the interrupted scan resumed and completed');
    assertNeverBackwards(progressOf(log), 'across the restart');
  } finally {
    await withTimeout(connection.stop(), MS, 'stop').catch(() => {});
    assert.equal((await server.stop()).code, 0, 'scanhub serve exits 0 on SIGTERM');
  }
});

test('stateful reconnect: a socket dropped mid-scan loses nothing and repeats nothing', T, async () => {
  const server = await serve();
  const proxy = await TcpProxy.open(server.port);
  let scanId;
  const stateful = watcher(proxy.url, [0, 100, 200, 500], () => scanId, { stateful: true });
  const direct = watcher(server.url, [0, 100, 200, 500], () => scanId);
  try {
    await withTimeout(stateful.connection.start(), MS, 'start stateful');
    await withTimeout(direct.connection.start(), MS, 'start direct');
    const firstId = stateful.connection.connectionId;
    scanId = await startScan(server.url);
    // Direct first: every broadcast the stateful client can get, the direct one gets too.
    await call(direct.connection, 'SubscribeToScan', scanId);
    await call(stateful.connection, 'SubscribeToScan', scanId);

    await stateful.log.until((e) => e.name === 'ScanProgress' && e.args[0].scannedDirectories >= 2, 'progress before the drop');
    assert.ok(progressOf(stateful.log).at(-1).scannedDirectories < manifest.directoriesWithAudio, 'dropped mid-scan');
    assert.ok(proxy.cut() >= 1, 'the proxy carried the hub socket');
    const accepted = proxy.accepted;

    await direct.log.until((e) => e.name === 'ScanCompleted', 'ScanCompleted (direct)');
    await stateful.log.until((e) => e.name === 'ScanCompleted', 'ScanCompleted (stateful)');
    assert.ok(proxy.accepted > accepted, 'the client reconnected its socket');
    assert.deepEqual(stateful.log.filter((e) => !e.name.startsWith('Scan') && e.name !== 'IndexingCompleted'), [],
                     'no reconnecting/reconnected/closed: the drop is invisible to the application');
    assert.equal(stateful.connection.connectionId, firstId, 'the same connection');

    // What the stateful client got is what the direct client got, in order, each once; only
    // progress snapshots superseded while its socket was down may be missing (conflated).
    // The first event of each is its own subscription snapshot, sent to it alone.
    const key = (e) => `${e.name}:${JSON.stringify(e.args)}`;
    assert.equal(stateful.log[0].name, 'ScanProgress', 'the snapshot first');
    const got = stateful.log.slice(1).map(key);
    const reference = direct.log.map(key);
    let at = 0;
    for (const entry of got) {
      const found = reference.indexOf(entry, at);
      assert.ok(found >= 0, `in order and not repeated: ${entry.slice(0, 120)}`);
      at = found + 1;
    }
    const lifecycle = (log) => log.filter((e) => e.name !== 'ScanProgress').map(key);
    assert.deepEqual(lifecycle(stateful.log), lifecycle(direct.log), 'every lifecycle event, once, in order');
    const [, summary] = stateful.log.find((e) => e.name === 'ScanCompleted').args;
    assert.equal(summary.totalTracksIndexed, manifest.tracks.length);
    assert.equal(summary.errorsCount, manifest.errors.length);
  } finally {
    await withTimeout(stateful.connection.stop(), MS, 'stop').catch(() => {});
    await withTimeout(direct.connection.stop(), MS, 'stop').catch(() => {});
    await proxy.close();
    assert.equal((await server.stop()).code, 0, 'scanhub serve exits 0 on SIGTERM');
  }
});
