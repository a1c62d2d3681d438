// The HTTP edge of `scanhub serve` against what a hostile web page or a smuggling proxy sends
// (src/http/request_policy.hpp, README "Security"): cross-site WebSocket upgrades and POSTs,
// DNS rebinding (a foreign Host), simple cross-site bodies (text/plain, forms), ambiguous
// framing (RFC 9112), dotfiles and system directories as --web-root. Raw TCP where a client
// library would not send the request; every wait is bounded.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, withTimeout } from './support/server_process.mjs';

const BIN = process.env.SCANHUB_BIN;
const SERVE = /serving http:\/\/[^:]+:(\d+)\//;
const T = { timeout: 30000 };
const MS = 5000;
const ALLOWED_ORIGIN = 'http://app.example.test:8080';
let dir;

before(() => { dir = realpathSync(mkdtempSync(join(tmpdir(), 'scanhub-e2e-policy-'))); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const serve = (name, ...args) => startServer(BIN, [
  'serve', '--port', '0', '--db', join(dir, `${name}.db`), '--no-watch', '--no-embeddings', ...args,
], { portPattern: SERVE });

/**
 * Writes `text` on a new connection and reads until the server closes it or `ms` pass;
 * resolves with what was read and whether the server closed.
 */
function raw(port, text, { ms = 3000 } = {}) {
  return withTimeout(new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let timer;
    const finish = (closed) => { clearTimeout(timer); socket.destroy(); resolve({ data, closed }); };
    socket.on('data', (chunk) => { data += chunk.toString('latin1'); });
    socket.on('close', () => finish(true));
    socket.on('error', (e) => (data ? finish(true) : reject(e)));
    socket.on('connect', () => {
      socket.write(text);
      timer = setTimeout(() => finish(false), ms);
    });
  }), ms + 2000, 'raw HTTP exchange');
}

const statusOf = (data) => Number((data.match(/^HTTP\/1\.1 (\d{3})/) || [])[1]);
const countResponses = (data) => (data.match(/HTTP\/1\.1 \d{3}/g) || []).length;
const bodyOf = (data) => JSON.parse(data.slice(data.indexOf('\r\n\r\n') + 4));

function upgrade(port, origin, path = '/hubs/progress') {
  const originLine = origin === undefined ? '' : `Origin: ${origin}\r\n`;
  // The response to an accepted upgrade stays open: read it for a moment, then look.
  return raw(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${originLine}` +
    'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n', { ms: 500 });
}

async function api(server, path, init = {}) {
  const response = await withTimeout(fetch(`${server.url}${path}`, init), MS, `${init.method ?? 'GET'} ${path}`);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

describe('a server on loopback with one CORS origin', () => {
  let server;
  let library;
  before(async () => {
    library = join(dir, 'music');
    mkdirSync(library);
    server = await serve('main', '--library', library, '--cors-origin', ALLOWED_ORIGIN);
  });
  after(async () => { assert.equal((await server.stop()).code, 0); });

  test('a WebSocket upgrade from another origin, or from null, gets 403 naming --cors-origin', T, async () => {
    for (const origin of ['https://evil.example', 'null']) {
      const { data } = await upgrade(server.port, origin);
      assert.equal(statusOf(data), 403, `${origin}: ${data.slice(0, 200)}`);
      assert.match(bodyOf(data).error, /--cors-origin/);
    }
  });

  test('the same upgrade without Origin, from the own origin or a --cors-origin is accepted', T, async () => {
    for (const origin of [undefined, `http://127.0.0.1:${server.port}`, ALLOWED_ORIGIN]) {
      const { data } = await upgrade(server.port, origin);
      assert.equal(statusOf(data), 101, `${origin}: ${data.slice(0, 200)}`);
    }
  });

  test('a rebinding Host is refused on REST, negotiate and static files, naming --allowed-host', T, async () => {
    const host = `rebind.evil.example:${server.port}`;
    for (const request of [
      `GET /api/scans HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      `POST /hubs/progress/negotiate?negotiateVersion=1 HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      `GET /lib/signalr.min.js HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
    ]) {
      const { data } = await raw(server.port, request);
      assert.equal(statusOf(data), 421, `${request.split('\r\n')[0]}: ${data.slice(0, 200)}`);
      assert.match(bodyOf(data).error, /rebind\.evil\.example.*--allowed-host rebind\.evil\.example/);
    }
    // Loopback names and addresses are served.
    for (const name of ['localhost', '127.0.0.1', 'LOCALHOST.']) {
      const { data } = await raw(server.port, `GET /api/scans HTTP/1.1\r\nHost: ${name}:${server.port}\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(data), 200, name);
    }
    const { data } = await raw(server.port, 'GET /api/scans HTTP/1.1\r\n\r\n');
    assert.equal(statusOf(data), 400, 'HTTP/1.1 without Host');
  });

  test('text/plain and form POSTs get 415; a cross-site JSON POST 403; nothing is scanned or added', T, async () => {
    const textScan = await api(server, '/api/library/scan', { method: 'POST', body: '{}' });  // fetch: text/plain
    assert.equal(textScan.status, 415);
    assert.match(textScan.body.error, /application\/json/);
    const form = await api(server, '/api/libraries', {
      method: 'POST', body: new URLSearchParams({ path: dir, type: 'music' }),
    });
    assert.equal(form.status, 415);
    const crossSite = await api(server, '/api/libraries', {
      method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ path: dir, type: 'music' }),
    });
    assert.equal(crossSite.status, 403);
    assert.match(crossSite.body.error, /https:\/\/evil\.example.*--cors-origin/);

    assert.deepEqual((await api(server, '/api/scans')).body, [], 'no scan started');
    const libraries = (await api(server, '/api/libraries')).body;
    assert.deepEqual(libraries.map((l) => l.path), [library], 'no library added');

    // The same requests as the dashboard sends them are served.
    const added = await api(server, '/api/libraries', {
      method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', origin: `http://127.0.0.1:${server.port}` },
      body: JSON.stringify({ path: dir, type: 'music' }),
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
  });

  test('smuggling framings get 501 or 400, the connection closes and the body is never a request', T, async () => {
    const smuggled = `GET /api/scans HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    const cases = [
      ['Transfer-Encoding: gzip', 501],
      ['Transfer-Encoding: xchunked', 501],
      ['Transfer-Encoding: identity', 501],
      ['Transfer-Encoding: chunked, gzip', 501],
      ['Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked', 501],
      ['Transfer-Encoding: gzip\r\nContent-Length: 0', 400],
      ['Content-Length: 0\r\nTransfer-Encoding: gzip', 400],
      ['Transfer-Encoding: chunked\r\nContent-Length: 5', 400],
      ['Content-Length: 5\r\nTransfer-Encoding: chunked', 400],
    ];
    for (const [framing, status] of cases) {
      const { data, closed } = await raw(server.port,
        `POST /api/library/scan HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${framing}\r\n\r\n${smuggled}`);
      const label = framing.replace(/\r\n/g, ' | ');
      assert.equal(statusOf(data), status, `${label}: ${data.slice(0, 200)}`);
      assert.equal(countResponses(data), 1, `${label}: the smuggled GET was answered`);
      assert.ok(closed, `${label}: the connection closes`);
    }
    assert.deepEqual((await api(server, '/api/scans')).body.filter((s) => s.trigger === 'manual'), [],
      'no scan started by a smuggled body');
  });
});

describe('--allowed-host', () => {
  test('lets a named host in on REST, negotiate and static files', T, async () => {
    const server = await serve('allowed', '--allowed-host', 'rebind.evil.example');
    try {
      const host = `Rebind.Evil.Example:${server.port}`;
      for (const request of [
        `GET /api/scans HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
        `POST /hubs/progress/negotiate?negotiateVersion=1 HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ]) {
        const { data } = await raw(server.port, request);
        assert.equal(statusOf(data), 200, `${request.split('\r\n')[0]}: ${data.slice(0, 200)}`);
      }
      const { data } = await raw(server.port, `GET /api/scans HTTP/1.1\r\nHost: other.example\r\n\r\n`);
      assert.equal(statusOf(data), 421, 'other names stay refused');
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });
});

describe('--web-root', () => {
  test('dotfiles and dot-directories are never served', T, async () => {
    const web = join(dir, 'web');
    mkdirSync(join(web, '.git'), { recursive: true });
    mkdirSync(join(web, 'js', '.cache'), { recursive: true });
    writeFileSync(join(web, 'index.html'), '<p>from disk</p>');
    writeFileSync(join(web, '.env'), 'SECRET=1');
    writeFileSync(join(web, '.git', 'config'), '[core]');
    writeFileSync(join(web, 'js', '.cache', 'x.js'), 'x');
    symlinkSync(join(web, '.env'), join(web, 'env.txt'));
    const server = await serve('web', '--web-root', web);
    try {
      const index = await withTimeout(fetch(`${server.url}/`), MS, '/');
      assert.equal(await index.text(), '<p>from disk</p>');
      for (const path of ['/.env', '/.git/config', '/js/.cache/x.js', '/%2egit/config', '/%2Eenv', '/env.txt']) {
        const response = await withTimeout(fetch(`${server.url}${path}`), MS, path);
        const text = await response.text();
        assert.equal(response.status, 404, `${path}: ${text.slice(0, 100)}`);
        assert.ok(!text.includes('SECRET') && !text.includes('[core]'), path);
      }
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });

  test('/, system directories, a missing path and a file are refused at start with exit 2', T, async () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    symlinkSync('/', join(dir, 'slash'));
    for (const root of ['/', '/etc', '/proc', '/proc/self/root', '/usr', join(dir, 'slash'), join(dir, 'missing'), join(dir, 'a-file')]) {
      const run = spawnSync(BIN, ['serve', '--port', '0', '--db', join(dir, 'refused.db'), '--no-watch', '--web-root', root],
        { encoding: 'utf8', timeout: MS, input: '' });
      assert.equal(run.status, 2, `${root}: ${run.stdout}${run.stderr}`);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${root}: one line: ${run.stderr}`);
      assert.match(lines[0], /--web-root/);
      assert.ok(lines[0].includes(root), `${root}: named in ${lines[0]}`);
      assert.equal(run.stdout, '', `${root}: did not serve`);
    }
  });
});
