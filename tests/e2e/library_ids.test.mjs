// Ids are never reused. Deleting a library deletes its scans; before AUTOINCREMENT (store
// migration 8) the next library and scan then got the old ids, so a client still subscribed
// to the old scan received the new scan's events and a stale cancel stopped the new scan.
// Here, with the official @microsoft/signalr client against a real `scanhub serve`: the new
// library and scan get ids never used before, the stale subscriber gets nothing of the new
// scan, and a cancel or GET of the old scan id is 404.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { restClient } from './support/rest.mjs';
import { delay, startServer, withTimeout } from './support/server_process.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

const SERVE = /serving http:\/\/[^:]+:(\d+)\//;
const MS = 5000;
const EVENTS = ['ScanProgress', 'EmbeddingProgress', 'ScanCompleted', 'ScanFailed', 'IndexingCompleted'];

let dir;
let server;
let request;
let scanToEnd;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-ids-'));
  for (const [name, seed] of [['first', 61], ['second', 62]]) {
    execFileSync(process.env.MAKE_LIBRARY, [join(dir, name), '--tracks', '10', '--seed', String(seed), '--no-bad',
      '--template-cache', process.env.TEMPLATE_CACHE], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), '--no-watch', '--workers', '1',
    '--directory-delay-for-test', '100',
  ], { portPattern: SERVE });
  ({ request, scanToEnd } = restClient(server.url, { ms: MS }));
});

after(async () => {
  if (server) assert.equal((await server.stop()).code, 0);
  if (dir) rmSync(dir, { recursive: true, force: true });
});



async function subscriber(scanId) {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(`${server.url}/hubs/progress`)
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  const events = [];
  for (const name of EVENTS) connection.on(name, (...args) => { events.push({ name, args }); });
  await withTimeout(connection.start(), MS, 'start');
  await withTimeout(connection.invoke('SubscribeToScan', scanId), MS, `SubscribeToScan(${scanId})`);
  return { connection, events };
}

test('a deleted library\'s ids are never given again, and its stale subscriber hears nothing new', async () => {
  const first = await request('POST', '/api/libraries', { path: join(dir, 'first'), type: 'music' });
  assert.equal(first.status, 201, JSON.stringify(first.body));
  const oldScan = first.body.scanId;
  assert.equal((await scanToEnd(oldScan)).status, 'completed');

  // A client that keeps the old scan's id: subscribed, it got the snapshot of a completed scan.
  const stale = await subscriber(oldScan);
  try {
    assert.ok(stale.events.some((e) => e.name === 'ScanCompleted'), 'the snapshot of the old scan');
    stale.events.length = 0;

    assert.equal((await request('DELETE', `/api/libraries/${first.body.id}`)).status, 204);
    const second = await request('POST', '/api/libraries', { path: join(dir, 'second'), type: 'music' });
    assert.equal(second.status, 201, JSON.stringify(second.body));
    assert.ok(second.body.id > first.body.id, `library id ${second.body.id} after ${first.body.id}`);
    const newScan = second.body.scanId;
    assert.ok(Number(newScan) > Number(oldScan), `scan id ${newScan} after ${oldScan}`);

    const watcher = await subscriber(newScan);
    try {
      await withTimeout((async () => {
        while (!watcher.events.some((e) => e.name === 'ScanCompleted')) await delay(20);
      })(), 60000, 'the new scan\'s subscriber sees it complete');
    } finally {
      await watcher.connection.stop();
    }
    // An invocation answered on the stale connection comes after anything sent to it before.
    await withTimeout(stale.connection.invoke('GetActiveScans'), MS, 'GetActiveScans');
    assert.deepEqual(stale.events, [], 'the stale subscriber hears nothing of the new scan');
  } finally {
    await stale.connection.stop();
  }

  const cancel = await request('POST', `/api/scans/${oldScan}/cancel`);
  assert.equal(cancel.status, 404, JSON.stringify(cancel.body));
  assert.equal((await request('GET', `/api/scans/${oldScan}`)).status, 404);
});
