// End-to-end tests of the Server-Sent Events and Long Polling transports (src/signalr,
// src/http) with the OFFICIAL JavaScript client @microsoft/signalr 8 forced onto each
// transport, its fallback when WebSockets is refused, and raw `fetch` requests for the status
// codes of TransportProtocols.md and the CORS headers. Server: tests/signalr/hub_test_server
// with a short long-poll timeout and one allowed CORS origin.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer, withTimeout, delay } from './support/server_process.mjs';
import { invoke, nextEvent } from './support/hub_calls.mjs';
import { RawHubSocket, RS } from './support/raw_hub_socket.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

const SERVER = process.env.HUB_TEST_SERVER;
const T = { timeout: 20000 };
const ORIGIN = 'http://app.example.test';
const POLL_MS = 300;
const SERVER_ARGS = ['--long-poll-timeout-ms', String(POLL_MS), '--cors-origin', ORIGIN,
  '--body-limit', '65536'];
const { ServerSentEvents, LongPolling, WebSockets } = signalR.HttpTransportType;

function connect(baseUrl, options = {}) {
  return new signalR.HubConnectionBuilder()
    .withUrl(`${baseUrl}/hubs/test`, options)
    .configureLogging(signalR.LogLevel.None)
    .build();
}
const transportName = (connection) => connection.connection.transport?.constructor.name;

// An EventSource that can never connect: the client must fall back to Long Polling.
class BrokenEventSource {
  constructor() { setTimeout(() => this.onerror?.(new Error('refused')), 10); }
  close() {}
}

for (const [label, transport, expected] of [
  ['Server-Sent Events', ServerSentEvents, 'ServerSentEventsTransport'],
  ['Long Polling', LongPolling, 'LongPollingTransport'],
]) {
  describe(`official client over ${label}`, () => {
    let server;
    const connections = [];
    const open = async (options = {}) => {
      const connection = connect(server.url, { transport, ...options });
      await withTimeout(connection.start(), 5000, 'connection.start()');
      connections.push(connection);
      return connection;
    };
    before(async () => { server = await startServer(SERVER, SERVER_ARGS); });
    after(async () => {
      await Promise.all(connections.map((c) => withTimeout(c.stop(), 5000, 'stop').catch(() => {})));
      const status = await server.stop();
      assert.equal(status.code, 0, 'test server exits cleanly');
    });

    test('connects, invokes, sees its access token', T, async () => {
      const connection = await open({ accessTokenFactory: () => 'tok-1' });
      assert.equal(transportName(connection), expected);
      assert.deepEqual(await invoke(connection, 'Echo', { a: [1, 'two\nlines', null] }),
        { a: [1, 'two\nlines', null] });
      assert.equal(await invoke(connection, 'Add', 40, 2), 42);
      const me = await invoke(connection, 'WhoAmI');
      assert.equal(me.connectionId, connection.connectionId);
      assert.equal(me.accessToken, 'tok-1');
      await assert.rejects(invoke(connection, 'NoSuchMethod'), /Method does not exist/);
      // Completions from another thread, later, while the connection keeps working.
      const later = invoke(connection, 'Delayed', 100, 'later');
      assert.equal(await invoke(connection, 'Echo', 'now'), 'now');
      assert.equal(await later, 'later');
    });

    test('receives events in order, broadcasts and group messages', T, async () => {
      const [a, b] = [await open(), await open()];
      const seen = [];
      a.on('Progress', (i) => seen.push(i));
      assert.equal(await invoke(a, 'SendToMe', 200, ''), 200);
      const deadline = Date.now() + 3000;
      while (seen.length < 200 && Date.now() < deadline) await delay(10);
      assert.deepEqual(seen, Array.from({ length: 200 }, (_, i) => i));

      const atB = nextEvent(b, 'Broadcast');
      await withTimeout(a.send('Broadcast', 'hello'), 3000, 'send');
      assert.deepEqual(await atB, ['hello']);

      await invoke(a, 'JoinGroup', 'g');
      const inGroup = nextEvent(a, 'GroupMessage');
      let bGot = 0;
      b.on('GroupMessage', () => { bGot++; });
      await invoke(b, 'SendToGroup', 'g', { n: 1 });
      assert.deepEqual(await inGroup, ['g', { n: 1 }]);
      await invoke(b, 'Echo', 'sync');
      assert.equal(bGot, 0);
    });

    test('conflated progress ends with the newest value', T, async () => {
      const connection = await open();
      const seen = [];
      connection.on('Progress', (i) => seen.push(i));
      assert.equal(await invoke(connection, 'SendToMe', 2000, 'progress'), 2000);
      const deadline = Date.now() + 3000;
      while (seen.at(-1) !== 1999 && Date.now() < deadline) await delay(10);
      assert.equal(seen.at(-1), 1999);
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], 'increasing');
    });

    test('stop() ends the connection on the server', T, async () => {
      const watcher = await open();
      const before = (await invoke(watcher, 'Stats')).disconnected;
      const leaving = connect(server.url, { transport });
      await withTimeout(leaving.start(), 5000, 'start');
      await withTimeout(leaving.stop(), 5000, 'stop');
      const deadline = Date.now() + 3000;
      let stats;
      do {
        stats = await invoke(watcher, 'Stats');
        if (stats.disconnected > before) break;
        await delay(20);
      } while (Date.now() < deadline);
      assert.ok(stats.disconnected > before, 'on_disconnected ran');
    });
  });

  test(`${label}: server shutdown closes the client with the server's reason`, T, async () => {
    const server = await startServer(SERVER, SERVER_ARGS);
    const connection = connect(server.url, { transport });
    await withTimeout(connection.start(), 5000, 'start');
    assert.equal(transportName(connection), expected);
    const closed = withTimeout(new Promise((resolve) => connection.onclose(resolve)), 5000, 'onclose');
    const status = await server.stop();
    const error = await closed;
    assert.match(String(error?.message), /Server is shutting down\./);
    assert.equal(status.code, 0);
    assert.equal(connection.state, signalR.HubConnectionState.Disconnected);
  });
}

describe('transport fallback', () => {
  let server;
  before(async () => { server = await startServer(SERVER, SERVER_ARGS); });
  after(async () => { assert.equal((await server.stop()).code, 0); });

  test('WebSockets refused by the client: Server-Sent Events, and Long Polling when SSE fails', T, async () => {
    const sse = connect(server.url, { transport: ServerSentEvents | LongPolling });
    await withTimeout(sse.start(), 5000, 'start');
    assert.equal(transportName(sse), 'ServerSentEventsTransport');
    assert.equal(await invoke(sse, 'Echo', 1), 1);
    await withTimeout(sse.stop(), 5000, 'stop');

    const lp = connect(server.url, { transport: ServerSentEvents | LongPolling, EventSource: BrokenEventSource });
    await withTimeout(lp.start(), 5000, 'start');
    assert.equal(transportName(lp), 'LongPollingTransport');
    assert.equal(await invoke(lp, 'Echo', 2), 2);
    await withTimeout(lp.stop(), 5000, 'stop');
  });
});

describe('raw HTTP transport requests', () => {
  let server;
  let hub;
  before(async () => {
    server = await startServer(SERVER, SERVER_ARGS);
    hub = `${server.url}/hubs/test`;
  });
  after(async () => { assert.equal((await server.stop()).code, 0); });

  const request = (url, init = {}) => withTimeout(fetch(url, init), 5000, `${init.method ?? 'GET'} ${url}`);
  const negotiate = async (headers = {}) => {
    const response = await request(`${hub}/negotiate?negotiateVersion=1`, { method: 'POST', headers });
    assert.equal(response.status, 200);
    return response.json();
  };
  const post = (token, body) => request(`${hub}?id=${token}`, { method: 'POST', body });

  test('negotiate advertises the three transports and their transfer formats', T, async () => {
    const body = await negotiate();
    assert.deepEqual(body.availableTransports, [
      { transport: 'WebSockets', transferFormats: ['Text', 'Binary'] },
      { transport: 'ServerSentEvents', transferFormats: ['Text'] },
      { transport: 'LongPolling', transferFormats: ['Text', 'Binary'] },
    ]);
  });

  test('unknown or missing ids', T, async () => {
    assert.equal((await request(`${hub}?id=nope`)).status, 404);
    assert.equal((await request(`${hub}?id=nope`, { headers: { accept: 'text/event-stream' } })).status, 404);
    assert.equal((await post('nope', '{"type":6}' + RS)).status, 404);
    assert.equal((await request(`${hub}?id=nope`, { method: 'DELETE' })).status, 404);
    assert.equal((await request(hub)).status, 400);
    assert.equal((await request(hub, { method: 'POST', body: 'x' })).status, 400);
    const put = await request(`${hub}?id=nope`, { method: 'PUT', body: 'x' });
    assert.equal(put.status, 405);
    assert.match(put.headers.get('allow'), /GET, POST, DELETE/);
  });

  test('long polling: first poll at once, records, empty 200 at the timeout, DELETE 202, then 204', T, async () => {
    const { connectionToken: token } = await negotiate();
    const first = await request(`${hub}?id=${token}`);
    assert.equal(first.status, 200);
    assert.equal(await first.text(), '');
    assert.equal((await post(token, JSON.stringify({ protocol: 'json', version: 1 }) + RS)).status, 200);
    assert.equal(await (await request(`${hub}?id=${token}`)).text(), '{}' + RS);

    // Several records in one POST; their completions come back by poll.
    const records = [1, 2, 3].map((n) => JSON.stringify({ type: 1, invocationId: `${n}`, target: 'Echo', arguments: [n] }) + RS).join('');
    assert.equal((await post(token, records)).status, 200);
    let text = '';
    for (let i = 0; i < 3 && text.split(RS).length < 4; i++) text += await (await request(`${hub}?id=${token}`)).text();
    assert.deepEqual(text.split(RS).filter(Boolean).map((r) => JSON.parse(r).result), [1, 2, 3]);

    const started = Date.now();
    const idle = await request(`${hub}?id=${token}`);
    assert.equal(idle.status, 200);
    assert.equal(await idle.text(), '');
    const waited = Date.now() - started;
    assert.ok(waited >= POLL_MS - 50 && waited < 3000, `waited ${waited} ms`);

    const waiting = request(`${hub}?id=${token}`);
    await delay(50);
    assert.equal((await request(`${hub}?id=${token}`, { method: 'DELETE' })).status, 202);
    assert.equal((await waiting).status, 204);
    assert.equal((await request(`${hub}?id=${token}`)).status, 204);
    assert.equal((await post(token, '{"type":6}' + RS)).status, 404);
  });

  test('a second poll ends the waiting one with 204', T, async () => {
    const { connectionToken: token } = await negotiate();
    await (await request(`${hub}?id=${token}`)).text();
    await post(token, JSON.stringify({ protocol: 'json', version: 1 }) + RS);
    await (await request(`${hub}?id=${token}`)).text();
    const first = request(`${hub}?id=${token}`);
    await delay(50);
    const second = request(`${hub}?id=${token}`);
    // Normally the first is replaced; under load the second may reach the server first. Either
    // way exactly one poll is ended with 204 and the other waits out the timeout (200).
    const statuses = [(await first).status, (await second).status];
    assert.deepEqual([...statuses].sort(), [200, 204], `statuses ${statuses}`);
    await request(`${hub}?id=${token}`, { method: 'DELETE' });
  });

  test('server-sent events: the stream, POST 200, DELETE refused, and the stream ends on Close', T, async () => {
    const { connectionToken: token } = await negotiate();
    const controller = new AbortController();
    const stream = await request(`${hub}?id=${token}`, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get('content-type'), /^text\/event-stream/);
    const reader = stream.body.getReader();
    const decoder = new TextDecoder();
    let received = '';
    const readUntil = async (pattern) => {
      const deadline = Date.now() + 3000;
      while (!pattern.test(received)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} in ${JSON.stringify(received)}`);
        const { value, done } = await withTimeout(reader.read(), 3000, 'sse read');
        if (done) return true;
        received += decoder.decode(value, { stream: true });
      }
      return false;
    };
    assert.equal((await post(token, JSON.stringify({ protocol: 'json', version: 1 }) + RS)).status, 200);
    await readUntil(/data: \{\}\x1e\n\n/);
    assert.equal((await post(token, JSON.stringify({ type: 1, invocationId: 'm', target: 'Echo', arguments: ['a\nb'] }) + RS)).status, 200);
    await readUntil(/"invocationId":"m"/);
    assert.match(received, /data: \{"type":3,"invocationId":"m","result":"a\\nb"\}\x1e\n\n/);
    assert.equal((await request(`${hub}?id=${token}`, { method: 'DELETE' })).status, 400);
    assert.equal((await request(`${hub}?id=${token}`)).status, 400, 'no long poll on an SSE connection');
    assert.equal((await request(`${hub}?id=${token}`, { headers: { accept: 'text/event-stream' } })).status, 409);
    // A malformed record: a Close message with the reason, then the stream ends.
    assert.equal((await post(token, '{"type":1,"target":' + RS)).status, 200);
    const ended = await readUntil(/$^/);
    assert.ok(ended, 'the stream ends');
    assert.match(received, /"type":7,"error":"Connection closed with an error\. Invalid JSON/);
    controller.abort();
  });

  test('an oversize POST is 413; a POST to a WebSocket connection is 405', T, async () => {
    const { connectionToken: token } = await negotiate();
    await (await request(`${hub}?id=${token}`)).text();
    const big = await post(token, 'x'.repeat(70000));
    assert.equal(big.status, 413);
    // An LP connection with no poll cannot receive its shutdown Close: end it here, or the
    // server's stop waits out its grace period for it.
    assert.equal((await request(`${hub}?id=${token}`, { method: 'DELETE' })).status, 202);

    const ws = await negotiate();
    const socket = await RawHubSocket.open(`ws://127.0.0.1:${server.port}/hubs/test?id=${ws.connectionToken}`);
    await socket.handshake();
    assert.equal((await post(ws.connectionToken, '{"type":6}' + RS)).status, 405);
    assert.equal((await request(`${hub}?id=${ws.connectionToken}`, { method: 'DELETE' })).status, 400);
    socket.close();
  });

  test('CORS: allowed origin echoed with credentials on negotiate and transports; others refused with none', T, async () => {
    const allowed = await request(`${hub}/negotiate?negotiateVersion=1`, { method: 'POST', headers: { origin: ORIGIN } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), ORIGIN);
    assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
    assert.match(allowed.headers.get('vary'), /Origin/);
    const { connectionToken: token } = await allowed.json();

    const poll = await request(`${hub}?id=${token}`, { headers: { origin: ORIGIN } });
    assert.equal(poll.headers.get('access-control-allow-origin'), ORIGIN);
    await poll.text();
    const missing = await request(`${hub}?id=nope`, { headers: { origin: ORIGIN } });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('access-control-allow-origin'), ORIGIN);
    await request(`${hub}?id=${token}`, { method: 'DELETE' });

    // Another origin's negotiate is a cross-site POST: refused (request_policy.hpp), and
    // without CORS headers, so the page cannot even read why.
    const refused = await request(`${hub}/negotiate`, { method: 'POST', headers: { origin: 'http://evil.example.test' } });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
    assert.equal(refused.headers.get('access-control-allow-credentials'), null);

    const sseToken = (await negotiate()).connectionToken;
    const controller = new AbortController();
    const sse = await request(`${hub}?id=${sseToken}`, { headers: { accept: 'text/event-stream', origin: ORIGIN }, signal: controller.signal });
    assert.equal(sse.headers.get('access-control-allow-origin'), ORIGIN);
    assert.equal(sse.headers.get('access-control-allow-credentials'), 'true');
    controller.abort();
  });

  test('CORS preflight lists methods and the requested headers', T, async () => {
    const headers = 'x-requested-with, x-signalr-user-agent, authorization, content-type, x-api-key';
    const preflight = await request(`${hub}/negotiate?negotiateVersion=1`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': headers },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), ORIGIN);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'GET, POST, DELETE, OPTIONS');
    assert.equal(preflight.headers.get('access-control-allow-headers'), headers);

    const refused = await request(`${hub}?id=x`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example.test', 'access-control-request-method': 'GET' },
    });
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
    assert.equal(refused.headers.get('access-control-allow-methods'), null);
  });
});
