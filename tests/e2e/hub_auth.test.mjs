// End-to-end tests of authentication on the HTTP server's surfaces (src/http/authorize.hpp,
// src/signalr): REST routes by their Access, SignalR negotiate and every transport with the
// OFFICIAL client's accessTokenFactory, the caller's principal in the hub (Whoami), and a
// connection closed when its token expires (ASP.NET Core's CloseOnAuthenticationExpiration).
// Server: tests/signalr/hub_test_server with test tokens (--token; a test authenticator: the
// JWT validation itself is tested with real tokens in auth_matrix.test.mjs).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer, withTimeout } from './support/server_process.mjs';
import { invoke } from './support/hub_calls.mjs';
import WebSocket from 'ws';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

const SERVER = process.env.HUB_TEST_SERVER;
const T = { timeout: 20000 };
const EXPIRY_MS = 2500;
const SERVER_ARGS = ['--token', 'tok-alice=alice', '--token', 'tok-root=root:admin'];
const { WebSockets, ServerSentEvents, LongPolling } = signalR.HttpTransportType;

/** The status of a raw WebSocket upgrade to /hubs/test (101 when accepted, then closed). */
function upgradeStatus(port, token) {
  const query = token === undefined ? '' : `?access_token=${encodeURIComponent(token)}`;
  return withTimeout(new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/hubs/test${query}`);
    socket.on('unexpected-response', (_request, response) => { resolve(response.statusCode); socket.terminate(); });
    socket.on('open', () => { resolve(101); socket.terminate(); });
    socket.on('error', reject);
  }), 5000, 'upgrade');
}

function connect(baseUrl, options) {
  return new signalR.HubConnectionBuilder()
    .withUrl(`${baseUrl}/hubs/test`, options)
    .configureLogging(signalR.LogLevel.None)
    .build();
}

describe('authentication on the HTTP surfaces', () => {
  let server;
  before(async () => { server = await startServer(SERVER, SERVER_ARGS); });
  after(async () => {
    const status = await server.stop();
    assert.equal(status.code, 0, 'test server exits cleanly');
  });

  const get = (path, headers = {}) => fetch(`${server.url}${path}`, { headers });

  test('REST: 401 with a Bearer challenge, 403 for a user on an admin route', T, async () => {
    let response = await get('/api/whoami');
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer');
    assert.ok((await response.json()).error);

    response = await get('/api/whoami', { Authorization: 'Bearer forged' });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'),
      'Bearer error="invalid_token", error_description="The signature is invalid."');
    assert.equal((await response.json()).error, 'The signature is invalid.');

    response = await get('/api/whoami?access_token=tok-alice');
    assert.equal(response.status, 401, 'REST takes no token from the query');

    response = await get('/api/whoami', { Authorization: 'Bearer tok-alice' });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { userId: 'alice', admin: false });

    response = await get('/api/admin', { Authorization: 'Bearer tok-alice' });
    assert.equal(response.status, 403);
    response = await get('/api/admin', { Authorization: 'Bearer tok-root' });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { userId: 'root', admin: true });
  });

  test('negotiate and transport requests without a valid token get 401', T, async () => {
    let response = await fetch(`${server.url}/hubs/test/negotiate?negotiateVersion=1`, { method: 'POST' });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer');
    response = await fetch(`${server.url}/hubs/test/negotiate?negotiateVersion=1&access_token=forged`, { method: 'POST' });
    assert.equal(response.status, 401);
    response = await fetch(`${server.url}/hubs/test/negotiate?negotiateVersion=1&access_token=tok-alice`, { method: 'POST' });
    assert.equal(response.status, 200);
    const { connectionToken } = await response.json();
    // The connection's own requests need the token too.
    response = await get(`/hubs/test?id=${connectionToken}`, { Accept: 'text/event-stream' });
    assert.equal(response.status, 401);
    response = await get(`/hubs/test?id=${connectionToken}`);
    assert.equal(response.status, 401);
  });

  for (const [label, transport, skipNegotiation] of [
    ['WebSockets', WebSockets, false],
    ['WebSockets without negotiate', WebSockets, true],
    ['Server-Sent Events', ServerSentEvents, false],
    ['Long Polling', LongPolling, false],
  ]) {
    describe(`official client over ${label}`, () => {
      const options = (token) => ({
        transport, skipNegotiation, ...(token === undefined ? {} : { accessTokenFactory: () => token }),
      });

      test('refused without a token and with a wrong one', T, async () => {
        for (const token of [undefined, 'forged']) {
          const connection = connect(server.url, options(token));
          // Without negotiate the client sees only a WebSocket that failed; the status is
          // checked on the raw upgrade below.
          await assert.rejects(withTimeout(connection.start(), 5000, 'start'),
            skipNegotiation ? /WebSocket failed to connect/ : /401|Unauthorized/, `token ${token}`);
          if (skipNegotiation) assert.equal(await upgradeStatus(server.port, token), 401);
        }
        assert.equal(await upgradeStatus(server.port, 'tok-alice'), 101);
      });

      test('connects with a valid token and acts for its user', T, async () => {
        const connection = connect(server.url, options('tok-alice'));
        await withTimeout(connection.start(), 5000, 'start');
        try {
          assert.deepEqual(await invoke(connection, 'Whoami'),
            { userId: 'alice', admin: false, anonymous: false });
        } finally {
          await withTimeout(connection.stop(), 5000, 'stop');
        }
      });

      test('is closed with an error when its token expires', T, async () => {
        // A server of its own: the token expires EXPIRY_MS after the server starts.
        const brief = await startServer(SERVER, ['--token', `tok-brief=brief:${EXPIRY_MS}`]);
        try {
          const connection = connect(brief.url, options('tok-brief'));
          const closed = new Promise((resolve) => connection.onclose(resolve));
          await withTimeout(connection.start(), 5000, 'start');
          assert.deepEqual(await invoke(connection, 'Whoami'),
            { userId: 'brief', admin: false, anonymous: false });
          const error = await withTimeout(closed, EXPIRY_MS + 8000, 'close on expiry');
          assert.match(String(error), /access token expired/);
          assert.equal(connection.state, signalR.HubConnectionState.Disconnected);
        } finally {
          assert.equal((await brief.stop()).code, 0);
        }
      });
    });
  }
});
