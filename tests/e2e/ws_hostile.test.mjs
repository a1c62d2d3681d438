// Hostile input on the /ws event socket (issue 15, item 5), against a real `scanhub serve`.
// The rule the README states: what breaks RFC 6455 closes the socket with the RFC's code and a
// reason (1009 a message over 64 KiB, 1007 text that is not UTF-8, 1002 a protocol error);
// what is a well-formed WebSocket message but not a Metarr message (garbage JSON, a binary
// message, an unknown type, a bad field, a resync flood) gets an `error` message and the socket
// stays open. Throughout, a bystander client keeps its socket and its answers, the server's
// memory stays bounded and the process stays up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServer, withTimeout, delay } from './support/server_process.mjs';

const PORT_LINE = /serving http:\/\/[^:]+:(\d+)\//;
const MS = 10000;

let dir;
let server;

/** Resident memory of a process in KiB. */
function rssKiB(pid) {
  return Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)[1]);
}

/** A `ws` client of /ws that records its messages and its close. */
async function open(options = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, options);
  const client = { ws, messages: [], closed: null };
  ws.on('message', (data) => client.messages.push(JSON.parse(data.toString())));
  client.closing = new Promise((resolve) => ws.on('close', (code, reason) => {
    client.closed = { code, reason: reason.toString() };
    resolve(client.closed);
  }));
  ws.on('error', () => {});
  await withTimeout(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), MS, 'open /ws');
  await waitFor(() => client.messages.length >= 1, 'welcome');
  assert.equal(client.messages[0].type, 'welcome');
  return client;
}

async function waitFor(condition, label, ms = MS) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${label}`);
    await delay(5);
  }
}

/** Sends `message` (an object: JSON) and resolves with the answer carrying its requestId. */
async function ask(client, message) {
  client.ws.send(JSON.stringify(message));
  await waitFor(() => client.messages.some((m) => m.requestId === message.requestId), `answer to ${message.requestId}`);
  return client.messages.find((m) => m.requestId === message.requestId);
}

async function stillAnswers(client, label) {
  const pong = await ask(client, { type: 'ping', requestId: `alive-${label}` });
  assert.equal(pong.type, 'pong', `${label}: the socket still answers`);
  assert.equal(client.closed, null);
}

/** A raw TCP connection upgraded to /ws by hand (for frames `ws` will not send). */
async function rawSocket() {
  const socket = net.connect(server.port, '127.0.0.1');
  let received = Buffer.alloc(0);
  socket.on('data', (chunk) => { received = Buffer.concat([received, chunk]); });
  socket.on('error', () => {});
  const ended = new Promise((resolve) => socket.on('close', resolve));
  socket.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
               + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  await waitFor(() => received.includes('\r\n\r\n'), '101');
  assert.match(received.toString('latin1'), /^HTTP\/1.1 101 /);
  return { socket, ended, received: () => received };
}

/** The close frame a raw socket received: {code, reason}, or null. */
function closeFrameOf(bytes) {
  let at = bytes.indexOf('\r\n\r\n') + 4;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at] & 0x0f;
    let length = bytes[at + 1] & 0x7f;
    let header = 2;
    if (length === 126) { length = bytes.readUInt16BE(at + 2); header = 4; }
    if (length === 127) { length = Number(bytes.readBigUInt64BE(at + 2)); header = 10; }
    if (opcode === 0x8) {
      const payload = bytes.subarray(at + header, at + header + length);
      return { code: payload.readUInt16BE(0), reason: payload.subarray(2).toString() };
    }
    at += header + length;
  }
  return null;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-ws-hostile-'));
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), '--no-watch',
    '--ws-ping-interval', '0.3', '--ws-client-grace', '0.3',
  ], { portPattern: PORT_LINE });
});

after(async () => {
  if (server) assert.equal((await server.stop()).code, 0, 'scanhub serve exits 0 on SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('what is not a Metarr message gets an error; the socket stays open', async () => {
  const bystander = await open();
  const client = await open();
  const cases = [
    ['garbage', 'PARSE_ERROR'],
    ['[1,2,3]', 'PARSE_ERROR'],
    ['{"type": 5}', 'INVALID_FIELD'],
    ['{"requestId": "x"}', 'INVALID_FIELD'],
    ['{"type": "startLibraryScan", "libraryId": "one"}', 'INVALID_FIELD'],
    ['{"type": "resync", "scope": "players"}', 'INVALID_FIELD'],
    ['{"type": "deleteImage", "imageId": 3}', 'UNKNOWN_TYPE'],
    [`{"type": "ping", "requestId": "${'r'.repeat(200)}"}`, 'INVALID_FIELD'],
    ['{'.repeat(5000), 'PARSE_ERROR'],
  ];
  for (const [text, code] of cases) {
    const before = client.messages.length;
    client.ws.send(text);
    await waitFor(() => client.messages.length > before, `the answer to ${text.slice(0, 40)}`);
    const answer = client.messages.at(-1);
    assert.equal(answer.type, 'error', text.slice(0, 40));
    assert.equal(answer.code, code, text.slice(0, 40));
    assert.match(answer.error, /\S/);
  }
  const before = client.messages.length;
  client.ws.send(Buffer.from([0x00, 0xff, 0x10]), { binary: true });
  await waitFor(() => client.messages.length > before, 'the answer to a binary message');
  assert.equal(client.messages.at(-1).code, 'BINARY_NOT_SUPPORTED');
  await stillAnswers(client, 'after refused messages');
  await stillAnswers(bystander, 'bystander');
  client.ws.close();
  bystander.ws.close();
});

test('1,000 resyncs in a burst: five answered, the rest rate-limited, in order', async () => {
  const client = await open();
  const from = client.messages.length;
  for (let i = 0; i < 1000; i += 1) client.ws.send(JSON.stringify({ type: 'resync', requestId: i }));
  await waitFor(() => client.messages.length >= from + 1000, 'an answer to each resync', 20000);
  const answers = client.messages.slice(from);
  assert.deepEqual(answers.map((m) => m.requestId), [...Array(1000).keys()], 'one answer each, in order');
  const served = answers.filter((m) => m.type === 'resyncData');
  const limited = answers.filter((m) => m.type === 'error');
  assert.equal(served.length + limited.length, 1000);
  // 5 at once, then one a second: a burst that takes a few seconds gets a few more.
  assert.ok(served.length >= 5 && served.length <= 15, `${served.length} resyncs served`);
  assert.deepEqual(answers.slice(0, 5).map((m) => m.type), Array(5).fill('resyncData'));
  assert.ok(limited.every((m) => m.code === 'RATE_LIMITED' && m.originalType === 'resync'));
  assert.match(limited[0].error, /try again in \d+ ms/);
  await stillAnswers(client, 'after the flood');
  client.ws.close();
});

test('RFC 6455 violations close with the code and a reason; memory stays bounded', async () => {
  const bystander = await open();
  const rssBefore = rssKiB(server.child.pid);

  // A message over 64 KiB: 1009, from its header on (its bytes are not kept).
  const big = await open();
  big.ws.send('x'.repeat(70 * 1024));
  assert.deepEqual(await withTimeout(big.closing, MS, 'close'), { code: 1009, reason: 'message too big' });

  // Text that is not UTF-8: 1007 (RFC 6455 section 8.1).
  const invalid = await rawSocket();
  const mask = [1, 2, 3, 4];
  const payload = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
  invalid.socket.write(Buffer.from([0x81, 0x80 | payload.length, ...mask,
                                    ...payload.map((b, i) => b ^ mask[i % 4])]));
  await withTimeout(invalid.ended, MS, 'the invalid UTF-8 socket to close');
  assert.deepEqual(closeFrameOf(invalid.received()), { code: 1007, reason: 'text message is not UTF-8' });

  // A frame that declares 1 GiB: refused at its header (1009), nothing of it buffered. What the
  // client sends after its Close is read and dropped (up to 1 MiB) until it closes, so the
  // Close reaches a client that stops sending; one that floods on is cut off.
  const huge = await rawSocket();
  const header = Buffer.alloc(14);
  header[0] = 0x81;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(1n << 30n, 2);
  huge.socket.write(Buffer.concat([header, Buffer.alloc(256 * 1024, 0x61)]));
  await waitFor(() => closeFrameOf(huge.received()) !== null, 'the Close of the 1 GiB frame');
  assert.deepEqual(closeFrameOf(huge.received()), { code: 1009, reason: 'message too big' });
  huge.socket.end();
  await withTimeout(huge.ended, MS, 'the 1 GiB frame\'s socket to close');
  const flood = await rawSocket();
  flood.socket.write(header);
  const chunk = Buffer.alloc(1 << 20, 0x61);
  for (let i = 0; i < 32 && !flood.socket.destroyed; i += 1) {
    if (!flood.socket.write(chunk)) await Promise.race([new Promise((r) => flood.socket.once('drain', r)), flood.ended]);
  }
  await withTimeout(flood.ended, MS, 'a flooding client to be cut off');

  // An unmasked frame: a protocol error.
  const unmasked = await rawSocket();
  unmasked.socket.write(Buffer.from([0x81, 0x02, 0x7b, 0x7d]));
  await withTimeout(unmasked.ended, MS, 'the unmasked frame\'s socket to close');
  assert.deepEqual(closeFrameOf(unmasked.received()), { code: 1002, reason: 'unmasked frame' });

  // Twenty clients sending the largest messages allowed, garbage, as fast as they can.
  const clients = await Promise.all(Array.from({ length: 20 }, () => open()));
  const junk = `{"type":"${'j'.repeat(60 * 1024)}"}`;
  for (let round = 0; round < 20; round += 1) {
    for (const c of clients) c.ws.send(junk);
  }
  await waitFor(() => clients.every((c) => c.messages.length >= 21), 'every junk message answered', 30000);
  assert.ok(clients.every((c) => c.messages.slice(1).every((m) => m.code === 'UNKNOWN_TYPE')));
  for (const c of clients) c.ws.close();
  const rssAfter = rssKiB(server.child.pid);
  assert.ok(rssAfter - rssBefore < 32 * 1024, `server RSS ${rssBefore} -> ${rssAfter} KiB`);

  await stillAnswers(bystander, 'bystander after the violations');
  const health = await fetch(`${server.url}/healthz`);
  assert.equal(health.status, 200, 'the server is up');
  bystander.ws.close();
});

test('a client that answers no Ping is closed after the ping interval and the grace', async () => {
  const stats = async () => (await (await fetch(`${server.url}/api/events/stats`)).json()).ws;
  const timedOutBefore = (await stats()).clientsTimedOut;
  const silent = await open({ autoPong: false });
  const alive = await open();  // answers Pings (ws does by default)
  const started = Date.now();
  const closed = await withTimeout(silent.closing, MS, 'the silent client to be closed');
  const took = Date.now() - started;
  assert.equal(closed.code, 1008);
  assert.match(closed.reason, /nothing arrived from the client/);
  assert.ok(took >= 500, `closed after ${took} ms, not before ping interval + grace (600 ms)`);
  assert.equal((await stats()).clientsTimedOut, timedOutBefore + 1);
  await delay(700);
  await stillAnswers(alive, 'a client that answers Pings');
  alive.ws.close();
});

test('a cross-origin upgrade is refused (403); /ws and /api/events count in the connection cap', async () => {
  const refused = await new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { origin: 'http://evil.example' });
    ws.on('unexpected-response', (request, response) => resolve(response.statusCode));
    ws.on('open', () => resolve('opened'));
    ws.on('error', () => {});
  });
  assert.equal(refused, 403);

  // A server with room for 6 connections: 4 sockets and 2 streams fill it.
  const capped = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'capped.db'), '--no-watch', '--max-connections', '6',
  ], { portPattern: PORT_LINE });
  try {
    const sockets = [];
    for (let i = 0; i < 4; i += 1) {
      const ws = new WebSocket(`ws://127.0.0.1:${capped.port}/ws`);
      ws.on('error', () => {});
      await withTimeout(new Promise((resolve) => ws.once('message', resolve)), MS, 'welcome');
      sockets.push(ws);
    }
    const streams = [];
    for (let i = 0; i < 2; i += 1) {
      const controller = new AbortController();
      const response = await fetch(`${capped.url}/api/events`, { signal: controller.signal });
      assert.equal(response.status, 200);
      streams.push(controller);
    }
    await delay(100);  // the sessions that handed their sockets over are gone
    const full = await fetch(`${capped.url}/healthz`).catch((e) => e);
    assert.equal(full.status, 503, 'the seventh connection is refused');
    sockets.pop().close();
    let status = 0;
    for (const deadline = Date.now() + MS; status !== 200 && Date.now() < deadline; await delay(20)) {
      status = (await fetch(`${capped.url}/healthz`)).status;
    }
    assert.equal(status, 200, 'a slot is free again once a socket closed');
    for (const ws of sockets) ws.close();
    for (const controller of streams) controller.abort();
  } finally {
    assert.equal((await capped.stop()).code, 0);
  }
});
