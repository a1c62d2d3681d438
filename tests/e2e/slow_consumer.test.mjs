// A slow consumer (issue 3): while 100 official @microsoft/signalr clients watch a real
// `scanhub serve` scan on /hubs/progress, one raw WebSocket client subscribes to the same scan and
// stops reading its socket. Asserted: the 100 others receive every lifecycle event in order with
// low progress latency (payload timestamp to arrival), the server's RSS stays bounded, the slow
// client is closed (TransportSendTimeout, 1 s here) after what was already in flight, and the
// server keeps serving.
//
// A scan alone sends at most one progress message per directory, and they are conflated per scan:
// the kernel's socket buffers absorb that whole, so conflation leaves no trace a client can see.
// To stall the server's writes to the slow client it also pipelines GetScanProgress invocations
// (about 350 bytes of completion each, never conflated) without reading a byte: their answers
// fill the socket buffers, the server stops reading its input once its outbox is half full
// (so the outbox stays bounded), and the write that cannot complete closes it after the send
// timeout. A control client sends the same invocations at the same pace and reads: it must get
// every answer and stay open, so the slow client is closed for not reading, not for what it asked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { startServer, withTimeout, delay } from './support/server_process.mjs';
import { RawHubSocket, RS } from './support/raw_hub_socket.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

const WATCHERS = 100;
const MS = 5000;
const LIFECYCLE = ['IndexingCompleted', 'ScanCompleted'];

let dir;
let manifest;
let server;

/** Resident memory of a process in KiB (/proc/PID/status VmRSS). */
function rssKiB(pid) {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return Number(match[1]);
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const POLL_FRAMES = 150;
const POLLS_PER_FRAME = 100;
const POLLS = POLL_FRAMES * POLLS_PER_FRAME;

/**
 * Sends the same POLLS GetScanProgress invocations (ids p0..) to `slow` and `control`, a frame of
 * POLLS_PER_FRAME at a time, paced by the reading `control` client: the next frame goes out once
 * the control has the answers to all but the last frame, so a reader is never more than two
 * frames behind, whatever the load on this machine.
 */
async function poll(slow, control, scanId) {
  let answered = 0;
  control.ws.on('message', (data) => { answered += data.toString().split('"type":3').length - 1; });
  for (let frame = 0; frame < POLL_FRAMES; frame += 1) {
    let text = '';
    for (let i = 0; i < POLLS_PER_FRAME; i += 1) {
      const invocationId = `p${frame * POLLS_PER_FRAME + i}`;
      text += JSON.stringify({ type: 1, invocationId, target: 'GetScanProgress', arguments: [scanId] }) + RS;
    }
    slow.send(text);
    control.send(text);
    const deadline = Date.now() + MS;
    while (answered < (frame - 1) * POLLS_PER_FRAME) {
      assert.ok(Date.now() < deadline && !control.isClosed, `the control client is answered (frame ${frame})`);
      await delay(2);
    }
    await delay(10);
  }
}

/**
 * Every record a raw socket received until it closed, `isDone(records)` held, or it stayed
 * silent for 2 s; parsed at once (records.shift() per record is quadratic and would stall this
 * process on 15,000 answers).
 */
async function drain(socket, isDone = () => false) {
  let seen = -1;
  let quietSince = Date.now();
  while (!socket.isClosed && !isDone(socket.records) && Date.now() - quietSince < 2000) {
    if (socket.records.length !== seen) {
      seen = socket.records.length;
      quietSince = Date.now();
    }
    await delay(50);
  }
  return socket.records.splice(0).map((record) => JSON.parse(record));
}

/** One official client: every seed-000 event with its arrival time. */
function watcher() {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(`${server.url}/hubs/progress`)
    .configureLogging(signalR.LogLevel.None)
    .build();
  const log = [];
  for (const name of ['ScanProgress', ...LIFECYCLE, 'ScanFailed']) {
    connection.on(name, (...args) => log.push({ name, args, at: Date.now() }));
  }
  return { connection, log };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-slow-'));
  const library = join(dir, 'library');
  execFileSync(process.env.MAKE_LIBRARY, [library, '--tracks', '80', '--seed', '21',
                                          '--template-cache', process.env.TEMPLATE_CACHE]);
  manifest = JSON.parse(readFileSync(join(library, 'manifest.json'), 'utf8'));
  // 300 ms per directory, one worker: the scan runs about 3 s; progress may go out every 5 ms.
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), '--library', library,
    '--directory-delay-for-test', '300', '--workers', '1', '--progress-interval', '5',
    '--transport-send-timeout', '1',
  ], { portPattern: /serving http:\/\/[^:]+:(\d+)\// });
});

after(async () => {
  if (server) assert.equal((await server.stop()).code, 0, 'scanhub serve exits 0 on SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('one client stops reading while 100 watch a scan: the others are unaffected', { timeout: 30000 }, async (t) => {
  const watchers = Array.from({ length: WATCHERS }, watcher);
  await withTimeout(Promise.all(watchers.map((w) => w.connection.start())), 10000, `${WATCHERS} clients to connect`);
  const slow = await RawHubSocket.open(`ws://127.0.0.1:${server.port}/hubs/progress`);
  await slow.handshake();
  const control = await RawHubSocket.open(`ws://127.0.0.1:${server.port}/hubs/progress`);
  await control.handshake();
  const rssBefore = rssKiB(server.child.pid);

  const response = await withTimeout(fetch(`${server.url}/api/library/scan`, { method: 'POST' }), MS, 'POST scan');
  const { scanId } = await response.json();
  await withTimeout(Promise.all(watchers.map((w) => w.connection.invoke('SubscribeToScan', scanId))),
                    MS, 'SubscribeToScan x100');
  for (const socket of [slow, control]) {
    socket.sendRecord({ type: 1, invocationId: 'sub', target: 'SubscribeToScan', arguments: [scanId] });
    const snapshot = await socket.nextMessage(MS);  // the snapshot, then the completion
    assert.equal(snapshot.target, 'ScanProgress');
    assert.equal((await socket.nextMessage(MS)).invocationId, 'sub');
  }

  // Stop reading, then poll at the pace of a client that reads (the control client, which
  // sends the same): 15,000 invocations, about 5 MB of answers, more than the socket buffers
  // hold. The server's write to the slow client stalls and it is closed after the send timeout:
  // with its Close record when it reads again within the close timeout (5 s), or aborted.
  slow.ws._socket.pause();
  await withTimeout(poll(slow, control, scanId), 15000, 'polls');
  // The write to it stalled during the polls; stay silent past the 1 s send timeout (checked
  // at least once a second) so the server has given up on it before it reads again.
  await delay(2500);
  slow.ws._socket.resume();
  const ended = (records) => records.some((r) => r.includes('"ScanCompleted"'))
    && records.filter((r) => r.includes('"type":3')).length >= POLLS;
  const drained = Promise.all([drain(slow), drain(control, ended)]);

  // The others keep receiving; the scan ends.
  const deadline = Date.now() + 15000;
  while (!watchers.every((w) => w.log.some((e) => e.name === 'ScanCompleted'))) {
    assert.ok(Date.now() < deadline, 'every watcher gets ScanCompleted in time');
    await delay(20);
  }
  const rssAfter = rssKiB(server.child.pid);

  const latencies = [];
  for (const { log } of watchers) {
    const names = log.filter((e) => e.name !== 'ScanProgress').map((e) => e.name);
    assert.deepEqual(names, LIFECYCLE, 'every lifecycle event, once, in order');
    const progress = log.filter((e) => e.name === 'ScanProgress');
    assert.ok(progress.length >= 2);
    for (let i = 1; i < progress.length; i += 1) {
      assert.ok(progress[i].args[0].scannedDirectories >= progress[i - 1].args[0].scannedDirectories);
    }
    assert.equal(log.at(-1).name, 'ScanCompleted');
    const summary = log.at(-1).args[1];
    assert.equal(summary.totalTracksIndexed, manifest.tracks.length);
    assert.equal(summary.totalDirectoriesScanned, manifest.directoriesWithAudio);
    // The first progress is the subscription's snapshot (built before the invocation), not a push.
    for (const e of progress.slice(1)) latencies.push(e.at - Date.parse(e.args[0].timestamp));
  }
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  t.diagnostic(`progress latency over ${latencies.length} pushes: p50 ${p50} ms, p99 ${p99} ms; `
               + `server RSS ${rssBefore} -> ${rssAfter} KiB`);
  assert.ok(latencies.length >= WATCHERS * 3, `${latencies.length} progress pushes measured`);
  // Timestamps have millisecond resolution and share this machine's clock.
  assert.ok(p99 < 250, `progress latency p50 ${p50} ms, p99 ${p99} ms`);
  assert.ok(rssAfter - rssBefore < 64 * 1024, `server RSS ${rssBefore} -> ${rssAfter} KiB`);

  // The slow client, reading again: what was already in flight (in order, none skipped), then
  // the end: a Close with the reason if it read again before the close timeout, else an abort.
  const [slowReceived, controlReceived] = await drained;
  const completions = slowReceived.filter((m) => m.type === 3);
  const close = slowReceived.find((m) => m.type === 7);
  await slow.waitClosed(MS);
  assert.ok(completions.length < POLLS, `not every poll was answered (${completions.length} of ${POLLS})`);
  if (close) {
    assert.match(close.error, /keep up/);
    assert.equal(close.allowReconnect, true);
  }
  t.diagnostic(`slow client: ${completions.length} polls answered, then `
               + (close ? `Close "${close.error}"` : 'the socket was aborted'));
  completions.forEach((m, i) => assert.equal(m.invocationId, `p${i}`, 'completions in order, none skipped'));
  // Progress that reached it before the close is in order.
  const slowProgress = slowReceived.filter((m) => m.target === 'ScanProgress').map((m) => m.arguments[0]);
  for (let i = 1; i < slowProgress.length; i += 1) {
    assert.ok(slowProgress[i].scannedDirectories >= slowProgress[i - 1].scannedDirectories);
  }

  // The control client, reading all along, got every answer and is still open.
  const answered = controlReceived.filter((m) => m.type === 3);
  assert.equal(answered.length, POLLS, 'a reading client keeps up with the same polling');
  assert.ok(!controlReceived.some((m) => m.type === 7), 'the reading client is not closed');
  assert.ok(answered.every((m) => m.result?.scanId === scanId));
  assert.deepEqual(controlReceived.filter((m) => m.type === 1 && m.target !== 'ScanProgress').map((m) => m.target),
                   LIFECYCLE, 'the reading client also got the lifecycle events');
  control.close();

  // The server keeps serving: a new client connects and gets the ended scan at once.
  const late = watcher();
  await withTimeout(late.connection.start(), MS, 'late start');
  await withTimeout(late.connection.invoke('SubscribeToScan', scanId), MS, 'late subscribe');
  assert.deepEqual(late.log.map((e) => e.name), ['ScanProgress', ...LIFECYCLE]);
  await withTimeout(Promise.all([...watchers, late].map((w) => w.connection.stop())), 10000, 'stop all');
});
