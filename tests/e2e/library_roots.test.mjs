// Library roots through the REST API of a real `scanhub serve`: POST /api/libraries refuses
// the system's own trees and a link loop with a 400 and its reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, withTimeout } from './support/server_process.mjs';

const SERVE = /serving http:\/\/[^:]+:(\d+)\//;
const MS = 5000;

let dir;
let server;

async function request(method, path, body) {
  const init = { method };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const response = await withTimeout(fetch(`${server.url}${path}`, init), MS, `${method} ${path}`);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-roots-'));
  mkdirSync(join(dir, 'loop'));
  symlinkSync(join(dir, 'loop', 'b'), join(dir, 'loop', 'a'));
  symlinkSync(join(dir, 'loop', 'a'), join(dir, 'loop', 'b'));
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), '--no-watch', '--workers', '2',
  ], { portPattern: SERVE });
});

after(async () => {
  if (server) assert.equal((await server.stop()).code, 0);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the system itself, its pseudo file systems and a link loop are refused with reasons', async () => {
  const cases = [
    ['/', /^\/ cannot be a library/],
    ['/proc', /^\/proc is on a proc file system .*cannot be a library/],
    ['/sys/class', /^\/sys\/class is on a sysfs file system/],
    ['/dev', /^\/dev .*cannot be a library/],
    ['/run', /^\/run .*cannot be a library/],
    [join(dir, 'loop', 'a'), new RegExp(`^symbolic link loop: ${join(dir, 'loop', 'a')}`)],
    [join(dir, 'loop', 'a', 'music'), /^symbolic link loop/],
  ];
  for (const [path, reason] of cases) {
    const { status, body } = await request('POST', '/api/libraries', { path, type: 'music' });
    assert.equal(status, 400, `${path}: ${JSON.stringify(body)}`);
    assert.match(body.error, reason, path);
  }
  const { body: libraries } = await request('GET', '/api/libraries');
  assert.deepEqual(libraries, [], 'nothing was added');
});
