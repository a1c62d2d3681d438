// Failed sign-ins on POST /api/auth/login of `scanhub serve --auth` are limited per user name
// and per client address (issue 16 item 2): the address is the TCP peer's, handed from the HTTP
// session through the router to the route. Every request here comes from 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, withTimeout } from './support/server_process.mjs';

const MS = 5000;
let dir;
let server;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-login-'));
  const db = join(dir, 'scanhub.db');
  const add = spawnSync(process.env.SCANHUB_BIN, ['user', 'add', 'ada', '--db', db],
                        { input: 'correct horse\n', encoding: 'utf8', timeout: 20000 });
  assert.equal(add.status, 0, `scanhub user add: ${add.stderr}`);
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', db, '--no-watch', '--no-embeddings', '--auth',
  ], { portPattern: /serving http:\/\/[^:]+:(\d+)\// });
});

after(async () => {
  if (server) assert.equal((await server.stop()).code, 0, 'scanhub serve exits 0 on SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function login(username, password) {
  const response = await withTimeout(fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  }), MS, `login as ${username}`);
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
}

test('5 failures lock one name; 20 from one address lock every name from it, with Retry-After', async () => {
  // The per-name limit: ada's 6th attempt is refused even with her password.
  for (let i = 0; i < 5; ++i) assert.equal((await login('ada', 'guess')).status, 401, `ada failure ${i}`);
  const name = await login('ada', 'correct horse');
  assert.equal(name.status, 429);
  assert.match(name.retryAfter ?? '', /^[1-9]\d*$/);

  // 15 more failures (20 from this address in all), each for a name of its own: no name is
  // near its limit, yet a further attempt from this address is refused, whatever the name.
  for (let i = 0; i < 15; ++i) assert.equal((await login(`user${i}`, 'guess')).status, 401, `user${i}`);
  const address = await login('someone-new', 'guess');
  assert.equal(address.status, 429, JSON.stringify(address.body));
  assert.match(address.retryAfter ?? '', /^[1-9]\d*$/);
  assert.ok(Number(address.retryAfter) <= 60, `Retry-After ${address.retryAfter}`);
  assert.match(address.body.error, /Too many failed sign-ins/);
});
