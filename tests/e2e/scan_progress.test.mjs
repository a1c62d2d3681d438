// The foundation's acceptance, with the official @microsoft/signalr client and its defaults
// (negotiate v1, WebSockets, JSON): a real `scanhub serve` scanning a real generated library.
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
const ISO_DURATION = /^PT(\d+H)?(\d+M)?(\d+(\.\d+)?S)?$/;

let dir;
let manifest;
let server;

function connect() {
  return new signalR.HubConnectionBuilder()
    .withUrl(`${server.url}/hubs/progress`)
    .configureLogging(signalR.LogLevel.Warning)
    .build();
}

/** Records every seed-000 event of one connection, and waits for conditions on them. */
function record(connection) {
  const log = [];
  let wake = () => {};
  for (const name of ['ScanProgress', 'IndexingCompleted', 'EmbeddingProgress', 'EmbeddingCompleted',
                      'ScanCompleted', 'ScanFailed']) {
    connection.on(name, (...args) => { log.push({ name, args }); wake(); });
  }
  log.until = (predicate, label, ms = 30000) => withTimeout(new Promise((resolve) => {
    const check = () => { const hit = log.find(predicate); if (hit) resolve(hit); else wake = check; };
    check();
  }), ms, label);
  return log;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-'));
  const library = join(dir, 'library');
  execFileSync(process.env.MAKE_LIBRARY, [library, '--tracks', '80', '--seed', '21',
                                          '--template-cache', process.env.TEMPLATE_CACHE]);
  manifest = JSON.parse(readFileSync(join(library, 'manifest.json'), 'utf8'));
  // Each directory takes 150 ms, so the scan runs for seconds and can be joined mid-way.
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), '--library', library,
    '--directory-delay-for-test', '150', '--workers', '2',
  ], { portPattern: /serving http:\/\/[^:]+:(\d+)\// });
});

after(async () => {
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, 'scanhub serve exits 0 on SIGTERM');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a scan started over HTTP is watched live to a summary that matches the manifest', async () => {
  const first = connect();
  const events = record(first);
  await first.start();

  const response = await fetch(`${server.url}/api/library/scan`, { method: 'POST' });
  assert.equal(response.status, 200);
  const { scanId } = await response.json();
  assert.equal(typeof scanId, 'string');
  await first.invoke('SubscribeToScan', scanId);

  // Mid-scan, a second client subscribes and gets the current snapshot before anything else.
  await events.until((e) => e.name === 'ScanProgress' && e.args[0].scannedDirectories >= 3, 'mid-scan progress');
  const second = connect();
  const late = record(second);
  await second.start();
  const seenByFirst = events.filter((e) => e.name === 'ScanProgress').at(-1).args[0];
  await second.invoke('SubscribeToScan', scanId);
  assert.ok(late.length >= 1, 'the snapshot arrives before the invocation completes');
  assert.equal(late[0].name, 'ScanProgress');
  assert.equal(late[0].args[0].status, 'InProgress');
  assert.ok(late[0].args[0].scannedDirectories >= seenByFirst.scannedDirectories,
            'the snapshot is at least as new as what others have seen');
  assert.ok(late[0].args[0].scannedDirectories < manifest.directoriesWithAudio, 'joined mid-scan');

  const [, summary] = (await events.until((e) => e.name === 'ScanCompleted', 'ScanCompleted')).args;
  await late.until((e) => e.name === 'ScanCompleted', 'ScanCompleted for the late subscriber');

  for (const log of [events, late]) {
    const progress = log.filter((e) => e.name === 'ScanProgress').map((e) => e.args[0]);
    assert.ok(progress.length >= 3);
    for (let i = 1; i < progress.length; i += 1) {
      assert.ok(progress[i].scannedDirectories >= progress[i - 1].scannedDirectories, 'directories never go backwards');
      assert.ok(progress[i].indexedTracks >= progress[i - 1].indexedTracks, 'tracks never go backwards');
    }
    for (const p of progress) {
      assert.equal(p.scanId, scanId);
      assert.equal(p.phase, 'Indexing');
      assert.ok(['Started', 'InProgress', 'Completed'].includes(p.status), p.status);
      assert.match(p.timestamp, ISO_TIME);
    }
    const names = log.map((e) => e.name);
    assert.ok(names.indexOf('IndexingCompleted') < names.indexOf('ScanCompleted'));
    assert.equal(names.at(-1), 'ScanCompleted', 'nothing after completion');
  }
  // Subscribing after the POST returned: the first event is the snapshot, not "Started".
  assert.equal(events[0].name, 'ScanProgress');
  assert.equal(events[0].args[0].status, 'InProgress');
  const indexing = events.find((e) => e.name === 'IndexingCompleted').args;
  assert.deepEqual(indexing, [scanId, manifest.tracks.length]);

  assert.equal(summary.totalTracksIndexed, manifest.tracks.length);
  assert.equal(summary.totalDirectoriesScanned, manifest.directoriesWithAudio);
  assert.equal(summary.errorsCount, manifest.errors.length);
  assert.equal(summary.tracksNew, manifest.tracks.length);
  assert.equal(summary.totalEmbeddingsGenerated, 0);
  assert.match(summary.indexingDuration, ISO_DURATION);
  assert.match(summary.embeddingDuration, ISO_DURATION);

  const stored = await (await fetch(`${server.url}/api/scans/${scanId}`)).json();
  assert.equal(stored.status, 'completed');
  assert.equal(stored.tracksFound, manifest.tracks.length);
  assert.equal(stored.errorsCount, manifest.errors.length);
  assert.match(stored.completedAt, ISO_TIME);

  // After the end, a new subscriber gets the end at once.
  const third = connect();
  const after_ = record(third);
  await third.start();
  await third.invoke('SubscribeToScan', scanId);
  assert.deepEqual(after_.map((e) => e.name), ['ScanProgress', 'IndexingCompleted', 'ScanCompleted']);
  await Promise.all([first.stop(), second.stop(), third.stop()]);
});

test('unknown methods and bad arguments get error completions; the connection stays usable', async () => {
  const connection = connect();
  await connection.start();
  await assert.rejects(connection.invoke('NoSuchMethod', 1), /Method does not exist/);
  await assert.rejects(connection.invoke('SubscribeToScan'), /takes 1 argument/);
  await assert.rejects(connection.invoke('SubscribeToScan', { id: 1 }), /must be a string/);
  assert.equal(await connection.invoke('SubscribeToScan', '999999'), null);
  assert.deepEqual(await connection.invoke('GetActiveScans'), []);
  assert.equal(await connection.invoke('GetScanProgress', '999999'), null);
  await connection.invoke('UnsubscribeFromScan', '999999');
  assert.equal(connection.state, signalR.HubConnectionState.Connected);
  await connection.stop();
});
