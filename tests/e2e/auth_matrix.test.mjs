// Issue 16's token matrix against every surface of `scanhub serve --auth` with an RS256
// identity provider (tokens made with node's crypto, support/jwt.mjs): REST, the three hubs
// over WebSockets, Server-Sent Events and Long Polling through the OFFICIAL client's
// accessTokenFactory, Metarr's /ws socket and the /api/events stream. No token, a malformed
// one, alg none, a wrong signature, expired beyond the 300 s skew, a future nbf, a wrong
// issuer, a wrong audience, HS256 signed with the RS256 public key: all refused with 401; a
// valid token is let in. Then: a token that expires mid-connection closes the hub connection,
// the /ws socket and the event stream; roles (a user may read, not start scans); /healthz and
// the page stay open; library roots.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServer, withTimeout } from './support/server_process.mjs';
import { identityProvider } from './support/jwt.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

const PORT_LINE = /serving http:\/\/[^:]+:(\d+)\//;
const T = { timeout: 60000 };
const HUBS = ['/hubs/progress', '/hubs/indexer', '/hubs/job-progress'];
const { WebSockets, ServerSentEvents, LongPolling } = signalR.HttpTransportType;
const TRANSPORTS = [['WebSockets', WebSockets], ['Server-Sent Events', ServerSentEvents],
  ['Long Polling', LongPolling]];

let dir;
let server;
let idp;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-auth-'));
  idp = identityProvider(dir);
  mkdirSync(join(dir, 'media', 'music'), { recursive: true });
  mkdirSync(join(dir, 'private'));
  symlinkSync(join(dir, 'private'), join(dir, 'media', 'escape'));
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), '--no-watch', '--no-embeddings',
    '--auth', '--jwt-issuer', idp.issuer, '--jwt-audience', idp.audience, '--jwt-key', idp.keyFile,
    '--library-root', join(dir, 'media'),
  ], { portPattern: PORT_LINE });
});

after(async () => {
  if (server) assert.equal((await server.stop()).code, 0, 'scanhub serve exits 0 on SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const authHeader = (token) => (token === undefined ? {} : { Authorization: `Bearer ${token}` });
const query = (token) => (token === undefined ? '' : `?access_token=${encodeURIComponent(token)}`);

function hubConnection(path, transport, token) {
  return new signalR.HubConnectionBuilder()
    .withUrl(`${server.url}${path}`, { transport, ...(token === undefined ? {} : { accessTokenFactory: () => token }) })
    .configureLogging(signalR.LogLevel.None)
    .build();
}

/** The status of a /ws upgrade: 101 when accepted (the socket is closed at once). */
function wsUpgradeStatus(token) {
  return withTimeout(new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws${query(token)}`);
    socket.on('unexpected-response', (_request, response) => { resolve(response.statusCode); socket.terminate(); });
    socket.on('open', () => { resolve(101); socket.close(); });
    socket.on('error', (error) => reject(error));
  }), 5000, '/ws upgrade');
}

/** The status of GET /api/events (the stream is dropped once its head arrived). */
async function sseStatus(token) {
  const controller = new AbortController();
  const response = await withTimeout(fetch(`${server.url}/api/events${query(token)}`,
    { headers: { accept: 'text/event-stream' }, signal: controller.signal }), 5000, 'GET /api/events');
  const status = response.status;
  controller.abort();
  return status;
}

/** Resolves with the error a hub connection closes with. */
async function startHub(path, transport, token) {
  const connection = hubConnection(path, transport, token);
  await withTimeout(connection.start(), 10000, `start ${path}`);
  return connection;
}

describe('the token matrix', () => {
  const cases = () => ({ 'no token': undefined, ...idp.badTokens() });

  test('REST: every bad token is 401 with a Bearer challenge; a valid one is let in', T, async () => {
    for (const [name, token] of Object.entries(cases())) {
      const response = await fetch(`${server.url}/api/libraries`, { headers: authHeader(token) });
      assert.equal(response.status, 401, name);
      assert.match(response.headers.get('www-authenticate'), /^Bearer/, name);
      if (token !== undefined) {
        assert.match(response.headers.get('www-authenticate'), /error="invalid_(token|request)"/, name);
      }
    }
    const response = await fetch(`${server.url}/api/libraries`, { headers: authHeader(idp.token('alice')) });
    assert.equal(response.status, 200);
  });

  for (const path of HUBS) {
    for (const [label, transport] of TRANSPORTS) {
      test(`${path} over ${label}: refused without a valid token, connects with one`, T, async () => {
        for (const [name, token] of Object.entries(cases())) {
          const connection = hubConnection(path, transport, token);
          await assert.rejects(withTimeout(connection.start(), 10000, `start ${name}`),
            /401|Unauthorized/, `${path} ${label}: ${name}`);
        }
        const connection = await startHub(path, transport, idp.token('alice'));
        assert.equal(connection.state, signalR.HubConnectionState.Connected);
        await withTimeout(connection.stop(), 5000, 'stop');
      });
    }
  }

  test('/ws: the upgrade is refused with 401 without a valid token', T, async () => {
    for (const [name, token] of Object.entries(cases())) {
      assert.equal(await wsUpgradeStatus(token), 401, name);
    }
    assert.equal(await wsUpgradeStatus(idp.token('alice')), 101);
  });

  test('/api/events: the stream is refused with 401 without a valid token', T, async () => {
    for (const [name, token] of Object.entries(cases())) {
      assert.equal(await sseStatus(token), 401, name);
    }
    assert.equal(await sseStatus(idp.token('alice')), 200);
  });
});

describe('a token that expires mid-connection', () => {
  // Accepted now (its exp is a few seconds ahead), closed when exp passes: the skew lets a
  // token in, it does not lengthen a connection (CloseOnAuthenticationExpiration).
  const brief = () => idp.token('brief', { exp: Math.floor(Date.now() / 1000) + 3 });

  for (const [label, transport] of TRANSPORTS) {
    test(`closes the hub connection over ${label}`, T, async () => {
      const connection = hubConnection('/hubs/job-progress', transport, brief());
      const closed = new Promise((resolve) => connection.onclose(resolve));
      await withTimeout(connection.start(), 10000, 'start');
      const error = await withTimeout(closed, 15000, 'close on expiry');
      assert.match(String(error), /access token expired/);
    });
  }

  test('closes the /ws socket with 1008', T, async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws${query(brief())}`);
    const [code, reason] = await withTimeout(new Promise((resolve) => {
      socket.on('close', (closeCode, closeReason) => resolve([closeCode, String(closeReason)]));
    }), 15000, '/ws close on expiry');
    assert.equal(code, 1008);
    assert.match(reason, /access token expired/);
  });

  test('ends the /api/events stream', T, async () => {
    const response = await fetch(`${server.url}/api/events${query(brief())}`, { headers: { accept: 'text/event-stream' } });
    assert.equal(response.status, 200);
    // The body ends (the server closes it) within the token's life plus a margin.
    await withTimeout(response.text(), 15000, 'stream end on expiry');
  });
});

describe('roles and what stays open', () => {
  test('/healthz and the page are open; a user reads but may not manage', T, async () => {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${server.url}/`)).status, 200);
    const user = authHeader(idp.token('alice'));
    assert.equal((await fetch(`${server.url}/api/scans`, { headers: user })).status, 200);
    assert.equal((await fetch(`${server.url}/api/library/scan`, { method: 'POST', headers: user })).status, 403);
    const add = await fetch(`${server.url}/api/libraries`, {
      method: 'POST', headers: { ...user, 'content-type': 'application/json' },
      body: JSON.stringify({ path: join(dir, 'media', 'music'), type: 'music' }),
    });
    assert.equal(add.status, 403);
  });

  test('a user gets FORBIDDEN for scan commands on /ws; the hub method completes with an error', T, async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws${query(idp.token('alice'))}`);
    const messages = [];
    const forbidden = withTimeout(new Promise((resolve) => {
      socket.on('message', (data) => {
        const message = JSON.parse(String(data));
        messages.push(message);
        if (message.type === 'error') resolve(message);
      });
    }), 5000, 'error for startLibraryScan');
    await withTimeout(new Promise((resolve) => socket.once('open', resolve)), 5000, 'open');
    socket.send(JSON.stringify({ type: 'startLibraryScan', libraryId: 1, requestId: 'r1' }));
    const error = await forbidden;
    assert.equal(error.code ?? error.data?.code, 'FORBIDDEN', JSON.stringify(error));
    socket.close();

    const connection = await startHub('/hubs/indexer', WebSockets, idp.token('alice'));
    await assert.rejects(withTimeout(connection.invoke('StartLibraryScan', '1'), 5000, 'invoke'),
      /unauthorized/);
    await withTimeout(connection.stop(), 5000, 'stop');
  });

  test('an admin adds libraries only under a --library-root, links resolved', T, async () => {
    const admin = { ...authHeader(idp.token('root', { roles: ['admin'] })), 'content-type': 'application/json' };
    const add = (path) => fetch(`${server.url}/api/libraries`, {
      method: 'POST', headers: admin, body: JSON.stringify({ path, type: 'music' }),
    });
    let response = await add(join(dir, 'private'));
    assert.equal(response.status, 400);
    assert.match((await response.json()).error, /not under a library root/);
    response = await add(join(dir, 'media', 'escape'));
    assert.equal(response.status, 400, 'a link out of the root is judged by its target');
    assert.match((await response.json()).error, /not under a library root/);
    response = await add('/etc');
    assert.equal(response.status, 400);
    response = await add(join(dir, 'media', 'music'));
    assert.equal(response.status, 201, await response.clone().text());
  });
});
