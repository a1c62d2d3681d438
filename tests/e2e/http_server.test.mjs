// End-to-end tests of the HTTP server (src/http) over real sockets: JSON errors, limits,
// keep-alive, static files, malformed requests, graceful stop. Server: hub_test_server.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, withTimeout } from './support/server_process.mjs';

const SERVER = process.env.HUB_TEST_SERVER;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const T = { timeout: 20000 };

/** Sends raw bytes on one TCP connection; resolves with everything read until `until(text)` or close. */
function rawExchange(port, chunks, { until = null, ms = 3000 } = {}) {
  return withTimeout(new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let closed = false;
    socket.on('data', (d) => {
      data += d.toString('latin1');
      if (until && until(data)) { socket.destroy(); resolve({ data, closed }); }
    });
    socket.on('end', () => { closed = true; });
    socket.on('close', () => resolve({ data, closed: true }));
    socket.on('error', reject);
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        socket.write(chunk);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  }), ms, 'raw HTTP exchange');
}

const countResponses = (text) => (text.match(/HTTP\/1\.1 \d{3}/g) || []).length;

describe('http server', () => {
  let server;
  const get = (p, init) => withTimeout(fetch(server.url + p, init), 3000, `fetch ${p}`);

  before(async () => { server = await startServer(SERVER, ['--body-limit', '1024']); });
  after(async () => { assert.equal((await server.stop()).code, 0); });

  test('routes with parameters answer JSON', T, async () => {
    const response = await get('/api/echo/hello%20world');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(await response.json(), { word: 'hello world' });
  });

  test('unknown path is a 404 JSON error', T, async () => {
    const response = await get('/api/nothing');
    assert.equal(response.status, 404);
    assert.ok((await response.json()).error);
  });

  test('wrong method is a 405 JSON error with Allow', T, async () => {
    const response = await get('/api/echo/x', { method: 'DELETE' });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'GET');
    assert.ok((await response.json()).error);
  });

  test('a throwing handler is a generic 500; invalid_argument is a 400 with its message', T, async () => {
    const crash = await get('/api/throw');
    assert.equal(crash.status, 500);
    const body = await crash.json();
    assert.ok(body.error);
    assert.ok(!JSON.stringify(body).includes('secret'));
    const invalid = await get('/api/invalid');
    assert.equal(invalid.status, 400);
    assert.deepEqual(await invalid.json(), { error: 'the value is invalid' });
  });

  test('bodies up to the limit are accepted, larger ones get 413', T, async () => {
    const json = { 'content-type': 'application/json' };
    const ok = await get('/api/body', { method: 'POST', headers: json, body: 'x'.repeat(1024) });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { length: 1024 });
    const tooBig = await get('/api/body', { method: 'POST', headers: json, body: 'x'.repeat(1025) });
    assert.equal(tooBig.status, 413);
    assert.ok((await tooBig.json()).error);
  });

  test('Expect: 100-continue gets an interim response before the body', T, async () => {
    const { data } = await rawExchange(server.port, [
      'POST /api/body HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n',
      'hello',
    ], { until: (t) => t.includes('{"length":5}') });
    assert.match(data, /^HTTP\/1\.1 100 Continue\r\n/);
    assert.match(data, /HTTP\/1\.1 200 OK/);
  });

  test('headers over the limit get 431', T, async () => {
    const { data } = await rawExchange(server.port, [
      `GET /api/echo/x HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`,
    ]);
    assert.match(data, /^HTTP\/1\.1 431 /);
  });

  test('a malformed request gets 400 and the connection closes', T, async () => {
    const { data, closed } = await rawExchange(server.port, ['NOT HTTP AT ALL\r\n\r\n']);
    assert.match(data, /^HTTP\/1\.1 400 /);
    assert.ok(closed);
  });

  test('keep-alive serves several requests on one connection; Connection: close ends it', T, async () => {
    const { data, closed } = await rawExchange(server.port, [
      'GET /api/echo/a HTTP/1.1\r\nHost: localhost\r\n\r\n',
      'GET /api/echo/b HTTP/1.1\r\nHost: localhost\r\n\r\n',
      'GET /api/echo/c HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    ]);
    assert.equal(countResponses(data), 3);
    assert.ok(data.includes('{"word":"a"}') && data.includes('{"word":"b"}') && data.includes('{"word":"c"}'));
    assert.ok(closed);
  });

  test('serves the official SignalR browser client at /lib/signalr.min.js', T, async () => {
    const response = await get('/lib/signalr.min.js');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^text\/javascript/);
    const expected = fs.readFileSync(path.join(ROOT, 'node_modules/@microsoft/signalr/dist/browser/signalr.min.js'));
    assert.ok(Buffer.from(await response.arrayBuffer()).equals(expected));
    const head = await get('/lib/signalr.min.js', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get('content-length')), expected.length);
  });

  test('serves web/index.html at / when it exists', T, async () => {
    const index = path.join(ROOT, 'web/index.html');
    const response = await get('/');
    if (!fs.existsSync(index)) {
      assert.equal(response.status, 404);
      return;
    }
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^text\/html/);
    assert.equal(await response.text(), fs.readFileSync(index, 'utf8'));
  });

  test('negotiate needs POST', T, async () => {
    assert.equal((await get('/hubs/test/negotiate')).status, 405);
    const response = await get('/hubs/test/negotiate', { method: 'POST' });
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.negotiateVersion, 0);
    assert.equal(body.connectionToken, undefined);
  });
});

describe('web root override', () => {
  test('files on disk win over embedded ones and cannot escape the root', T, async () => {
    const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR || '/tmp'), 'scanhub-web-'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<p>from disk</p>');
    const server = await startServer(SERVER, ['--web-root', dir]);
    try {
      const index = await withTimeout(fetch(`${server.url}/`), 3000, 'fetch /');
      assert.equal(await index.text(), '<p>from disk</p>');
      const client = await withTimeout(fetch(`${server.url}/lib/signalr.min.js`), 3000, 'fetch client');
      assert.equal(client.status, 200, 'embedded files still served');
      const { data } = await rawExchange(server.port, ['GET /../../etc/passwd HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n']);
      assert.match(data, /^HTTP\/1\.1 404 /);
    } finally {
      assert.equal((await server.stop()).code, 0);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('graceful stop', () => {
  test('idle keep-alive connections do not hold the server', T, async () => {
    const server = await startServer(SERVER);
    const socket = net.connect(server.port, '127.0.0.1');
    await withTimeout(new Promise((r) => socket.once('connect', r)), 3000, 'connect');
    socket.write('GET /api/echo/a HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await withTimeout(new Promise((r) => socket.once('data', r)), 3000, 'response');
    const closed = withTimeout(new Promise((r) => socket.once('close', r)), 5000, 'server closes idle socket');
    const started = Date.now();
    const status = await server.stop();
    await closed;
    assert.equal(status.code, 0);
    assert.ok(Date.now() - started < 2000, 'stops without waiting for the grace period');
  });
});
