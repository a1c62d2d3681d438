// A music library whose root directory and one file name are not valid UTF-8 (Linux names are
// bytes), registered on the command line (`scanhub serve --library <raw bytes>`) and scanned
// while the official @microsoft/signalr client (JSON and MessagePack) and a raw `ws` client are
// subscribed. Every WebSocket text frame must be valid UTF-8 (RFC 6455 section 8.1: a client
// closes the connection on one that is not, every subscriber at once), the clients stay
// connected to ScanCompleted, and names reach clients with U+FFFD in place of the bad bytes
// (a file name that is not UTF-8 is a scan error, as before, named the same way).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { createRequire } from 'node:module';
import { startServer, withTimeout } from './support/server_process.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');
const { MessagePackHubProtocol } = require('@microsoft/signalr-protocol-msgpack');
const WebSocket = require('ws');

const SERVE = /serving http:\/\/[^:]+:(\d+)\//;
const MS = 5000;
const RS = '\x1e';
const REPLACEMENT = '\uFFFD';

let dir;
let manifest;
let server;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-bytes-'));
  manifest = JSON.parse((() => {
    execFileSync(process.env.MAKE_LIBRARY, [join(dir, 'made'), '--tracks', '30', '--seed', '51', '--no-bad',
      '--template-cache', process.env.TEMPLATE_CACHE], { stdio: ['ignore', 'ignore', 'inherit'] });
    return readFileSync(join(dir, 'made', 'manifest.json'), 'utf8');
  })());
  // <dir>/Musik-\xFF\xFE-lib, and in it caf\xE9.<ext>: a copy of a real track.
  const root = Buffer.concat([Buffer.from(join(dir, 'Musik-')), Buffer.from([0xff, 0xfe]), Buffer.from('-lib')]);
  renameSync(join(dir, 'made'), root);
  const track = manifest.tracks[0].path;
  copyFileSync(Buffer.concat([root, Buffer.from(`/${track}`)]),
               Buffer.concat([root, Buffer.from('/caf'), Buffer.from([0xe9]), Buffer.from(extname(track))]));
  // Node passes arguments as UTF-8 strings: the shell's printf writes the raw bytes instead.
  server = await startServer('/bin/sh', ['-c',
    'exec "$0" serve --port 0 --db "$1" --no-watch --workers 1 --directory-delay-for-test 300 ' +
    '--library "$(printf \'%s/Musik-\\377\\376-lib\' "$2")"',
    process.env.SCANHUB_BIN, join(dir, 'scanhub.db'), dir], { portPattern: SERVE });
});

after(async () => {
  if (server) assert.equal((await server.stop()).code, 0, 'scanhub serve exits 0 on SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** An official client on /hubs/progress recording its events and whether it closed. */
async function officialClient(protocol) {
  const builder = new signalR.HubConnectionBuilder()
    .withUrl(`${server.url}/hubs/progress`, { transport: signalR.HttpTransportType.WebSockets })
    .configureLogging(signalR.LogLevel.None);
  if (protocol) builder.withHubProtocol(protocol);
  const connection = builder.build();
  const client = { connection, events: [], closed: null };
  for (const name of ['ScanProgress', 'ScanCompleted', 'ScanFailed', 'IndexingCompleted']) {
    connection.on(name, (...args) => { client.events.push({ name, args }); });
  }
  connection.onclose((error) => { client.closed = error ?? new Error('closed'); });
  await withTimeout(connection.start(), MS, 'official client start');
  return client;
}

/**
 * A raw `ws` client that does not validate UTF-8 itself (skipUTF8Validation), so every text
 * frame arrives as the server sent it and is checked here with a fatal TextDecoder.
 */
async function rawClient() {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/hubs/progress`, { skipUTF8Validation: true });
  const client = { ws, frames: 0, invalid: [], records: [], closed: null };
  const decoder = new TextDecoder('utf-8', { fatal: true });
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    client.frames += 1;
    let text;
    try {
      text = decoder.decode(data);
    } catch {
      client.invalid.push(Buffer.from(data).toString('hex'));
      return;
    }
    client.records.push(...text.split(RS).filter((r) => r).map((r) => JSON.parse(r)));
  });
  ws.on('close', (code) => { client.closed = code; });
  ws.on('error', () => {});
  await withTimeout(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }),
    MS, 'raw WebSocket open');
  ws.send(JSON.stringify({ protocol: 'json', version: 1 }) + RS);
  return client;
}

async function until(check, label, ms = 60000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('every frame of a scan of a non-UTF-8 library is valid UTF-8 and every client stays', async () => {
  const json = await officialClient();
  const msgpack = await officialClient(new MessagePackHubProtocol());
  const raw = await rawClient();
  try {
    const started = await withTimeout(fetch(`${server.url}/api/library/scan`, { method: 'POST' }), MS, 'start');
    assert.equal(started.status, 200);
    const { scanId } = await started.json();
    await Promise.all([json, msgpack].map((c) => withTimeout(c.connection.invoke('SubscribeToScan', scanId),
      MS, 'SubscribeToScan')));
    raw.ws.send(JSON.stringify({ type: 1, invocationId: '1', target: 'SubscribeToScan', arguments: [scanId] }) + RS);

    const completed = (events) => events.some((e) => e.name === 'ScanCompleted' && e.args[0] === scanId);
    await until(() => completed(json.events) || json.closed, 'JSON client: ScanCompleted');
    await until(() => completed(msgpack.events) || msgpack.closed, 'MessagePack client: ScanCompleted');
    await until(() => raw.records.some((r) => r.type === 1 && r.target === 'ScanCompleted') ||
                      raw.invalid.length || raw.closed !== null, 'raw client: ScanCompleted');

    assert.deepEqual(raw.invalid, [], 'text frames that are not UTF-8');
    assert.equal(raw.closed, null, 'the raw client stays connected');
    assert.equal(json.closed, null, 'the JSON client stays connected');
    assert.equal(msgpack.closed, null, 'the MessagePack client stays connected');
    assert.ok(raw.frames > 2);

    // The root's name went out, replaced: in each protocol's progress payloads.
    for (const [label, events] of [['JSON', json.events], ['MessagePack', msgpack.events]]) {
      const paths = events.filter((e) => e.name === 'ScanProgress').map((e) => e.args[0].libraryPath).filter((p) => p);
      assert.ok(paths.length > 0, `${label}: progress with the library's path`);
      for (const p of paths) assert.equal(p, join(dir, `Musik-${REPLACEMENT}${REPLACEMENT}-lib`), label);
    }
    const summary = json.events.find((e) => e.name === 'ScanCompleted').args[1];
    assert.equal(summary.totalTracksIndexed, manifest.tracks.length);
    const errors = await (await withTimeout(fetch(`${server.url}/api/scans/${scanId}/errors`), MS, 'errors')).json();
    assert.equal(summary.errorsCount, 1, `the file named caf\\xE9: ${JSON.stringify(errors)}`);
    assert.deepEqual(errors.map((e) => e.path), [`caf${REPLACEMENT}${extname(manifest.tracks[0].path)}`]);
  } finally {
    await Promise.all([json, msgpack].map((c) => c.connection.stop()));
    raw.ws.terminate();
  }

  const libraries = await (await withTimeout(fetch(`${server.url}/api/libraries`), MS, 'libraries')).json();
  assert.equal(libraries.length, 1);
  assert.equal(libraries[0].name, `Musik-${REPLACEMENT}${REPLACEMENT}-lib`);
  assert.equal(libraries[0].path, join(dir, `Musik-${REPLACEMENT}${REPLACEMENT}-lib`));
  assert.equal(libraries[0].trackCount, manifest.tracks.length);
});
