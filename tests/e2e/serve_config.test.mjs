// `scanhub serve` SignalR settings from flags and from a config file (issue 3 item 4): seed
// 004's values (config/seed004.ini: 100 KB messages, 60 s client timeout) take effect on the
// real hubs, and settings that cannot work are refused at start with a clear message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './support/server_process.mjs';
import { RawHubSocket, RS } from './support/raw_hub_socket.mjs';

const BIN = process.env.SCANHUB_BIN;
const SERVE = /serving http:\/\/[^:]+:(\d+)\//;
const T = { timeout: 30000 };
let dir;

before(() => { dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-config-')); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const serve = (...args) => startServer(BIN, ['serve', '--port', '0', '--db', join(dir, 'scanhub.db'), ...args],
                                       { portPattern: SERVE });

/** Sends one invocation of about `bytes` bytes; resolves with the next record parsed. */
async function sendLarge(port, bytes) {
  const ws = await RawHubSocket.open(`ws://127.0.0.1:${port}/hubs/progress`);
  await ws.handshake();
  ws.send(JSON.stringify({ type: 1, invocationId: '1', target: 'GetScanProgress', arguments: ['x'.repeat(bytes)] }) + RS);
  const reply = JSON.parse(await ws.nextRecord(5000));
  ws.close();
  return reply;
}

test('the default limit (32 KiB, as ASP.NET Core) closes the connection on a 50 KB message', T, async () => {
  const server = await serve();
  try {
    const reply = await sendLarge(server.port, 50_000);
    assert.equal(reply.type, 7, 'a Close message');
    assert.match(reply.error, /exceeds the maximum size of 32768 bytes/);
  } finally {
    assert.equal((await server.stop()).code, 0);
  }
});

test("seed 004's config file raises it to 100 KB: the same message gets an answer", T, async () => {
  const server = await serve('--config', 'config/seed004.ini');
  try {
    const reply = await sendLarge(server.port, 50_000);
    assert.equal(reply.type, 3, `a Completion, not a Close: ${JSON.stringify(reply).slice(0, 200)}`);
    assert.equal(reply.invocationId, '1');
    const over = await sendLarge(server.port, 110_000);
    assert.equal(over.type, 7);
    assert.match(over.error, /exceeds the maximum size of 102400 bytes/);
  } finally {
    assert.equal((await server.stop()).code, 0);
  }
});

test('a keep-alive interval from the command line reaches the hubs', T, async () => {
  const server = await serve('--keep-alive-interval', '0.2', '--client-timeout', '5');
  try {
    const ws = await RawHubSocket.open(`ws://127.0.0.1:${server.port}/hubs/indexer`);
    await ws.handshake();
    const started = Date.now();
    assert.deepEqual(JSON.parse(await ws.nextRecord(2000)), { type: 6 }, 'a Ping');
    assert.ok(Date.now() - started < 1500, 'within the configured interval, not the default 15 s');
    ws.close();
  } finally {
    assert.equal((await server.stop()).code, 0);
  }
});

test('settings that cannot work are refused at start, with the reason', T, () => {
  const run = (...args) => spawnSync(BIN, ['serve', '--port', '0', '--db', join(dir, 'x.db'), ...args],
                                     { encoding: 'utf8', timeout: 10000 });
  const short = run('--client-timeout', '10', '--keep-alive-interval', '15');
  assert.notEqual(short.status, 0);
  assert.match(short.stderr, /--client-timeout \(10 s\) must be longer than --keep-alive-interval \(15 s\)/);

  const tiny = run('--max-receive-message-size', '10');
  assert.notEqual(tiny.status, 0);
  assert.match(tiny.stderr, /max-receive-message-size/);

  const file = join(dir, 'bad.ini');
  writeFileSync(file, '[serve]\nkeep-alive-interval = soon\n');
  const bad = run('--config', file);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /keep-alive-interval/);

  const typo = join(dir, 'typo.ini');
  writeFileSync(typo, '[serve]\nkeep-alive-intreval = 5\n');
  const misspelt = run('--config', typo);
  assert.notEqual(misspelt.status, 0, 'an unknown setting is an error');
  assert.match(misspelt.stderr, /keep-alive-intreval/);

  const missing = run('--config', join(dir, 'missing.ini'));
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /missing\.ini/);
});
