// A slow consumer on the /ws event socket (issue 15): while 100 clients watch a real scan, one
// client stops reading its socket. It is closed with the reason (1008, push's
// kSlowClientReason) and counted (GET /api/events/stats); the 100 others receive every job's
// lifecycle and the scan's final progress, a control client keeps every answer, the server's
// memory stays bounded and it keeps serving. (Latency is measured by bench/fanout, not here.)
//
// A scan's events alone fit in the kernel's socket buffers, so to make the server's writes to
// the slow client stall it also sends JSON pings without reading (as the SignalR test pipelines
// invocations): their pongs fill the buffers, then its outbox, and it is closed. A control
// client sends the same pings at the same pace and reads: it must get every pong and stay open,
// so the slow client is closed for not reading, not for what it asked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServer, withTimeout, delay } from './support/server_process.mjs';

const WATCHERS = 100;
const MS = 15000;
const FRAMES = 200;
const PINGS_PER_FRAME = 500;
const PINGS = FRAMES * PINGS_PER_FRAME;

let dir;
let manifest;
let server;

function rssKiB(pid) {
  return Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)[1]);
}

async function waitFor(condition, label, ms = MS) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${label}`);
    await delay(10);
  }
}

/** A /ws client keeping every message it reads (parsed) and its close. */
async function connect() {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
  const client = { ws, messages: [], pongs: 0, closed: null };
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString());
    if (message.type === 'pong') client.pongs += 1;
    else client.messages.push(message);
  });
  ws.on('error', () => {});
  ws.on('close', (code, reason) => { client.closed = { code, reason: reason.toString() }; });
  await withTimeout(new Promise((resolve) => ws.once('message', resolve)), MS, 'welcome');
  return client;
}

const stats = async () => (await (await fetch(`${server.url}/api/events/stats`)).json()).ws;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-ws-slow-'));
  const library = join(dir, 'library');
  execFileSync(process.env.MAKE_LIBRARY, [library, '--tracks', '80', '--seed', '21',
                                          '--template-cache', process.env.TEMPLATE_CACHE]);
  manifest = JSON.parse(readFileSync(join(library, 'manifest.json'), 'utf8'));
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), '--library', library, '--no-watch',
    '--directory-delay-for-test', '150', '--workers', '1', '--progress-interval', '5',
    '--events-send-timeout', '1',
  ], { portPattern: /serving http:\/\/[^:]+:(\d+)\// });
});

after(async () => {
  if (server) assert.equal((await server.stop()).code, 0, 'scanhub serve exits 0 on SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('one /ws client stops reading while 100 watch a scan: it is closed, the others get everything',
     { timeout: 60000 }, async (t) => {
  const watchers = await withTimeout(Promise.all(Array.from({ length: WATCHERS }, connect)), MS, 'watchers');
  const slow = await connect();
  const control = await connect();
  const rssBefore = rssKiB(server.child.pid);
  const slowBefore = (await stats()).slowClientsClosed;

  const response = await fetch(`${server.url}/api/library/scan`, { method: 'POST' });
  const scanId = Number((await response.json()).scanId);

  // The slow client stops reading; both send the same pings, paced by the reading control client.
  slow.ws._socket.pause();
  const ping = JSON.stringify({ type: 'ping' });
  for (let frame = 0; frame < FRAMES; frame += 1) {
    for (let i = 0; i < PINGS_PER_FRAME; i += 1) {
      if (!slow.closed) slow.ws.send(ping);
      control.ws.send(ping);
    }
    await waitFor(() => control.pongs >= (frame - 1) * PINGS_PER_FRAME, `the control client answered (frame ${frame})`);
  }
  // The server gives up on it: its outbox overflowed or a write stalled past the send timeout.
  await waitFor(async () => (await stats()).slowClientsClosed > slowBefore, 'the slow client to be counted');
  // Reading again within the close timeout, it gets what was in flight, then the Close.
  slow.ws._socket.resume();
  await waitFor(() => slow.closed !== null, 'the slow client to be closed');
  assert.equal(slow.closed.code, 1008, JSON.stringify(slow.closed));
  assert.match(slow.closed.reason, /did not keep up/);
  assert.ok(slow.pongs < PINGS, `not every ping was answered (${slow.pongs} of ${PINGS})`);

  // The others get the whole scan.
  const ended = (c) => c.messages.some((m) => m.type === 'scan:progress' && m.scanJobId === scanId
                                           && m.phase === 'completed');
  await waitFor(() => [...watchers, control].every(ended), 'every watcher sees the scan end', 30000);
  const stored = await (await fetch(`${server.url}/api/scans/${scanId}`)).json();
  assert.equal(stored.tracksFound, manifest.tracks.length);
  const reference = watchers[0].messages.filter((m) => m.type.startsWith('job:') && m.type !== 'job:progress')
    .map((m) => `${m.type} ${m.jobId}`);
  assert.ok(reference.length >= 3 * stored.directoriesTotal, `${reference.length} lifecycle events`);
  for (const client of [...watchers, control]) {
    const lifecycle = client.messages.filter((m) => m.type.startsWith('job:') && m.type !== 'job:progress')
      .map((m) => `${m.type} ${m.jobId}`);
    assert.deepEqual(lifecycle, reference, 'every lifecycle event, in order, for every watcher');
    const progress = client.messages.filter((m) => m.type === 'scan:progress' && m.scanJobId === scanId);
    for (let i = 1; i < progress.length; i += 1) {
      assert.ok(progress[i].progress.scanning.scanned >= progress[i - 1].progress.scanning.scanned);
    }
    const last = progress.at(-1);
    assert.equal(last.phase, 'completed');
    assert.equal(last.stats.tracksFound, stored.tracksFound);
    assert.equal(last.progress.scanning.scanned, stored.directoriesScanned);
    assert.equal(client.closed, null, 'a reading client stays open');
  }
  assert.equal(control.pongs, PINGS, 'the reading client got every pong');
  const rssAfter = rssKiB(server.child.pid);
  assert.ok(rssAfter - rssBefore < 64 * 1024, `server RSS ${rssBefore} -> ${rssAfter} KiB`);
  const after_ = await stats();
  t.diagnostic(`slow client: ${slow.pongs} of ${PINGS} pongs, then ${slow.closed.code} "${slow.closed.reason}"; `
               + `server RSS ${rssBefore} -> ${rssAfter} KiB; ${after_.messagesSent} messages sent, `
               + `${after_.messagesConflated} conflated, ${after_.slowClientsClosed} slow clients closed`);

  // The server keeps serving: a new client gets its welcome.
  const late = await connect();
  assert.equal(late.messages[0].type, 'welcome');
  for (const client of [...watchers, control, late]) client.ws.close();
});
